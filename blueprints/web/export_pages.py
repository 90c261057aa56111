"""The SIASN "kursus" export page: a dry run, its downloads, the recorded export, the history.

For auditors and administrators of the agency (another agency is 404). The dry run and its
downloads record nothing; "Export and record" records the rows (and the audit trail) and
hands back the file, whose status column says which rows are new since the last export.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext

from blueprints.web.access import current_principal, require_agency, role_required
from blueprints.web.downloads import FORMATS, send_table
from blueprints.web.workbench import STATUS_LABELS
from lms_bridge.credit import current_policy
from lms_bridge.credit.reports import AgencyUnknown, current_year
from lms_bridge.db import db
from lms_bridge.exports.agency_tables import kursus_table, left_out_table
from lms_bridge.exports.siasn import KursusExport, dry_run, export_history, record_kursus_export
from lms_bridge.people import list_agencies

bp = Blueprint("exports", __name__)

ROWS_SHOWN = 200
"""Rows (and left-out entries) listed on the page; the downloads have them all."""
CHANGE_NAMES = {
    "new": lazy_gettext("new"),
    "changed": lazy_gettext("changed"),
    "exported": lazy_gettext("exported before"),
}
REASON_NAMES = {
    "not_verified": lazy_gettext("not verified"),
    "no_code": lazy_gettext("no SIASN code for the form"),
    "zero_jp": lazy_gettext("0 JP after rounding"),
    "no_nip": lazy_gettext("no valid NIP"),
}
ROUNDING_NAMES = {
    "down": lazy_gettext("down"),
    "half-up": lazy_gettext("to the nearest, halves up"),
    "up": lazy_gettext("up"),
}
TABLES = {"kursus": kursus_table, "tidak-diekspor": left_out_table}


def _exporting_agency(agency: str) -> None:
    """404 unless the person sees the agency; 403 unless they may export for it."""
    principal = require_agency(agency)
    if not principal.may_decide(agency):
        abort(403)


def _year(value: int | None) -> int:
    year = value or current_year(current_policy())
    if not 1970 <= year <= 2999:
        abort(404)
    return year


def _dry_run_or_404(agency: str, year: int) -> KursusExport:
    _exporting_agency(agency)
    try:
        return dry_run(current_policy(), agency=agency, year=year)
    except AgencyUnknown:
        abort(404)


@bp.route("/exports")
@role_required("auditor")
def index() -> ResponseReturnValue:
    """Choose an agency and year; see the dry run, download it, export it."""
    principal = current_principal()
    agencies = [
        agency
        for agency in principal.visible_agencies(
            [*list_agencies(db.session()), *principal.agencies]
        )
        if principal.may_decide(agency)
    ]
    agency = request.args.get("agency") or (agencies[0] if agencies else None)
    year = _year(request.args.get("year", type=int))
    export = _dry_run_or_404(agency, year) if agency is not None else None
    history = export_history(agency=agency, year=year) if agency is not None else []
    return render_template(
        "web/exports/index.html",
        agencies=agencies,
        agency=agency,
        year=year,
        export=export,
        history=history,
        row_limit=ROWS_SHOWN,
        change_names=CHANGE_NAMES,
        reason_names=REASON_NAMES,
        rounding_names=ROUNDING_NAMES,
        status_names=STATUS_LABELS,
    )


@bp.route("/exports/<agency>/<int:year>/<table>.<fmt>")
@role_required("auditor")
def download(agency: str, year: int, table: str, fmt: str) -> ResponseReturnValue:
    """The dry run's rows, or what it leaves out, as CSV or XLSX (nothing is recorded)."""
    if table not in TABLES:
        abort(404)
    export = _dry_run_or_404(agency, _year(year))
    return send_table(
        TABLES[table](export), f"siasn-{table}-{agency}-{year}-uji-coba", fmt, sheet_title=table
    )


@bp.route("/exports", methods=["POST"])
@role_required("auditor")
def record() -> ResponseReturnValue:
    """Make the export for real: recorded (rows, who, when, audit trail), sent as a file."""
    agency = request.form.get("agency", "")
    year = _year(request.form.get("year", type=int))
    fmt = request.form.get("fmt", "xlsx")
    if fmt not in FORMATS:
        abort(400)
    _exporting_agency(agency)
    try:
        export = record_kursus_export(
            current_policy(), agency=agency, year=year, exported_by=current_principal().email
        )
    except AgencyUnknown:
        abort(404)
    assert export.recorded is not None
    return send_table(
        kursus_table(export),
        f"siasn-kursus-{agency}-{year}-ekspor-{export.recorded.id}",
        fmt,
        sheet_title="kursus",
    )
