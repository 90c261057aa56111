"""The agency's year: what an auditor or an agency's head opens first after signing in."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from blueprints.web.access import current_principal, require_agency, role_required
from blueprints.web.charts import column_chart, share_chart
from blueprints.web.downloads import send_table
from lms_bridge.credit import current_policy
from lms_bridge.credit.agency_year import AgencyYear, read_agency_year
from lms_bridge.credit.reports import AgencyUnknown, current_year
from lms_bridge.db import db
from lms_bridge.exports.agency_tables import AGENCY_TABLES, range_label
from lms_bridge.people import list_agencies

bp = Blueprint("agency", __name__)

BELOW_TARGET_SHOWN = 500
"""People below target listed for the chosen unit; the download has everyone. The page
lists units with their counts and one unit's people at a time (``?unit=``): a province's
whole list (thousands of rows) is the download's job, not the page's."""
YEARS = range(1970, 3000)


def _year_or_404(year: int) -> int:
    if year not in YEARS:
        abort(404)
    return year


def agency_year_or_404(agency: str, year: int) -> AgencyYear:
    """The agency's figures, after the scope check; an unknown agency is a 404."""
    require_agency(agency)
    try:
        return read_agency_year(current_policy(), agency=agency, year=_year_or_404(year))
    except AgencyUnknown:
        abort(404)


@bp.route("/agencies")
@role_required()
def choose() -> ResponseReturnValue:
    """The chooser's answer: the chosen agency's page for the chosen year."""
    agency = request.args.get("agency", "")
    year = request.args.get("year", type=int) or current_year(current_policy())
    require_agency(agency)
    return redirect(url_for("web.agency.year", agency=agency, year=_year_or_404(year)))


@bp.route("/agencies/<agency>")
@role_required()
def this_year(agency: str) -> ResponseReturnValue:
    """The agency's current year (in the policy's time zone)."""
    require_agency(agency)
    return redirect(url_for("web.agency.year", agency=agency, year=current_year(current_policy())))


@bp.route("/agencies/<agency>/<int:year>")
@role_required()
def year(agency: str, year: int) -> ResponseReturnValue:
    """Staff, target reached, JP by form and path, pending, PPPK, charts, who is below."""
    figures = agency_year_or_404(agency, year)
    summary = figures.summary
    bins = figures.distribution
    labels = [range_label(b.low, b.high) for b in bins]
    target_index = next((i for i, b in enumerate(bins) if b.reaches_target), None)
    principal = current_principal()
    below = [u.unit for u in figures.units if u.below_target]
    chosen = request.args.get("unit") or (below[0] if len(below) == 1 else None)
    return render_template(
        "web/agency/year.html",
        agency=agency,
        year=figures,
        agencies=principal.visible_agencies([*list_agencies(db.session()), *principal.agencies]),
        distribution=list(zip(labels, bins, strict=True)),
        distribution_chart=column_chart(
            labels,
            [b.people for b in bins],
            [b.reaches_target for b in bins],
            marker_index=target_index,
            marker_label=f"{summary.target_jp.normalize():f} JP",
        ),
        units_chart=share_chart(
            [u.unit for u in figures.units],
            [u.share for u in figures.units],
            target_label="100%",
        ),
        below_limit=BELOW_TARGET_SHOWN,
        chosen_unit=chosen,
    )


@bp.route("/agencies/<agency>/<int:year>/<table>.<fmt>")
@role_required()
def download(agency: str, year: int, table: str, fmt: str) -> ResponseReturnValue:
    """One of the page's tables as CSV or XLSX (the same numbers the page shows)."""
    if table not in AGENCY_TABLES:
        abort(404)
    figures = agency_year_or_404(agency, year)
    title, build = AGENCY_TABLES[table]
    return send_table(build(figures), f"{agency}-{year}-{table}", fmt, sheet_title=title)
