"""The organiser's pages: their agencies' cohorts, a new cohort from a program template,
enrolling participants from a CSV or XLSX file, the registration ids the LMS needs, and the
STTPL certificates (issue, look at with its QR code, revoke).

A cohort run by another agency is 404 everywhere (lms_bridge.programs.organising). A refused
form or file shows the page again with every problem, in the person's language where the
problem is the page's, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from blueprints.web.access import current_principal, role_required
from blueprints.web.downloads import send_table
from lms_bridge.accounts import Principal
from lms_bridge.people.records import RecordsRejected
from lms_bridge.programs import CohortInvalid, CohortNotFound, EnrollmentNotFound
from lms_bridge.programs.certificates import (
    REASON_LENGTH,
    ParticipantLine,
    cohort_participants,
    issue_certificate,
    revoke_certificate,
    verification_qr_svg,
)
from lms_bridge.programs.errors import CertificateRefused, ProgramNotFound
from lms_bridge.programs.organising import (
    MAX_UPLOAD_BYTES,
    create_organised_cohort,
    enroll_upload,
    organised_cohorts,
    program_choices,
    registration_table,
)

if TYPE_CHECKING:
    from lms_bridge.models.programs import Cohort, Program

bp = Blueprint("organisers", __name__)

NAME_LENGTH = 200
YEARS = (2000, 2100)


def organised_agencies(principal: Principal) -> Collection[str] | None:
    """The agencies whose cohorts this person runs (``None``: every agency, for admins)."""
    return None if principal.is_admin else principal.agencies


def _refusal(problem: str) -> str:
    refusals: dict[str, str] = {
        "dates": _("The end date is before the start date."),
        "number": _("The cohort number must be 1 or more."),
        "exists": _("This program already has a cohort with this year and number."),
        "agency": _("The organiser must be one of your agencies."),
        "too_large": _("The file is larger than %(size)d MiB.", size=MAX_UPLOAD_BYTES >> 20),
        "not_completed": _("This participant has not completed and passed the program."),
        "issued": _("This participant's certificate has been issued already."),
        "not_issued": _("This participant has no certificate."),
        "revoked": _("This certificate has been revoked already."),
        "reason": _("Give a reason (at most %(length)d characters).", length=REASON_LENGTH),
    }
    return refusals.get(problem) or str(_("The request was refused."))


@bp.route("/organiser/cohorts")
@role_required("organiser")
def index() -> ResponseReturnValue:
    """The cohorts the organiser's agencies run, newest first."""
    principal = current_principal()
    return render_template(
        "web/organiser_cohorts.html", cohorts=organised_cohorts(organised_agencies(principal))
    )


def _form_errors(
    form: dict[str, str], principal: Principal
) -> tuple[dict[str, str], dict[str, object]]:
    """Every field's problem (in the person's language) and the values parsed."""
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    if form.get("program") not in {choice.code for choice in program_choices()}:
        errors["program"] = _("Choose a program.")
    values["program_code"] = form.get("program", "")
    for field, low, high in (("year", *YEARS), ("number", 1, 999)):
        text = form.get(field, "").strip()
        if not text.isdigit() or not low <= int(text) <= high:
            errors[field] = _("Enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        else:
            values[field] = int(text)
    name = form.get("name", "").strip()
    if not name or len(name) > NAME_LENGTH:
        errors["name"] = _("Enter a name of at most %(length)d characters.", length=NAME_LENGTH)
    values["name"] = name
    for field in ("starts_on", "ends_on"):
        try:
            values[field] = date.fromisoformat(form.get(field, "").strip())
        except ValueError:
            errors[field] = _("Enter a date (YYYY-MM-DD).")
    organiser = form.get("organiser", "").strip()
    if not organiser or len(organiser) > NAME_LENGTH:
        errors["organiser"] = _("Choose the organising agency.")
    elif not principal.is_admin and organiser not in principal.agencies:
        errors["organiser"] = _("The organiser must be one of your agencies.")
    values["organiser"] = organiser
    return errors, values


@bp.route("/organiser/cohorts/new", methods=["GET", "POST"])
@role_required("organiser")
def new() -> ResponseReturnValue:
    """A new cohort of a program's newest version, for one of the organiser's agencies."""
    principal = current_principal()
    form = (
        {key: request.form.get(key, "") for key in request.form} if request.method == "POST" else {}
    )
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors, values = _form_errors(form, principal)
        if not errors:
            try:
                cohort_id = create_organised_cohort(
                    actor=principal.email,
                    agencies=organised_agencies(principal),
                    **values,  # type: ignore[arg-type]
                )
            except CohortInvalid as refused:
                errors["form"] = _refusal(refused.problem)
            except ProgramNotFound:
                errors["program"] = _("Choose a program.")
            else:
                flash(_("The cohort was created. Enroll its participants below."), "info")
                return redirect(url_for("web.organisers.cohort", cohort_id=cohort_id))
    return (
        render_template(
            "web/organiser_new_cohort.html",
            programs=program_choices(),
            agencies=sorted(principal.agencies),
            form=form,
            errors=errors,
        ),
        400 if errors else 200,
    )


def _participants(cohort_id: int) -> tuple[Cohort, Program, list[ParticipantLine]]:
    """The cohort, its program and participants, or 404 when the person does not run it."""
    try:
        return cohort_participants(cohort_id, organised_agencies(current_principal()))
    except CohortNotFound:
        abort(404)


def _render_cohort(
    cohort_id: int, *, problems: list[object] | None = None, error: str | None = None
) -> ResponseReturnValue:
    cohort, program, participants = _participants(cohort_id)
    return (
        render_template(
            "web/organiser_cohort.html",
            cohort=cohort,
            program=program,
            participants=participants,
            problems=problems or [],
            error=error,
            max_upload=MAX_UPLOAD_BYTES >> 20,
            reason_length=REASON_LENGTH,
        ),
        400 if problems or error else 200,
    )


@bp.route("/organiser/cohorts/<int:cohort_id>")
@role_required("organiser")
def cohort(cohort_id: int) -> ResponseReturnValue:
    """A cohort: its participants, their state and certificates, the enrollment upload."""
    return _render_cohort(cohort_id)


@bp.route("/organiser/cohorts/<int:cohort_id>/enroll", methods=["POST"])
@role_required("organiser")
def enroll(cohort_id: int) -> ResponseReturnValue:
    """Enroll the participants of the uploaded file: all of them, or none and every problem."""
    principal = current_principal()
    upload: FileStorage | None = request.files.get("file")
    if upload is None or not upload.filename:
        return _render_cohort(cohort_id, error=_("Choose a CSV or XLSX file."))
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    try:
        result = enroll_upload(
            cohort_id,
            filename=upload.filename,
            data=data,
            actor=principal.email,
            agencies=organised_agencies(principal),
        )
    except CohortNotFound:
        abort(404)
    except RecordsRejected as rejected:
        return _render_cohort(cohort_id, problems=list(rejected.problems))
    except CohortInvalid as refused:
        return _render_cohort(cohort_id, error=_refusal(refused.problem))
    flash(
        _(
            "%(created)d participants enrolled, %(unchanged)d were enrolled already.",
            created=result.created,
            unchanged=result.unchanged,
        ),
        "info",
    )
    return redirect(url_for("web.organisers.cohort", cohort_id=cohort_id))


@bp.route("/organiser/cohorts/<int:cohort_id>/registrations.<file_format>")
@role_required("organiser")
def registrations(cohort_id: int, file_format: str) -> ResponseReturnValue:
    """The registration ids for the LMS (nip, nama, registrasi) as CSV or XLSX."""
    principal = current_principal()
    try:
        name, table = registration_table(cohort_id, organised_agencies(principal))
    except CohortNotFound:
        abort(404)
    return send_table(table, name, file_format, sheet_title="registrasi")


@bp.route("/organiser/cohorts/<int:cohort_id>/certificates", methods=["POST"])
@role_required("organiser")
def issue(cohort_id: int) -> ResponseReturnValue:
    """Issue the STTPL of one participant who completed and passed."""
    principal = current_principal()
    nip = request.form.get("nip", "")
    try:
        issued = issue_certificate(
            cohort_id, nip, actor=principal.email, agencies=organised_agencies(principal)
        )
    except (CohortNotFound, EnrollmentNotFound):
        abort(404)
    except CertificateRefused as refused:
        return _render_cohort(cohort_id, error=_refusal(refused.problem))
    flash(_("Certificate %(number)s issued.", number=issued.number), "info")
    return redirect(url_for("web.organisers.certificate", cohort_id=cohort_id, nip=nip))


@bp.route("/organiser/cohorts/<int:cohort_id>/certificates/<nip>")
@role_required("organiser")
def certificate(cohort_id: int, nip: str) -> ResponseReturnValue:
    """A participant's certificate: number, details, the verification address and its QR."""
    cohort, program, participants = _participants(cohort_id)
    line = next((p for p in participants if p.nip == nip and p.certificate), None)
    if line is None or line.certificate is None:
        abort(404)
    address = url_for("web.verification.show", code=line.certificate.public_code, _external=True)
    return render_template(
        "web/certificate.html",
        cohort=cohort,
        program=program,
        participant=line,
        shown=line.certificate,
        address=address,
        qr_svg=verification_qr_svg(address),
        reason_length=REASON_LENGTH,
        error=None,
    )


@bp.route("/organiser/cohorts/<int:cohort_id>/certificates/<nip>/revoke", methods=["POST"])
@role_required("organiser")
def revoke(cohort_id: int, nip: str) -> ResponseReturnValue:
    """Revoke a certificate with a reason; it stays verifiable, as revoked."""
    principal = current_principal()
    try:
        revoke_certificate(
            cohort_id,
            nip,
            reason=request.form.get("reason", ""),
            actor=principal.email,
            agencies=organised_agencies(principal),
        )
    except (CohortNotFound, EnrollmentNotFound):
        abort(404)
    except CertificateRefused as refused:
        flash(_refusal(refused.problem), "error")
    else:
        flash(_("The certificate was revoked."), "info")
    return redirect(url_for("web.organisers.certificate", cohort_id=cohort_id, nip=nip))
