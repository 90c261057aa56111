"""The verification queue: open entries of the agencies a person sees, and bulk verification.

Auditors and admins decide; viewers read the same page without its forms. The filters are a
plain GET form and the bulk verification a plain POST form of labelled checkboxes, so the
page works from the keyboard and without JavaScript.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from blueprints.web.access import current_principal, role_required
from blueprints.web.account import safe_next
from blueprints.web.i18n import selected_locale
from blueprints.web.workbench import (
    decidable_agencies,
    may_decide_any,
    readable_agencies,
    refusal_message,
    status_label,
)
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import DecisionRefused, EntryNotFound, verify_credits
from lms_bridge.credit.queue import SORTS, QueueError, QueueFilter, queue_choices, queue_page
from lms_bridge.db import db

bp = Blueprint("queue", __name__)

FILTERS = ("agency", "unit", "form", "rule", "client", "from", "to", "sort")


class FilterInvalid(ValueError):
    """A filter value the person typed cannot be read; the message is translated."""


def _date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise FilterInvalid(_("Write dates as YYYY-MM-DD, e.g. 2026-03-31.")) from error


def _filters() -> tuple[QueueFilter, str]:
    """The queue's filters from the query string (empty means any)."""
    args = request.args

    def chosen(name: str) -> str | None:
        return args.get(name, "").strip() or None

    client = chosen("client")
    if client is not None and not client.isdigit():
        raise FilterInvalid(_("Choose an LMS from the list."))
    sort = chosen("sort") or "oldest"
    if sort not in SORTS:
        raise FilterInvalid(_("Choose a sort order from the list."))
    filters = QueueFilter(
        agency=chosen("agency"),
        unit=chosen("unit"),
        form=chosen("form"),
        rule_id=chosen("rule"),
        client_id=int(client) if client else None,
        date_from=_date("from"),
        date_to=_date("to"),
    )
    return filters, sort


def current_filters() -> dict[str, str]:
    """The filters of this request, to carry into the next page's link."""
    return {name: request.args[name] for name in FILTERS if request.args.get(name)}


@bp.route("/queue")
@role_required("auditor", "viewer")
def index() -> ResponseReturnValue:
    """A page of the queue with each entry's evidence."""
    principal = current_principal()
    agencies = readable_agencies(principal)
    if request.args.get("agency") and not principal.sees_agency(request.args["agency"]):
        abort(404)
    error = None
    status = 200
    page = None
    session, policy = db.session(), current_policy()
    try:
        filters, sort = _filters()
        page = queue_page(
            session,
            policy,
            agencies=agencies,
            filters=filters,
            sort=sort,
            after=request.args.get("after") or None,
            language=selected_locale(),
        )
    except FilterInvalid as problem:
        error, status = str(problem), 400
    except QueueError:
        error = _("This page of the queue no longer exists: start again from the first page.")
        status = 400
    return (
        render_template(
            "web/queue.html",
            page=page,
            error=error,
            choices=queue_choices(session, policy, agencies=agencies),
            chosen=request.args,
            filters=current_filters(),
            may_decide=principal.may_decide,
            decides=may_decide_any(principal),
            status_label=status_label,
            sorts={
                "oldest": _("Oldest first"),
                "newest": _("Newest first"),
                "jp_high": _("Most JP first"),
                "jp_low": _("Fewest JP first"),
            },
        ),
        status,
    )


def _entry_ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not value.isdigit():
            abort(400)
        ids.append(int(value))
    return ids


@bp.route("/queue/verify", methods=["POST"])
@role_required("auditor")
def verify_selection() -> ResponseReturnValue:
    """Verify every chosen entry, or none of them (the page says why)."""
    principal = current_principal()
    back = safe_next(request.form.get("back") or url_for("web.queue.index"))
    try:
        verified = verify_credits(
            current_policy(),
            _entry_ids(request.form.getlist("entry")),
            decided_by=principal.email,
            agencies=decidable_agencies(principal),
        )
    except EntryNotFound:
        abort(404)
    except DecisionRefused as refused:
        flash(refusal_message(refused), "error")
        return redirect(back)
    flash(ngettext("%(num)d entry verified.", "%(num)d entries verified.", len(verified)), "info")
    return redirect(back)
