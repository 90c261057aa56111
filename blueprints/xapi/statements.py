"""The Statement resource: /xapi/statements (xAPI 1.0.3 Communication 2.1)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app, url_for
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.http import http_date

from blueprints.auth import require
from blueprints.xapi import CONSISTENT_THROUGH, bp
from blueprints.xapi.effective_request import XAPIRequest, current
from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import db, utcnow
from lms_bridge.ingest import record_statements
from lms_bridge.lrs.query import (
    Page,
    StatementRecord,
    attachments_of,
    continue_query,
    get_statement,
    query_statements,
)
from lms_bridge.settings import Settings
from xapi import scopes
from xapi.errors import BadRequest, PayloadTooLarge
from xapi.fields import format_timestamp
from xapi.formats import to_canonical, to_ids
from xapi.multipart import AttachmentPart, build_multipart, check_attachments, parse_multipart
from xapi.query import Format, SingleStatementQuery, parse_statement_query
from xapi.schemas import validate_statements
from xapi.signatures import verify_statement_signatures


def _settings() -> Settings:
    settings: Settings = current_app.extensions["lms_bridge.settings"]
    return settings


def _client(xapi_request: XAPIRequest) -> AuthenticatedClient:
    assert xapi_request.client is not None  # the blueprint gate authenticated
    return xapi_request.client


@bp.route("/statements", methods=["GET", "POST", "PUT"])
def statements() -> Response:
    """Dispatch on the effective method (the alternate syntax arrives as POST)."""
    xapi_request = current()
    if xapi_request.method in ("GET", "HEAD"):
        return _get(xapi_request)
    if xapi_request.method == "POST":
        return _post(xapi_request)
    if xapi_request.method == "PUT":
        return _put(xapi_request)
    raise MethodNotAllowed(valid_methods=["GET", "HEAD", "POST", "PUT"])


@bp.route("/statements/more/<token>", methods=["GET"])
def more_statements(token: str) -> Response:
    """The next page of a query (the ``more`` IRL of a StatementResult)."""
    xapi_request = current()
    if xapi_request.args:
        raise BadRequest("a 'more' IRL takes no further parameters")
    client = _client(xapi_request)
    own_only = _read_scope(client)
    query, page = continue_query(
        db.session(),
        token,
        authority_key=own_only,
        settings=_settings(),
        secret_key=str(current_app.secret_key),
    )
    accept_language = xapi_request.headers.get("Accept-Language")
    return _page_response(page, query.format, accept_language, attachments=query.attachments)


def _read_scope(client: AuthenticatedClient) -> str | None:
    """``None`` when the client reads all statements, else its authority (own only)."""
    require(client, scopes.can_read_own_statements, "reading statements")
    return None if scopes.can_read_all_statements(client.scopes) else client.authority_key


# --- writing ---------------------------------------------------------------------------


def _parse_body(xapi_request: XAPIRequest) -> tuple[Any, dict[str, AttachmentPart]]:
    """The statements JSON and any attachment parts, checked against the limits."""
    settings = _settings()
    if len(xapi_request.body) > settings.max_body_bytes:
        raise PayloadTooLarge(f"request body exceeds {settings.max_body_bytes} bytes")
    parts: dict[str, AttachmentPart] = {}
    mimetype = xapi_request.mimetype
    if mimetype == "multipart/mixed":
        multipart = parse_multipart(xapi_request.headers.get("Content-Type", ""), xapi_request.body)
        statements_json = multipart.statements_json
        parts = dict(multipart.parts)
        for part in parts.values():
            if len(part.content) > settings.max_attachment_bytes:
                raise PayloadTooLarge(
                    f"attachment {part.sha2} exceeds {settings.max_attachment_bytes} bytes"
                )
    elif mimetype == "application/json" or (xapi_request.alternate and mimetype == ""):
        statements_json = xapi_request.body
    else:
        raise BadRequest(
            "statements must be sent as application/json or multipart/mixed, "
            f"not {mimetype or 'no Content-Type'}"
        )
    try:
        payload = orjson.loads(statements_json)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not valid JSON: {error.msg}") from error
    return payload, parts


def _validated(
    xapi_request: XAPIRequest, payload: Any, parts: dict[str, AttachmentPart]
) -> list[dict[str, Any]]:
    settings = _settings()
    if isinstance(payload, list) and len(payload) > settings.max_statements_per_batch:
        raise PayloadTooLarge(
            f"{len(payload)} statements in one request; the limit is "
            f"{settings.max_statements_per_batch}"
        )
    statements = validate_statements(payload, xapi_request.version)
    check_attachments(statements, parts)
    for statement in statements:
        verify_statement_signatures(statement, parts, version=xapi_request.version)
    return statements


def _post(xapi_request: XAPIRequest) -> Response:
    xapi_request.parameters("POST /statements", allowed=())
    client = _client(xapi_request)
    require(client, scopes.can_write_statements, "writing statements")
    payload, parts = _parse_body(xapi_request)
    statements = _validated(xapi_request, payload, parts)
    result = record_statements(
        statements, client=client, version=xapi_request.version, attachments=parts
    )
    return Response(orjson.dumps(result.ids), status=200, mimetype="application/json")


def _put(xapi_request: XAPIRequest) -> Response:
    values = xapi_request.args
    unknown = set(values) - {"statementId"}
    if unknown:
        raise BadRequest(
            f"PUT /statements takes only statementId; got {', '.join(sorted(unknown))}"
        )
    given = values.get("statementId")
    if not given or len(given) != 1:
        raise BadRequest("PUT /statements needs exactly one statementId parameter")
    statement_id = given[0]
    client = _client(xapi_request)
    require(client, scopes.can_write_statements, "writing statements")
    payload, parts = _parse_body(xapi_request)
    if not isinstance(payload, dict):
        raise BadRequest("PUT /statements takes one statement object, not an array")
    if "id" in payload and str(payload["id"]).lower() != statement_id.lower():
        raise BadRequest(
            f"the statement's id {payload['id']} differs from statementId {statement_id}"
        )
    payload = {"id": statement_id, **payload} if "id" not in payload else payload
    statements = _validated(xapi_request, payload, parts)
    record_statements(statements, client=client, version=xapi_request.version, attachments=parts)
    return Response(status=204)


# --- reading ---------------------------------------------------------------------------


def _render(payload: str, statement_format: Format, accept_language: str | None) -> bytes:
    if statement_format == "exact":
        return payload.encode()
    statement = orjson.loads(payload)
    if statement_format == "ids":
        return orjson.dumps(to_ids(statement))
    return orjson.dumps(to_canonical(statement, accept_language))


def _with_attachments(body: bytes, statement_pks: list[int]) -> Response:
    parts = [
        AttachmentPart(sha2=sha2, content_type=content_type, content=content)
        for sha2, content_type, content in attachments_of(db.session(), statement_pks)
    ]
    content_type, multipart_body = build_multipart(body, parts)
    return Response(multipart_body, status=200, content_type=content_type)


def _stamp(response: Response, last_modified: Any) -> Response:
    response.headers[CONSISTENT_THROUGH] = format_timestamp(utcnow())
    if last_modified is not None:
        response.headers["Last-Modified"] = http_date(last_modified)
    return response


def _get(xapi_request: XAPIRequest) -> Response:
    client = _client(xapi_request)
    own_only = _read_scope(client)
    query = parse_statement_query(xapi_request.args)
    accept_language = xapi_request.headers.get("Accept-Language")
    if isinstance(query, SingleStatementQuery):
        record = get_statement(
            db.session(), query.statement_id, voided=query.voided, authority_key=own_only
        )
        body = _render(record.payload, query.format, accept_language)
        if query.attachments:
            return _stamp(_with_attachments(body, [record.pk]), record.stored)
        return _stamp(Response(body, status=200, mimetype="application/json"), record.stored)
    page = query_statements(
        db.session(),
        query,
        authority_key=own_only,
        settings=_settings(),
        secret_key=str(current_app.secret_key),
    )
    return _page_response(page, query.format, accept_language, attachments=query.attachments)


def _page_response(
    page: Page, statement_format: Format, accept_language: str | None, *, attachments: bool = False
) -> Response:
    more = url_for("xapi.more_statements", token=page.cursor) if page.cursor else ""
    body = b"".join(
        (
            b'{"statements":[',
            b",".join(
                _render(record.payload, statement_format, accept_language)
                for record in page.records
            ),
            b'],"more":',
            orjson.dumps(more),
            b"}",
        )
    )
    last_modified = _newest(page.records)
    if attachments:
        return _stamp(
            _with_attachments(body, [record.pk for record in page.records]), last_modified
        )
    return _stamp(Response(body, status=200, mimetype="application/json"), last_modified)


def _newest(records: list[StatementRecord]) -> Any:
    return max((record.stored for record in records), default=None)
