"""LMS clients (administrators): who may post statements, create one, revoke one.

A new client's secret is shown once, on the page that answers the creation POST; it is not
put in a flash message or the session, so reloading or going back never shows it again.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from blueprints.web.access import current_principal, role_required
from lms_bridge.access import KNOWN_SCOPES, ClientError
from lms_bridge.access.overview import client_overview, create_client_as, revoke_client_as
from lms_bridge.db import db
from lms_bridge.settings import current_settings
from xapi import scopes as xapi_scopes

bp = Blueprint("clients", __name__)

NAME_LENGTH = 200


def _page(**context: object) -> str:
    return render_template(
        "web/clients.html",
        clients=client_overview(db.session()),
        known_scopes=sorted(KNOWN_SCOPES),
        default_scopes=xapi_scopes.DEFAULT,
        **context,
    )


@bp.route("/admin/clients")
@role_required("admin")
def index() -> ResponseReturnValue:
    """Every client with what it has sent; the creation form."""
    return _page()


@bp.route("/admin/clients", methods=["POST"])
@role_required("admin")
def create() -> ResponseReturnValue:
    """Create a client and show its secret, this once."""
    principal = current_principal()
    name = request.form.get("name", "").strip()[:NAME_LENGTH]
    scopes = request.form.getlist("scope")
    try:
        created = create_client_as(
            principal.email, name, scopes, hash_method=current_settings().secret_hash_method
        )
    except ClientError:
        problem = _("A client needs a name.") if not name else _("Choose scopes from the list.")
        return _page(problem=problem, entered_name=name), 400
    return render_template("web/client_created.html", created=created)


@bp.route("/admin/clients/<key>/revoke", methods=["POST"])
@role_required("admin")
def revoke(key: str) -> ResponseReturnValue:
    """Revoke a client: its next request is refused."""
    try:
        revoke_client_as(current_principal().email, key)
    except ClientError:
        flash(_("There is no such client."), "error")
        return redirect(url_for("web.clients.index"))
    flash(_("Client %(key)s is revoked; its next request is refused.", key=key), "info")
    return redirect(url_for("web.clients.index"))
