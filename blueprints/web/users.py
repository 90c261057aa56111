"""Users and roles (administrators): accounts, a new one with its one-time password, disable,
reset the password (shown once), change role and agencies. The accounts service audits each."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from lms_bridge.accounts import (
    ROLES,
    AccountInvalid,
    AccountNotFound,
    change_access,
    create_user,
    disable_user,
    list_users,
    reset_password,
)
from lms_bridge.db import db
from lms_bridge.people import list_agencies
from lms_bridge.settings import current_settings

bp = Blueprint("users", __name__)

TEXT_LENGTH = 320


def _agencies() -> list[str]:
    chosen = request.form.getlist("agency")
    typed = request.form.get("agencies", "")
    return chosen + [line.strip() for line in typed.splitlines() if line.strip()]


def _page(**context: object) -> str:
    return render_template(
        "web/users.html",
        users=list_users(),
        roles=ROLES,
        agencies=list_agencies(db.session()),
        **context,
    )


@bp.route("/admin/users")
@role_required("admin")
def index() -> ResponseReturnValue:
    """Every account; the creation form."""
    return _page()


@bp.route("/admin/users", methods=["POST"])
@role_required("admin")
def create() -> ResponseReturnValue:
    """Create an account and show its one-time password, this once."""
    email = request.form.get("email", "").strip()[:TEXT_LENGTH]
    nip = request.form.get("nip", "").strip()[:TEXT_LENGTH]
    try:
        issued = create_user(
            email,
            request.form.get("name", "")[:TEXT_LENGTH],
            request.form.get("role", ""),
            _agencies(),
            nip=nip or None,
            actor=current_principal().email,
            hash_method=current_settings().secret_hash_method,
        )
    except AccountInvalid:
        problem = _(
            "Check the email, name, role and agencies (an auditor, viewer, instructor or "
            "coach needs an agency); the email must not have an account yet."
        )
        if nip:
            problem += " " + _("A NIP has 18 digits and belongs to one account only.")
        return _page(problem=problem), 400
    return render_template("web/password_issued.html", issued=issued)


@bp.route("/admin/users/<path:email>/disable", methods=["POST"])
@role_required("admin")
def disable(email: str) -> ResponseReturnValue:
    """The account can no longer sign in; its sessions end."""
    if email == current_principal().email:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("web.users.index"))
    try:
        disable_user(email, actor=current_principal().email)
    except AccountNotFound:
        flash(_("There is no such account."), "error")
        return redirect(url_for("web.users.index"))
    flash(_("%(email)s is disabled.", email=email), "info")
    return redirect(url_for("web.users.index"))


@bp.route("/admin/users/<path:email>/reset", methods=["POST"])
@role_required("admin")
def reset(email: str) -> ResponseReturnValue:
    """A new one-time password, shown once."""
    try:
        issued = reset_password(
            email,
            actor=current_principal().email,
            hash_method=current_settings().secret_hash_method,
        )
    except AccountNotFound:
        flash(_("There is no such account."), "error")
        return redirect(url_for("web.users.index"))
    return render_template("web/password_issued.html", issued=issued)


@bp.route("/admin/users/<path:email>/access", methods=["POST"])
@role_required("admin")
def access(email: str) -> ResponseReturnValue:
    """Another role or other agencies; the account's sessions end."""
    try:
        change_access(
            email, request.form.get("role", ""), _agencies(), actor=current_principal().email
        )
    except AccountNotFound:
        flash(_("There is no such account."), "error")
    except AccountInvalid:
        flash(_("An auditor, viewer, instructor or coach needs at least one agency."), "error")
    else:
        flash(_("The role of %(email)s is changed.", email=email), "info")
    return redirect(url_for("web.users.index"))
