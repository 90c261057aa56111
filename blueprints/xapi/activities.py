"""The Activities resource: GET /xapi/activities?activityId=… (xAPI 1.0.3 Communication 2.5)."""

from __future__ import annotations

import orjson
from flask import Response
from werkzeug.exceptions import MethodNotAllowed

from blueprints.auth import require
from blueprints.xapi import bp
from blueprints.xapi.effective_request import current
from lms_bridge.db import db
from lms_bridge.lrs.activities import get_activity
from xapi import scopes
from xapi.errors import BadRequest
from xapi.fields import is_iri


@bp.route("/activities", methods=["GET", "POST"])
def activities() -> Response:
    """The Activity object with its canonical definition (POST only as the alternate syntax)."""
    xapi_request = current()
    if xapi_request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
    assert xapi_request.client is not None  # the blueprint gate authenticated
    require(xapi_request.client, scopes.can_read_definitions, "reading activities")
    what = "GET /activities"
    activity_id = xapi_request.parameters(what, {"activityId"}, {"activityId"})["activityId"]
    if not is_iri(activity_id):
        raise BadRequest(f"activityId must be an IRI, not {activity_id!r}")
    activity = get_activity(db.session(), activity_id)
    return Response(orjson.dumps(activity), mimetype="application/json")
