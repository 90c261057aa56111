"""The page people land on after signing in: their agency's year, or a chooser.

Someone who sees one agency of the directory goes straight to its year
(blueprints.web.agency_pages); someone who sees several (an administrator, an auditor of two
agencies), or whose agency has nobody in the directory yet, chooses here.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from blueprints.web.access import current_principal, role_required
from lms_bridge.db import db
from lms_bridge.people import list_agencies

bp = Blueprint("home", __name__)


@bp.route("/")
@role_required()
def index() -> ResponseReturnValue:
    """The agencies the signed-in person sees."""
    principal = current_principal()
    known = list_agencies(db.session())
    agencies = principal.visible_agencies([*known, *principal.agencies])
    if len(agencies) == 1 and agencies[0] in known:
        return redirect(url_for("web.agency.this_year", agency=agencies[0]))
    return render_template("web/home.html", agencies=agencies)
