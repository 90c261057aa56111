"""An entry's page: the entry, its evidence, its status and history; the auditor's decisions.

Each decision is its own small form (verify, reject, send back for revision, correct JP), so
it works from the keyboard without JavaScript. A refused decision shows the page again with
the reason in the person's language and what they typed kept. Attachments are served from
here only, scoped to the entry, as bytes a browser will not run.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from blueprints.web.downloads import safe_filename
from blueprints.web.i18n import selected_locale
from blueprints.web.workbench import (
    action_label,
    decidable_agencies,
    readable_agencies,
    refusal_message,
    status_label,
)
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import (
    DecisionRefused,
    EntryNotFound,
    correct_credit,
    reject_credit,
    send_back_credit,
    verify_credit,
)
from lms_bridge.credit.queue import entry_page, evidence_attachment
from lms_bridge.db import db

bp = Blueprint("entries", __name__)

ACTIONS = ("verify", "reject", "revise", "correct")
ATTACHMENT_HEADERS = {
    # Whatever the bytes are, they run nothing: no script, no plugin, no same-origin access.
    "Content-Security-Policy": "sandbox; default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


class JpUnreadable(ValueError):
    """The JP typed is not a number."""


def _render(entry_id: int, *, error: str | None = None, status: int = 200) -> ResponseReturnValue:
    principal = current_principal()
    shown = entry_page(
        db.session(),
        current_policy(),
        entry_id,
        agencies=readable_agencies(principal),
        language=selected_locale(),
    )
    if shown is None:
        abort(404)
    agency = shown.item.agency
    return (
        render_template(
            "web/entry.html",
            shown=shown,
            item=shown.item,
            may_decide=agency is not None and principal.may_decide(agency),
            error=error,
            form=request.form if error else {},
            status_label=status_label,
            action_label=action_label,
        ),
        status,
    )


@bp.route("/entries/<int:entry_id>")
@role_required("auditor", "viewer")
def show(entry_id: int) -> ResponseReturnValue:
    """The entry with its evidence and history (404 outside the person's agencies)."""
    return _render(entry_id)


def _jp(text: str) -> Decimal:
    """JP as a person types it: ``1,5`` or ``1.5``."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation as error:
        raise JpUnreadable from error
    if not value.is_finite():
        raise JpUnreadable
    return value


@bp.route("/entries/<int:entry_id>/decide", methods=["POST"])
@role_required("auditor")
def decide(entry_id: int) -> ResponseReturnValue:
    """Apply one decision; the entry's page shows what it did, or why it was refused."""
    principal = current_principal()
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    reason = request.form.get("reason", "")
    by, agencies = principal.email, decidable_agencies(principal)
    policy = current_policy()
    try:
        if action == "verify":
            verify_credit(policy, entry_id, decided_by=by, reason=reason, agencies=agencies)
        elif action == "reject":
            reject_credit(policy, entry_id, decided_by=by, reason=reason, agencies=agencies)
        elif action == "revise":
            send_back_credit(policy, entry_id, decided_by=by, reason=reason, agencies=agencies)
        else:
            jp = _jp(request.form.get("jp", ""))
            correct_credit(policy, entry_id, jp=jp, decided_by=by, reason=reason, agencies=agencies)
    except EntryNotFound:
        abort(404)
    except JpUnreadable:
        return _render(entry_id, error=_("Write JP as a number, e.g. 1,5."), status=400)
    except DecisionRefused as refused:
        return _render(entry_id, error=refusal_message(refused), status=400)
    flash(
        {
            "verify": _("The entry is verified."),
            "reject": _("The entry is rejected."),
            "revise": _("The entry is sent back for revision."),
            "correct": _("The entry's JP is corrected and verified."),
        }[action],
        "info",
    )
    return redirect(url_for("web.entries.show", entry_id=entry_id))


@bp.route("/entries/<int:entry_id>/attachments/<sha2>")
@role_required("auditor", "viewer")
def attachment(entry_id: int, sha2: str) -> ResponseReturnValue:
    """A certificate or other attachment of the entry's evidence.

    PDFs and images open in place; anything else (HTML included) downloads as bytes.
    """
    if not sha2.isalnum() or len(sha2) > 128:
        abort(404)
    found = evidence_attachment(
        db.session(), entry_id, sha2, agencies=readable_agencies(current_principal())
    )
    if found is None:
        abort(404)
    response = Response(found.content, mimetype=found.content_type)
    disposition = "inline" if found.inline else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="{safe_filename(found.filename)}"'
    )
    response.headers.update(ATTACHMENT_HEADERS)
    return response
