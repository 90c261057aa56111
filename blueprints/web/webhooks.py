"""Webhooks (administrators): subscriptions, their deliveries, failures with the receiver's
answer, and "retry now" (the ``deliver`` worker sends it on its next pass)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from lms_bridge.programs.delivery_log import (
    SHOWN_DELIVERIES,
    DeliveryNotFound,
    read_webhook_log,
    retry_delivery_now,
)

bp = Blueprint("webhooks", __name__)

STATUSES = ("pending", "delivered", "failed")


@bp.route("/admin/webhooks")
@role_required("admin")
def index() -> ResponseReturnValue:
    """Subscriptions and the newest deliveries, optionally only one status."""
    status = request.args.get("status", "")
    if status and status not in STATUSES:
        abort(400)
    return render_template(
        "web/webhooks.html",
        log=read_webhook_log(status=status or None),
        status=status,
        statuses=STATUSES,
        shown=SHOWN_DELIVERIES,
    )


@bp.route("/admin/webhooks/deliveries/<int:delivery_id>/retry", methods=["POST"])
@role_required("admin")
def retry(delivery_id: int) -> ResponseReturnValue:
    """Make one delivery due now."""
    try:
        retried = retry_delivery_now(delivery_id, actor=current_principal().email)
    except DeliveryNotFound:
        abort(404)
    if retried:
        flash(
            _("Delivery %(id)d is due now; the delivery worker sends it next.", id=delivery_id),
            "info",
        )
    else:
        flash(_("Delivery %(id)d was already delivered.", id=delivery_id), "error")
    return redirect(url_for("web.webhooks.index", status=request.form.get("status") or None))
