"""The statement browser (administrators and auditors): stored statements filtered by
person, verb, activity, LMS and time, readable and raw; an auditor sees the statements of
the people of their agencies, and another agency's statement is 404."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from blueprints.web.i18n import selected_locale
from blueprints.web.workbench import readable_agencies
from lms_bridge.credit import current_policy
from lms_bridge.credit.statement_browser import (
    StatementFilter,
    StatementNotVisible,
    read_statement,
    read_statement_page,
)

bp = Blueprint("statements", __name__)

TEXT_LENGTH = 500
CURSOR_LENGTH = 100


def _day(name: str, *, end: bool = False) -> datetime | None:
    """A form's date as the instant its day starts (or the next day starts) in the policy's
    zone; ValueError when it is not a date."""
    value = request.args.get(name, "")
    if not value:
        return None
    day = date.fromisoformat(value) + (timedelta(days=1) if end else timedelta(0))
    return datetime(day.year, day.month, day.day, tzinfo=current_policy().time_zone)


@bp.route("/statements")
@role_required("auditor")
def index() -> ResponseReturnValue:
    """A page of statements, newest first, filtered."""
    principal = current_principal()
    args = request.args
    problem = None
    client = args.get("client", "")
    try:
        stored_from, stored_to = _day("from"), _day("to", end=True)
    except ValueError:
        stored_from = stored_to = None
        problem = _("Dates are written YYYY-MM-DD.")
    wanted = StatementFilter(
        person=args.get("person", "")[:TEXT_LENGTH],
        verb=args.get("verb", "")[:TEXT_LENGTH],
        activity=args.get("activity", "")[:TEXT_LENGTH],
        client_id=int(client) if client.isdigit() and len(client) < 19 else None,
        stored_from=stored_from,
        stored_to=stored_to,
    )
    page, clients = read_statement_page(
        current_policy(),
        wanted,
        agencies=readable_agencies(principal),
        language=selected_locale(),
        after=args.get("after", "")[:CURSOR_LENGTH],
    )
    chosen = {key: value for key, value in args.items() if key != "after" and value}
    return render_template(
        "web/statements.html",
        page=page,
        clients=clients,
        chosen=chosen,
        problem=problem,
    ), (400 if problem else 200)


@bp.route("/statements/<statement_id>")
@role_required("auditor")
def show(statement_id: str) -> ResponseReturnValue:
    """One statement, readable and raw."""
    try:
        found = read_statement(
            current_policy(),
            statement_id[:40],
            agencies=readable_agencies(current_principal()),
            language=selected_locale(),
        )
    except StatementNotVisible:
        abort(404)
    return render_template("web/statement.html", item=found)
