"""The Learning Record Store under ``/xapi``: one module per xAPI resource.

Every request passes the same gate, in this order: unwrap the alternate request syntax,
negotiate the version, authenticate, refuse parameters and headers no query can carry
(blueprints.storable). Every response carries ``X-Experience-API-Version``.
Errors map to statuses once, here: validation failures are 400, never 422.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from blueprints.auth import BasicAuthRequired, authenticate
from blueprints.errors import with_error_headers
from blueprints.storable import request_fields, unstorable_field
from blueprints.xapi.effective_request import read_request
from lms_bridge.db import utcnow
from xapi.errors import BadRequest, TooManyRequests, XAPIError
from xapi.fields import format_timestamp
from xapi.versions import HEADER, VERSION_1, VERSION_2, negotiate

logger = logging.getLogger(__name__)

bp = Blueprint("xapi", __name__, url_prefix="/xapi")

UNVERSIONED_ENDPOINTS = frozenset({"xapi.about"})
CONSISTENT_ENDPOINTS = frozenset({"xapi.statements", "xapi.more_statements"})
CONSISTENT_THROUGH = "X-Experience-API-Consistent-Through"


@bp.before_request
def open_xapi_request() -> None:
    """Unwrap, negotiate, authenticate, refuse what no query can carry: the gate every xAPI
    request passes."""
    if request.method == "OPTIONS":
        return
    xapi_request = read_request()
    g.xapi_request = xapi_request
    if request.endpoint in UNVERSIONED_ENDPOINTS:
        return
    xapi_request.negotiated_version = negotiate(xapi_request.headers.get(HEADER))
    if xapi_request.alternate and xapi_request.negotiated_version == VERSION_2:
        raise XAPIError("xAPI 2.0.0 removed the alternate request syntax; send a plain request")
    xapi_request.client = authenticate(xapi_request.headers)
    problem = unstorable_field(
        request_fields(request.view_args, xapi_request.args, xapi_request.headers.items())
    )
    if problem is not None:
        name, reason = problem
        raise BadRequest(f"{name} {reason}")


@bp.after_request
def stamp_version(response: Response) -> Response:
    """xAPI 1.0.3 Communication 3.3: every response names the version it follows.

    A request that named no usable version gets the configured default: the 1.0.3 and
    2.0.0 conformance suites disagree on what it should be.
    """
    xapi_request = g.get("xapi_request")
    version: str | None = xapi_request.negotiated_version if xapi_request else None
    if version is None:
        header = xapi_request.headers.get(HEADER, "") if xapi_request else ""
        settings = current_app.extensions["lms_bridge.settings"]
        version = VERSION_1 if header.startswith("1.0") else settings.default_xapi_version
    response.headers[HEADER] = version
    if request.endpoint in CONSISTENT_ENDPOINTS and CONSISTENT_THROUGH not in response.headers:
        # Communication 2.1.3: every statement GET answer, errors included, carries it.
        response.headers[CONSISTENT_THROUGH] = format_timestamp(utcnow())
    return response


def _error_response(status: int, error: str, detail: str) -> Response:
    response = jsonify({"error": error, "detail": detail})
    response.status_code = status
    return response


@bp.errorhandler(XAPIError)
def xapi_error(error: XAPIError) -> Response:
    """A refusal the spec foresees: its status and a message naming what was wrong."""
    response = _error_response(error.status, type(error).__name__, error.message)
    if isinstance(error, BasicAuthRequired):
        response.headers["WWW-Authenticate"] = error.challenge
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    """Routing and size errors (404, 405, 413) in the same JSON shape."""
    response = _error_response(error.code or 500, type(error).__name__, error.description or "")
    return with_error_headers(response, error)


from blueprints.xapi import about, activities, agents, documents, statements  # noqa: E402  (views register on bp)

__all__ = ["about", "activities", "agents", "bp", "documents", "statements"]
