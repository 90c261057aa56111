"""Typed tables, one module per area. Importing this package registers every table."""

from lms_bridge.models.access import Client, ClientActivity
from lms_bridge.models.accounts import (
    CohortAssignment,
    ParticipantAssignment,
    SigninAttempt,
    User,
)
from lms_bridge.models.audit import AuditEvent
from lms_bridge.models.credit import CreditEntry, CreditEvidence, CreditRecomputation
from lms_bridge.models.documents import Document
from lms_bridge.models.exports import SiasnExport, SiasnExportRow
from lms_bridge.models.lrs import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from lms_bridge.models.people import ActorMapping, Person
from lms_bridge.models.policies import StoredPolicy
from lms_bridge.models.programs import (
    Certificate,
    Cohort,
    Enrollment,
    ModuleProgress,
    OutboxEvent,
    Program,
    ProgramModule,
    ProgressEvidence,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "ActorMapping",
    "AttachmentContent",
    "AuditEvent",
    "Certificate",
    "Client",
    "ClientActivity",
    "Cohort",
    "CohortAssignment",
    "CreditEntry",
    "CreditEvidence",
    "CreditRecomputation",
    "Document",
    "Enrollment",
    "ModuleProgress",
    "OutboxEvent",
    "ParticipantAssignment",
    "Person",
    "Program",
    "ProgramModule",
    "ProgressEvidence",
    "SiasnExport",
    "SiasnExportRow",
    "SigninAttempt",
    "Statement",
    "StatementActivity",
    "StatementAgent",
    "StatementAttachment",
    "StoredPolicy",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
