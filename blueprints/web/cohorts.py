"""Instructors and coaches: the cohorts they follow, the progress matrix, a participant's
evidence, and the two forms for what no LMS sees (classical attendance, workplace assessment).

A cohort outside a person's scope is 404, like another agency's pages. The forms are plain
POST forms (no JavaScript); what they record goes through the same ingestion path as an
LMS's statements, so it shows in the matrix at once and a void takes it back.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import LazyString, lazy_gettext, ngettext
from flask_babel import gettext as _

from blueprints.web.access import (
    current_principal,
    require_cohort,
    require_participant,
    role_required,
)
from blueprints.web.downloads import send_table
from blueprints.web.i18n import number_formatter
from lms_bridge.credit import current_policy
from lms_bridge.programs.errors import CohortNotFound, EnrollmentNotFound
from lms_bridge.programs.fieldwork import (
    RecordNotFound,
    RecordRefused,
    may_record_assessment,
    may_record_attendance,
    parse_score,
    record_assessment,
    record_attendance,
    void_record,
)
from lms_bridge.programs.overview import (
    PARTICIPANT_STATUSES,
    SORTS,
    CohortOverview,
    cohort_progress_for,
    followed_cohorts,
    local_today,
    matrix_table,
    read_cohort_overview,
    read_participant_timeline,
)

bp = Blueprint("cohorts", __name__)

SEARCH_LENGTH = 100
MODULE_STATUSES: dict[str, LazyString] = {
    "not_started": lazy_gettext("Not started"),
    "in_progress": lazy_gettext("In progress"),
    "completed": lazy_gettext("Completed"),
    "passed": lazy_gettext("Passed"),
    "failed": lazy_gettext("Failed"),
}
MODULE_ICONS = {
    "not_started": "○",
    "in_progress": "◐",
    "completed": "✓",
    "passed": "★",
    "failed": "✗",
}
MODES: dict[str, LazyString] = {
    "elearning": lazy_gettext("E-learning"),
    "distance": lazy_gettext("Distance learning"),
    "classical": lazy_gettext("Classical"),
    "workplace": lazy_gettext("Workplace"),
}
PARTICIPANT_LABELS: dict[str, LazyString] = {
    "passed": lazy_gettext("Passed"),
    "completed": lazy_gettext("Completed, not passed"),
    "behind": lazy_gettext("Behind schedule"),
    "on_track": lazy_gettext("On schedule"),
}
SORT_LABELS: dict[str, LazyString] = {
    "name": lazy_gettext("Name"),
    "nip": lazy_gettext("NIP"),
    "jp": lazy_gettext("Most JP done"),
    "score": lazy_gettext("Highest final score"),
    "behind": lazy_gettext("Most modules behind"),
}
VERBS: dict[str, LazyString] = {
    "attended": lazy_gettext("attended"),
    "completed": lazy_gettext("completed"),
    "passed": lazy_gettext("passed"),
    "failed": lazy_gettext("failed"),
    "scored": lazy_gettext("scored"),
}
REFUSALS: dict[str, LazyString] = {
    "no_participants": lazy_gettext("Tick at least one participant who attended."),
    "date_outside": lazy_gettext(
        "The date must fall within the cohort's dates and not be in the future."
    ),
    "not_classical": lazy_gettext("Choose a classical session of this program."),
    "not_workplace": lazy_gettext("Choose a workplace module of this program."),
    "score_range": lazy_gettext("A score is a number from 0 to 100."),
    "nothing_to_record": lazy_gettext("Give a score or mark the module completed."),
    "note_invalid": lazy_gettext("The text holds a character that cannot be stored."),
    "note_length": lazy_gettext("The note is too long (at most 1,000 characters)."),
    "not_voidable": lazy_gettext("Only records made on these pages can be voided here."),
    "already_voided": lazy_gettext("This record was voided already."),
    "role": lazy_gettext("Your role may not record this."),
}


def _heading(kind: str, code: str) -> str:
    """Column names and values of the matrix download, in the reader's language."""
    if kind == "boolean":
        return str(_("yes") if code == "true" else _("no"))
    if kind == "module_status":
        return str(MODULE_STATUSES.get(code, code))
    labels: dict[str, str] = {
        "nip": "NIP",
        "name": _("Name"),
        "registration": _("Registration"),
        "status": _("%(module)s: status", module=code),
        "score": _("%(module)s: score", module=code),
        "jp": _("%(module)s: JP", module=code),
        "jp_done": _("JP done: %(mode)s", mode=MODES.get(code, code)),
        "jp_required": _("JP required: %(mode)s", mode=MODES.get(code, code)),
        "completed": _("Program completed"),
        "passed": _("Passed"),
        "final_score": _("Final score"),
    }
    return labels[kind]


def _labels() -> dict[str, object]:
    """The pages' labels, translated once per page (a matrix has thousands of cells)."""

    def translated(labels: dict[str, LazyString]) -> dict[str, str]:
        return {key: str(label) for key, label in labels.items()}

    return {
        "module_statuses": translated(MODULE_STATUSES),
        "module_icons": MODULE_ICONS,
        "modes": translated(MODES),
        "participant_labels": translated(PARTICIPANT_LABELS),
        "verbs": translated(VERBS),
    }


def _refused(refused: RecordRefused) -> None:
    if isinstance(refused, RecordNotFound):
        abort(404)
    flash(str(REFUSALS.get(refused.code, refused.message)), "error")


@bp.route("/cohorts")
@role_required("instructor", "coach")
def index() -> ResponseReturnValue:
    """The cohorts the signed-in instructor or coach follows."""
    principal = current_principal()
    cohorts = followed_cohorts(principal.cohort_scope, principal.participant_scope)
    return render_template("web/cohorts.html", cohorts=cohorts)


@bp.route("/cohorts/<int:cohort_id>")
@role_required("instructor", "coach")
def show(cohort_id: int) -> ResponseReturnValue:
    """The progress matrix: participants by modules, grouped by mode; search, filter, sort."""
    principal = require_cohort(cohort_id)
    status = request.args.get("status", "")
    sort = request.args.get("sort", "name")
    try:
        overview = read_cohort_overview(
            cohort_id,
            only=principal.participant_scope,
            today=local_today(current_policy()),
            search=request.args.get("q", "")[:SEARCH_LENGTH],
            status=status if status in PARTICIPANT_STATUSES else "",
            unit=request.args.get("unit", "")[:200],
            sort=sort if sort in SORTS else "name",
        )
    except CohortNotFound:
        abort(404)
    template = url_for("web.cohorts.participant", cohort_id=cohort_id, nip="NIP")
    return render_template(
        "web/cohort.html",
        overview=overview,
        chosen=request.args,
        sorts=SORT_LABELS,
        num=number_formatter(),
        participant_url=lambda nip: template.replace("NIP", nip),
        behind_labels=[
            ngettext("Behind: %(num)d module", "Behind: %(num)d modules", count)
            for count in range(len(overview.progress.modules) + 1)
        ],
        words={
            "passed": _("Passed"),
            "completed": _("Completed, not passed"),
            "not_completed": _("Not completed"),
            "final": _("final %(score)s", score="%s"),
        },
        may_record_attendance=may_record_attendance(principal),
        may_assess=may_record_assessment(principal),
        **_labels(),
    )


@bp.route("/cohorts/<int:cohort_id>/progress.<file_format>")
@role_required("instructor", "coach")
def download(cohort_id: int, file_format: str) -> ResponseReturnValue:
    """The matrix (the participants this person follows) as CSV or XLSX, as the API has it."""
    principal = require_cohort(cohort_id)
    try:
        progress = cohort_progress_for(cohort_id, only=principal.participant_scope)
    except CohortNotFound:
        abort(404)
    name = f"kemajuan-angkatan-{cohort_id}"
    return send_table(matrix_table(progress, _heading), name, file_format, sheet_title=name)


@bp.route("/cohorts/<int:cohort_id>/participants/<nip>")
@role_required("instructor", "coach")
def participant(cohort_id: int, nip: str) -> ResponseReturnValue:
    """One participant's evidence, module by module; records made here can be voided."""
    require_participant(cohort_id, nip)
    try:
        timeline = read_participant_timeline(cohort_id, nip, today=local_today(current_policy()))
    except (CohortNotFound, EnrollmentNotFound):
        abort(404)
    return render_template("web/participant.html", timeline=timeline, **_labels())


@bp.route("/cohorts/<int:cohort_id>/participants/<nip>/void", methods=["POST"])
@role_required("instructor", "coach")
def void(cohort_id: int, nip: str) -> ResponseReturnValue:
    """Void a mistaken record: its module's progress and JP go back."""
    principal = require_participant(cohort_id, nip)
    try:
        void_record(
            principal,
            cohort_id=cohort_id,
            nip=nip,
            statement_id=request.form.get("statement", "")[:36],
            reason=request.form.get("reason", "")[:500],
        )
    except RecordRefused as refused:
        _refused(refused)
    else:
        flash(_("The record was voided; progress and JP were taken back."), "info")
    return redirect(url_for("web.cohorts.participant", cohort_id=cohort_id, nip=nip))


def _form_overview(cohort_id: int) -> CohortOverview:
    """The cohort's participants (as this person follows them) and modules, for a form."""
    try:
        return read_cohort_overview(
            cohort_id,
            only=current_principal().participant_scope,
            today=local_today(current_policy()),
        )
    except CohortNotFound:
        abort(404)


@bp.route("/cohorts/<int:cohort_id>/attendance", methods=["GET", "POST"])
@role_required("instructor")
def attendance(cohort_id: int) -> ResponseReturnValue:
    """One form: the day, the classical session, and who attended (checkboxes)."""
    principal = require_cohort(cohort_id)
    if request.method == "POST":
        nips = request.form.getlist("nip")
        try:
            on = date.fromisoformat(request.form.get("date", ""))
        except ValueError:
            flash(_("Write dates as YYYY-MM-DD, e.g. 2026-03-31."), "error")
        else:
            try:
                recorded = record_attendance(
                    current_policy(),
                    principal,
                    cohort_id=cohort_id,
                    module_code=request.form.get("module", ""),
                    on=on,
                    nips=nips,
                )
            except RecordRefused as refused:
                _refused(refused)
            else:
                flash(
                    _(
                        "Attendance recorded for %(count)d participants.",
                        count=len(recorded.statement_ids),
                    ),
                    "info",
                )
                return redirect(url_for("web.cohorts.show", cohort_id=cohort_id))
    overview = _form_overview(cohort_id)
    return render_template(
        "web/attendance.html",
        overview=overview,
        today=local_today(current_policy()),
        chosen=request.form,
    )


@bp.route("/cohorts/<int:cohort_id>/assessment", methods=["GET", "POST"])
@role_required("coach")
def assessment(cohort_id: int) -> ResponseReturnValue:
    """A workplace assessment: participant, workplace module, score, completed, note."""
    principal = require_cohort(cohort_id)
    if request.method == "POST":
        nip = request.form.get("nip", "")
        try:
            record_assessment(
                current_policy(),
                principal,
                cohort_id=cohort_id,
                nip=nip,
                module_code=request.form.get("module", ""),
                score=parse_score(request.form.get("score", "")[:20]),
                completed=request.form.get("completed") == "yes",
                note=request.form.get("note", "")[:2000],
            )
        except RecordRefused as refused:
            _refused(refused)
        else:
            flash(_("Assessment recorded."), "info")
            return redirect(url_for("web.cohorts.participant", cohort_id=cohort_id, nip=nip))
    overview = _form_overview(cohort_id)
    return render_template(
        "web/assessment.html",
        overview=overview,
        chosen=request.form if request.method == "POST" else request.args,
    )
