"""What operators and load balancers ask: /healthz, /readyz, /metrics; and per-request hooks
that give every request an id and count it.

``/healthz`` answers without touching the database (the process is alive and serving);
``/readyz`` checks the database and its migrations (lms_bridge.observability.readiness);
``/metrics`` is Prometheus' text format for a client with the ``metrics`` scope (HTTP Basic,
like every machine endpoint: a scrape config carries the credentials).
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue

from blueprints.auth import BasicAuthRequired, authenticate, require
from lms_bridge.access.api_scopes import METRICS, allows
from lms_bridge.observability.logs import REQUEST_ID, request_id_from
from lms_bridge.observability.metrics import (
    CONTENT_TYPE,
    database_figures,
    exposition,
    observe_request,
)
from lms_bridge.observability.readiness import readiness
from xapi.errors import XAPIError

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of a request no URL rule matched (a 404): raw paths would give every
scanner's probe a time series of its own."""

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Alive: the process answers (nothing else is checked, so a database outage does not
    make a supervisor restart healthy processes)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready for traffic: 200, or 503 with the reason."""
    state = readiness()
    if state.ready:
        return jsonify({"status": "ready"})
    return jsonify({"status": "not ready", "reason": state.reason, "detail": state.detail}), 503


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """Prometheus' text exposition of every worker's metrics and the database's figures."""
    client = authenticate(request.headers)
    require(client, lambda scopes: allows(scopes, (METRICS,)), "reading metrics")
    return Response(exposition(database_figures()), content_type=CONTENT_TYPE)


@bp.errorhandler(XAPIError)
def refused(error: XAPIError) -> ResponseReturnValue:
    """401/403 of /metrics in the API's JSON shape, with the Basic challenge on a 401."""
    response = jsonify({"error": type(error).__name__, "detail": error.message})
    response.status_code = error.status
    if isinstance(error, BasicAuthRequired):
        response.headers["WWW-Authenticate"] = error.challenge
    return response


def _start_request() -> None:
    g.started_at = time.perf_counter()
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _finish_request(response: Response) -> Response:
    started_at = g.get("started_at")
    if started_at is None:  # a hook before ours failed the request: nothing to time
        return response
    response.headers[REQUEST_ID_HEADER] = g.request_id
    rule = request.url_rule
    observe_request(
        request.method,
        rule.rule if rule is not None else UNMATCHED_ROUTE,
        response.status_code,
        time.perf_counter() - started_at,
    )
    return response


def _forget_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


def init_ops(app: Flask) -> None:
    """Register the endpoints and the hooks (first, so every request gets its id before
    any other hook can log)."""
    app.register_blueprint(bp)
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    app.teardown_request(_forget_request_id)
