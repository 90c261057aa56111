"""The JSON API under ``/api/v1``, described by an OpenAPI document at ``/api/v1/openapi.json``.

Every request passes one gate: HTTP Basic authentication with an LMS/BI client, then the
scope the endpoint declares (lms_bridge.access.api_scopes). The gate runs before the request
is parsed, so an unauthenticated caller learns nothing about what a valid request looks like.

Errors are mapped here, once, to ``{"error": <name>, "detail": <sentence>}``. A validation
failure is **400, never 422**: flask-smorest and webargs default to 422, and the service's
clients (and the xAPI half of it) treat 400 as "fix your request". Unexpected errors fall
through to the application's generic 500, which never shows the exception's text.

flask-smorest ships no type hints, so its decorators are used through :class:`ApiBlueprint`,
which gives them typed signatures and records each endpoint's scope beside its route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import flask_smorest  # type: ignore[import-untyped]
from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    request,
    send_from_directory,
)
from marshmallow import ValidationError
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import Forbidden, HTTPException

from blueprints.api.schemas import ErrorSchema
from blueprints.auth import BasicAuthRequired, authenticate
from blueprints.errors import with_error_headers
from blueprints.storable import request_fields, unstorable_field
from lms_bridge.access import AuthenticatedClient
from lms_bridge.access.api_scopes import allows
from lms_bridge.credit.decisions import (
    DecisionInvalid,
    DecisionRefused,
    EntryNotDecidable,
    EntryNotFound,
)
from lms_bridge.credit.reports import ReportError
from lms_bridge.people import PersonRejected, RecordsRejected
from xapi.errors import TooManyRequests, XAPIError
from xapi.fields import check_storable_json

PREFIX = "/api/v1"
REALM = 'Basic realm="lms_bridge API", charset="UTF-8"'
SECURITY_SCHEME = "basicAuth"
API_EXTENSION = "lms_bridge.api"
SCOPES_EXTENSION = "lms_bridge.api_scopes"

F = TypeVar("F", bound=Callable[..., Any])


class ApiParser(FlaskParser):
    """webargs' parser with the status this service answers validation failures with."""

    DEFAULT_VALIDATION_STATUS = 400


PARSER = ApiParser()


class ApiBlueprint:
    """A flask-smorest Blueprint under ``/api/v1`` whose routes each declare their scopes."""

    def __init__(self, name: str, import_name: str, *, description: str) -> None:
        self.blueprint: Any = flask_smorest.Blueprint(
            name, import_name, url_prefix=PREFIX, description=description
        )
        # An instance attribute wins over the class's 422 parser for every @arguments below.
        self.blueprint.ARGUMENTS_PARSER = PARSER
        self.scopes: dict[str, tuple[str, ...]] = {}
        # Flask refuses new handlers once a blueprint is registered, and tests build many
        # apps: the gate and the error mapping are attached here, once per process.
        self.blueprint.before_request(_gate)
        for error, handler in ERROR_HANDLERS:
            self.blueprint.register_error_handler(error, handler)

    def route(
        self, rule: str, *, methods: list[str], scopes: tuple[str, ...], summary: str
    ) -> Callable[[F], F]:
        """Register a view; a client needs one of ``scopes`` to call it."""

        def decorator(view: F) -> F:
            self.scopes[f"{self.blueprint.name}.{view.__name__}"] = scopes
            documented = self.blueprint.doc(
                summary=summary,
                security=[{SECURITY_SCHEME: []}],
                **{"x-scopes": list(scopes)},
            )(view)
            # Every operation can be refused by the gate: credentials, scope, unstorable input.
            for status, name in ((400, "BAD_REQUEST"), (401, "UNAUTHORIZED"), (403, "FORBIDDEN")):
                documented = self.blueprint.alt_response(status, name)(documented)
            self.blueprint.route(rule, methods=methods)(documented)
            return view

        return decorator

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Callable[[F], F]:
        """Parse and validate one part of the request (400 with field paths when wrong)."""
        return cast(Callable[[F], F], self.blueprint.arguments(schema, location=location, **kwargs))

    def response(self, status: int, schema: Any = None, **kwargs: Any) -> Callable[[F], F]:
        """Serialise the view's return value with ``schema``."""
        return cast(Callable[[F], F], self.blueprint.response(status, schema, **kwargs))

    def alt_response(self, status: int, **kwargs: Any) -> Callable[[F], F]:
        """Document another response of the view (an error, in the error shape by default)."""
        if "response" not in kwargs:
            kwargs.setdefault("schema", ErrorSchema)
        return cast(Callable[[F], F], self.blueprint.alt_response(status, **kwargs))

    def doc(self, **kwargs: Any) -> Callable[[F], F]:
        """Add OpenAPI fields to the view's operation verbatim."""
        return cast(Callable[[F], F], self.blueprint.doc(**kwargs))


class Api(flask_smorest.Api):  # type: ignore[misc]
    """flask-smorest's Api without its app-wide error handler: errors are mapped per family."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        """flask-smorest would answer every HTTPException of the app (the LRS's too)."""

    def handle_http_exception(self, error: HTTPException) -> Response:
        """Should a flask-smorest version register its handler anyway: still our shape, 400."""
        return _http_error(error)


def current_client() -> AuthenticatedClient:
    """The client the gate authenticated for this request."""
    client: AuthenticatedClient = g.api_client
    return client


# --- errors ----------------------------------------------------------------------------------


def error_response(status: int, error: str, detail: str, **extra: Any) -> Response:
    """The API's error shape: ``{"error", "detail"}`` plus what a client needs to fix it."""
    response = jsonify({"error": error, "detail": detail, **extra})
    response.status_code = status
    return response


def field_reasons(messages: Any, path: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"field.path": [reason, …]}``.

    webargs nests them under the request part (``query``, ``json``, ``path``); the part is
    left out, since each view's field names are unique, except that a body that is not JSON
    at all is reported on ``body``.
    """
    if isinstance(messages, Mapping):
        reasons: dict[str, list[str]] = {}
        for key, value in messages.items():
            if not path and key in ("json", "query", "querystring", "path", "view_args", "form"):
                step = "body" if key == "json" and not isinstance(value, Mapping) else ""
            elif isinstance(key, int):
                step = f"{path}[{key}]"
            else:
                step = f"{path}.{key}" if path else str(key)
            reasons.update(field_reasons(value, step))
        return reasons
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return {path or "body": list(messages)}
    if isinstance(messages, list):
        merged: dict[str, list[str]] = {}
        for item in messages:
            merged.update(field_reasons(item, path))
        return merged
    return {path or "body": [str(messages)]}


def validation_error(reasons: Mapping[str, list[str]]) -> Response:
    """400 naming every field path and its reason."""
    detail = "; ".join(f"{field}: {' '.join(texts)}" for field, texts in reasons.items())
    return error_response(400, "ValidationError", detail, fields=dict(reasons))


def _http_error(error: HTTPException) -> Response:
    data = getattr(error, "data", None)
    if isinstance(data, Mapping) and "messages" in data:
        return validation_error(field_reasons(data["messages"]))
    response = error_response(error.code or 500, type(error).__name__, error.description or "")
    return with_error_headers(response, error)


def _auth_error(error: XAPIError) -> Response:
    response = error_response(error.status, type(error).__name__, error.message)
    if isinstance(error, BasicAuthRequired):
        response.headers["WWW-Authenticate"] = REALM
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _records_rejected(error: RecordsRejected) -> Response:
    if isinstance(error, PersonRejected):
        reasons: dict[str, list[str]] = {}
        for problem in error.problems:
            reasons.setdefault(problem.column, []).append(problem.reason)
        return validation_error(reasons)
    count = len(error.problems)
    return error_response(
        400,
        type(error).__name__,
        f"berkas ditolak: {count} masalah, tidak ada yang disimpan "
        f"(file rejected: {count} problem(s), nothing was stored): {error.listed(limit=5)}",
        problems=[
            {"line": problem.line, "column": problem.column, "reason": problem.reason}
            for problem in error.problems
        ],
    )


def _report_error(error: ReportError) -> Response:
    return error_response(404, type(error).__name__, error.message)


DECISION_STATUS: dict[type[DecisionRefused], int] = {
    EntryNotFound: 404,
    EntryNotDecidable: 409,
    DecisionInvalid: 400,
}


def _decision_refused(error: DecisionRefused) -> Response:
    return error_response(
        DECISION_STATUS.get(type(error), 400), type(error).__name__, error.message
    )


def _gate() -> Response | None:
    """Authenticate, check the endpoint's scopes (an undeclared endpoint is refused), then
    refuse what no query can carry."""
    if request.method == "OPTIONS":
        return None
    client = authenticate(request.headers)
    g.api_client = client
    scopes: Mapping[str, tuple[str, ...]] = current_app.extensions[SCOPES_EXTENSION]
    needed = scopes.get(request.endpoint or "", ())
    if not allows(client.scopes, needed):
        wanted = " | ".join(needed) or "-"
        raise Forbidden(
            f"klien ini tidak punya scope {wanted} (this client lacks the scope {wanted})"
        )
    return _unstorable_input()


def _unstorable_input() -> Response | None:
    """400 naming the first path segment, parameter, header or JSON field holding a value
    the database cannot store (NUL, an integer beyond 64 bits, JSON nested too deep)."""
    fields = request_fields(
        request.view_args, request.args.to_dict(flat=False), request.headers.items()
    )
    problem = unstorable_field(fields)
    if problem is not None:
        name, reason = problem
        return validation_error({name: [reason]})
    if not request.is_json:
        return None
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        return validation_error({"body": ["JSON nested too deep"]})
    try:
        check_storable_json(body)
    except ValidationError as error:
        return validation_error(field_reasons(error.messages))
    return None


ERROR_HANDLERS: tuple[tuple[type[Exception], Callable[[Any], Response]], ...] = (
    (HTTPException, _http_error),
    (XAPIError, _auth_error),
    (RecordsRejected, _records_rejected),
    (ReportError, _report_error),
    (DecisionRefused, _decision_refused),
)


# --- the human page --------------------------------------------------------------------------

DOCS_STATIC = f"{PREFIX}/docs/static"
"""Where the Swagger UI files of the ``swagger-ui-bundle`` package are served from: the
reference page loads nothing from a CDN, so it works on an intranet without internet."""


def _swagger_ui_file(filename: str) -> Response:
    """One file of the packaged Swagger UI (its JavaScript, CSS and icons)."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def init_api(app: Flask) -> Api:
    """Create the API for ``app``: its document, its blueprints, their gate and errors."""
    app.config.update(
        API_TITLE="lms_bridge API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {
                "description": (
                    "Kredit JP (jam pelajaran) ASN, direktori, dan keputusan auditor. "
                    "JP credit of civil servants, the directory, and auditors' decisions. "
                    "HTTP Basic with an LMS/BI client; each operation names its scopes "
                    "(x-scopes); `all` grants every scope."
                )
            },
            "components": {
                "securitySchemes": {SECURITY_SCHEME: {"type": "http", "scheme": "basic"}}
            },
        },
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{DOCS_STATIC}/",
        # Swagger UI would ask validator.swagger.io to check the document: nothing external.
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
    )
    api = Api(app)
    scopes: dict[str, tuple[str, ...]] = {}
    for family in (credit_views.bp, people_views.bp, programs_views.bp, exports_views.bp):
        scopes.update(family.scopes)
        api.register_blueprint(family.blueprint)
    app.extensions[API_EXTENSION] = api
    app.extensions[SCOPES_EXTENSION] = scopes
    app.add_url_rule(f"{DOCS_STATIC}/<path:filename>", "api_docs_static", _swagger_ui_file)
    return api


from blueprints.api import credit as credit_views  # noqa: E402  (views register on their blueprints)
from blueprints.api import exports as exports_views  # noqa: E402
from blueprints.api import people as people_views  # noqa: E402
from blueprints.api import programs as programs_views  # noqa: E402

__all__ = ["ApiBlueprint", "current_client", "init_api"]
