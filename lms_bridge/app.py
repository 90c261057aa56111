"""The composition root: settings → extensions → blueprints → error handlers → CLI.

Nothing is built at import time; ``create_app(settings)`` wires everything, so tests pass
their own settings and gunicorn calls it once per worker through ``wsgi.py``.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, Request, Response, jsonify
from flask.sessions import SecureCookieSessionInterface
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from blueprints.api import init_api
from blueprints.throttle import init_throttle
from blueprints.xapi import bp as xapi_blueprint
from lms_bridge.cli import register_commands
from lms_bridge.credit import install_policy
from lms_bridge.db import configure_sqlite, db, ping_after_idle
from lms_bridge.settings import Settings

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


class NoCookieSessions(SecureCookieSessionInterface):
    """Every caller today is a machine (LMS clients, API scripts) that authenticates each
    request; none keeps a cookie session. Flask would still open one per request (a signer
    built, a cookie looked for), so requests get Flask's null session, which refuses writes
    loudly. The people-facing pages, when they come, bring real sessions with them.
    """

    def open_session(self, app: Flask, request: Request) -> None:
        return None


def sqlalchemy_url(database_url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def create_app(settings: Settings | None = None) -> Flask:
    """Build the service for ``settings`` (read from the environment when not given)."""
    settings = settings or Settings.from_env()
    logging.basicConfig(level=settings.log_level.upper())
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    url = sqlalchemy_url(settings.database_url)
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SQLALCHEMY_DATABASE_URI=url,
        SQLALCHEMY_ECHO=settings.sql_echo,
        # Multipart framing and form encoding add a little to the statement limit.
        MAX_CONTENT_LENGTH=settings.max_body_bytes + 64 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.session_interface = NoCookieSessions()
    app.extensions["lms_bridge.settings"] = settings

    install_policy(app, settings.policy_file)
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        else:
            ping_after_idle(db.engine)

    CORS(
        app,
        resources={r"/xapi/*": {"origins": "*"}},
        allow_headers=CORS_ALLOWED_HEADERS,
        expose_headers=CORS_EXPOSED_HEADERS,
        methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
        max_age=86400,
    )

    init_throttle(app, settings)  # failed sign-ins, per key and per address
    app.register_blueprint(xapi_blueprint)
    init_api(app)  # /api/v1 and its OpenAPI document
    _register_error_handlers(app)

    register_commands(app)
    return app


def _register_error_handlers(app: Flask) -> None:
    """Outside the blueprints' own handlers: JSON errors, and a 500 that reveals nothing."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        response = jsonify({"error": type(error).__name__, "detail": error.description})
        response.status_code = error.code or 500
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        logger.exception("unexpected error", exc_info=error)
        response = jsonify(
            {"error": "InternalServerError", "detail": "the server failed; the error was logged"}
        )
        response.status_code = 500
        return response
