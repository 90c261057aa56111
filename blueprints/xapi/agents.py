"""The Agents resource: GET /xapi/agents?agent=… (xAPI 1.0.3 Communication 2.4)."""

from __future__ import annotations

import orjson
from flask import Response
from werkzeug.exceptions import MethodNotAllowed

from blueprints.auth import require
from blueprints.xapi import bp
from blueprints.xapi.effective_request import current
from lms_bridge.db import db
from lms_bridge.lrs.agents import get_person
from xapi import scopes
from xapi.query import parse_agent_parameter


@bp.route("/agents", methods=["GET", "POST"])
def agents() -> Response:
    """The Person object for an agent (POST only as the alternate syntax)."""
    xapi_request = current()
    if xapi_request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
    assert xapi_request.client is not None  # the blueprint gate authenticated
    require(xapi_request.client, scopes.can_read_definitions, "reading agents")
    agent = xapi_request.parameters("GET /agents", {"agent"}, {"agent"})["agent"]
    person = get_person(db.session(), parse_agent_parameter(agent))
    return Response(orjson.dumps(person), mimetype="application/json")
