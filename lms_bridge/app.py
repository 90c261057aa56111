"""The composition root: settings → extensions → blueprints → error handlers → CLI.

Nothing is built at import time; ``create_app(settings)`` wires everything, so tests pass
their own settings and gunicorn calls it once per worker through ``wsgi.py``.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from re import Pattern
from typing import Any

from flask import Flask, Response, jsonify, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from blueprints.api import init_api
from blueprints.errors import with_error_headers
from blueprints.ops import init_ops
from blueprints.throttle import init_throttle
from blueprints.web import init_web
from blueprints.web.errors import error_page
from blueprints.web.sessions import is_machine_path
from blueprints.xapi import bp as xapi_blueprint
from lms_bridge.cli import register_commands
from lms_bridge.credit import active_policy, install_policy
from lms_bridge.db import (
    configure_sqlite,
    db,
    load_uuids_as_text,
    ping_after_idle,
    sqlalchemy_url,
)
from lms_bridge.observability.logs import configure_logging
from lms_bridge.settings import TRANSACTION_POOLER, Settings

logger = logging.getLogger(__name__)

CORS_ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
    "X-Experience-API-Version",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
    "WWW-Authenticate",
]


def engine_options(url: str, pooler: str) -> dict[str, Any]:
    """SQLAlchemy engine options for ``pooler``.

    psycopg prepares a query on the server once it has run ``prepare_threshold`` (5) times
    on a connection; behind PgBouncer's transaction pooling (before 1.21) the next run may
    land on another server connection, which answers "prepared statement does not exist".
    ``prepare_threshold=None`` turns that off for the connection, and so for every query on
    it: SQLAlchemy's and the driver calls of lms_bridge.sql alike (they run on the
    session's own connection).
    """
    if pooler == TRANSACTION_POOLER and url.startswith("postgresql"):
        return {"connect_args": {"prepare_threshold": None}}
    return {}


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    url = sqlalchemy_url(settings.database_url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(url, settings.database_pooler),
        SQLALCHEMY_ECHO=settings.sql_echo,
        # Multipart framing and form encoding add a little to the statement limit.
        MAX_CONTENT_LENGTH=settings.max_body_bytes + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["lms_bridge.settings"] = settings

    install_policy(app, settings.policy_file)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        else:
            ping_after_idle(db.engine)
            load_uuids_as_text(db.engine)

    _allow_cross_origin(app, settings)
    app.before_request(_look_for_an_applied_policy)
    app.after_request(_harden)

    init_throttle(app, settings)  # failed sign-ins, per key and per address
    init_ops(app)  # /healthz, /readyz, /metrics; request ids and request metrics
    app.register_blueprint(xapi_blueprint)
    init_api(app)  # /api/v1 and its OpenAPI document
    init_web(app, settings)  # pages for people: sessions only there (not /xapi, /api/v1)
    _register_error_handlers(app)

    register_commands(app)
    if settings.proxy_hops:
        # Behind a proxy every request comes from its address; sign-in limits need the
        # person's. Only the hops configured are trusted (a client can forge the rest).
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops
        )
    return app


def cors_origins(setting: str) -> list[str]:
    """A comma-separated origins setting as a list (``*`` stays ``*``)."""
    return [origin.strip() for origin in setting.split(",") if origin.strip()]


def _allow_cross_origin(app: Flask, settings: Settings) -> None:
    """CORS for /xapi (browser-run xAPI content) and, when configured, for /api/v1.

    ``*`` is answered as ``*`` (send_wildcard), never by echoing the caller's origin, and no
    credentials mode is offered: content authenticates with the Authorization header it
    sends, which ``*`` allows, while cookies of another site could never ride along.
    """
    resources: dict[str | Pattern[str], dict[str, Any]] = {}
    xapi_origins = cors_origins(settings.xapi_cors_origins)
    if xapi_origins:
        resources[r"/xapi/*"] = {"origins": xapi_origins}
    api_origins = cors_origins(settings.api_cors_origins)
    if api_origins:
        resources[r"/api/v1/*"] = {"origins": api_origins}
    if not resources:
        return
    CORS(
        app,
        resources=resources,
        send_wildcard=True,
        supports_credentials=False,
        allow_headers=CORS_ALLOWED_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        max_age=86400,
    )


PUBLIC_PATHS = ("/xapi/about", "/api/v1/openapi.json", "/api/v1/docs", "/static/")
"""What holds no personal data and may be cached: the LRS's about, the API's description,
the pages' style sheet and images."""


POLICY_FREE_PATHS = (*PUBLIC_PATHS, "/healthz", "/readyz", "/metrics")
"""What never credits or shows credit: no look for an applied policy before these."""


def _look_for_an_applied_policy() -> None:
    """Before the request opens a transaction (lms_bridge.credit.active_policy says why)."""
    if not request.path.startswith(POLICY_FREE_PATHS):
        active_policy().get()


def _harden(response: Response) -> Response:
    """Every response: no content sniffing; anything personal (statements, documents, credit,
    people, errors about them) is never stored by a browser or a proxy."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not request.path.startswith(PUBLIC_PATHS):
        response.headers["Cache-Control"] = "no-store"
    return response


def _register_error_handlers(app: Flask) -> None:
    """Outside the blueprints' own handlers: JSON errors for machines, pages in the person's
    language for people, and a 500 that reveals nothing."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if not is_machine_path(request.path):
            return error_page(error.code or 500, error)
        response = jsonify({"error": type(error).__name__, "detail": error.description})
        response.status_code = error.code or 500
        return with_error_headers(response, error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        logger.exception("unexpected error", exc_info=error)
        if not is_machine_path(request.path):
            return error_page(500)
        response = jsonify(
            {"error": "InternalServerError", "detail": "the server failed; the error was logged"}
        )
        response.status_code = 500
        return response
