"""Blended-learning programs: templates, cohorts, progress, completion, feedback to the LMS.

Services take a session and plain values and only flush; the caller's unit of work commits
(the CLI and API wrap each use case in :func:`lms_bridge.db.unit_of_work`).
"""

from lms_bridge.programs.catalog import (
    ProgramImport,
    find_program,
    import_program,
    list_programs,
    program_modules,
)
from lms_bridge.programs.cohorts import (
    EnrollmentImport,
    create_cohort,
    enroll_participants,
    get_cohort,
    list_cohorts,
)
from lms_bridge.programs.errors import (
    CohortInvalid,
    CohortNotFound,
    EnrollmentNotFound,
    EnrollmentRejected,
    ProgramError,
    ProgramNotFound,
    ProgramVersionConflict,
    WebhookInvalid,
)
from lms_bridge.programs.overview import (
    CohortProgress,
    as_json,
    cohort_progress,
    participant_progress,
    read_cohort_progress,
    read_cohort_progress_json,
    read_participant_progress,
)
from lms_bridge.programs.template import (
    ProgramTemplate,
    TemplateError,
    load_template,
    parse_template,
    shipped_templates,
)
from lms_bridge.programs.webhooks import CreatedSubscription, add_subscription, signature

__all__ = [
    "CohortInvalid",
    "CohortNotFound",
    "CohortProgress",
    "CreatedSubscription",
    "EnrollmentImport",
    "EnrollmentNotFound",
    "EnrollmentRejected",
    "ProgramError",
    "ProgramImport",
    "ProgramNotFound",
    "ProgramTemplate",
    "ProgramVersionConflict",
    "TemplateError",
    "WebhookInvalid",
    "add_subscription",
    "as_json",
    "cohort_progress",
    "create_cohort",
    "enroll_participants",
    "find_program",
    "get_cohort",
    "import_program",
    "list_cohorts",
    "list_programs",
    "load_template",
    "parse_template",
    "participant_progress",
    "program_modules",
    "read_cohort_progress",
    "read_cohort_progress_json",
    "read_participant_progress",
    "shipped_templates",
    "signature",
]
