"""A person's page: their year against the target, every entry, the IP ASN estimate.

A person is seen by whoever sees their agency (another agency's people are 404). Someone
credited but not in the directory has no agency: only administrators see them.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from blueprints.web.access import current_principal, role_required
from blueprints.web.downloads import send_table
from blueprints.web.workbench import STATUS_LABELS
from lms_bridge.credit import current_policy
from lms_bridge.credit.ipasn import default_weights
from lms_bridge.credit.person_page import PersonPage, read_person_page
from lms_bridge.credit.reports import PersonUnknown, current_year
from lms_bridge.exports.agency_tables import person_entries_table
from lms_bridge.people.nip import is_nip

bp = Blueprint("people", __name__)

HISTORY_ENDPOINT = "web.entries.show"
"""The entry page with its history (blueprints/web/entries.py of the verification pages);
linked when the app has it."""

JOB_TYPE_NAMES = {
    "structural": lazy_gettext("structural"),
    "functional": lazy_gettext("functional"),
    "pelaksana": lazy_gettext("pelaksana (no structural or functional post)"),
}
ITEM_NAMES = {
    "leadership": lazy_gettext("Leadership training matching the post"),
    "functional": lazy_gettext("Functional training for the post"),
    "technical": lazy_gettext("Technical training of at least 20 JP"),
    "seminar": lazy_gettext("Seminar, workshop, internship or course"),
}


def person_page_or_404(nip: str, year: int) -> PersonPage:
    """The person's year, after the scope check: an unknown or unseen person is 404."""
    if not is_nip(nip) or not 1970 <= year <= 2999:
        abort(404)
    policy = current_policy()
    try:
        page = read_person_page(policy, default_weights(), nip=nip, year=year)
    except PersonUnknown:
        abort(404)
    agency = page.credit.agency
    principal = current_principal()
    if not (principal.is_admin or (agency is not None and principal.sees_agency(agency))):
        abort(404)
    return page


@bp.route("/people/<nip>")
@role_required()
def person(nip: str) -> ResponseReturnValue:
    """The year against the target, the estimate, every entry with its status and history."""
    year = request.args.get("year", type=int) or current_year(current_policy())
    page = person_page_or_404(nip, year)
    return render_template(
        "web/people/person.html",
        page=page,
        status_names=STATUS_LABELS,
        job_type_names=JOB_TYPE_NAMES,
        item_names=ITEM_NAMES,
        history_endpoint=HISTORY_ENDPOINT
        if HISTORY_ENDPOINT in current_app.view_functions
        else None,
    )


@bp.route("/people/<nip>/<int:year>/entri.<fmt>")
@role_required()
def download(nip: str, year: int, fmt: str) -> ResponseReturnValue:
    """The person's entries of ``year`` as CSV or XLSX."""
    page = person_page_or_404(nip, year)
    return send_table(
        person_entries_table(page.credit, page.names),
        f"{nip}-{year}-entri",
        fmt,
        sheet_title="Entri",
    )
