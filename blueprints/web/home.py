"""The page people land on after signing in, and a page per agency they see.

A placeholder for the agency's year (issue 13): it lists the agencies the person sees and
links each to its page, which other agencies' people get as a 404.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from blueprints.web.access import current_principal, require_agency, role_required
from lms_bridge.people import list_agencies

bp = Blueprint("home", __name__)


@bp.route("/")
@role_required()
def index() -> ResponseReturnValue:
    """The agencies the signed-in person sees."""
    principal = current_principal()
    known = list_agencies()
    agencies = principal.visible_agencies([*known, *principal.agencies])
    return render_template("web/home.html", agencies=agencies)


@bp.route("/agencies/<agency>")
@role_required()
def agency(agency: str) -> ResponseReturnValue:
    """One agency's page (404 for anyone who does not see it)."""
    principal = require_agency(agency)
    return render_template(
        "web/agency.html", agency=agency, may_decide=principal.may_decide(agency)
    )
