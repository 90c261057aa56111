"""The document resources: State, Activity Profile and Agent Profile (xAPI 1.0.3
Communication 2.2, 2.3, 2.6, 2.7; concurrency 3.1).

One view per resource; the three share parsing and rendering because the spec gives them one
shape: parents (activityId, agent, registration) plus a document id, PUT replaces, POST
merges JSON objects, GET returns one document or the ids of many, DELETE removes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson
from flask import Response, current_app
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.http import http_date

from blueprints.auth import require
from blueprints.xapi import bp
from blueprints.xapi.effective_request import XAPIRequest, current
from lms_bridge.db import db
from lms_bridge.lrs.documents import (
    DocumentKind,
    DocumentSet,
    Preconditions,
    delete_documents,
    etag_of,
    get_document,
    list_document_ids,
    merge_document,
    put_document,
)
from lms_bridge.settings import Settings
from xapi import scopes
from xapi.errors import BadRequest, PayloadTooLarge
from xapi.fields import is_iri, is_uuid, parse_timestamp
from xapi.identifiers import agent_key
from xapi.query import parse_agent_parameter

METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


@dataclass(frozen=True)
class _Resource:
    """What distinguishes one document resource from another."""

    kind: DocumentKind
    scope: str
    """The xAPI scope that grants it (xapi.scopes)."""
    id_parameter: str
    parents: tuple[str, ...]
    """Required parameters naming what the documents hang from."""
    optional_parents: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.kind.value.replace("_", " ")


STATE = _Resource(
    DocumentKind.STATE, scopes.STATE, "stateId", ("activityId", "agent"), ("registration",)
)
ACTIVITY_PROFILE = _Resource(
    DocumentKind.ACTIVITY_PROFILE, scopes.PROFILE, "profileId", ("activityId",)
)
AGENT_PROFILE = _Resource(DocumentKind.AGENT_PROFILE, scopes.PROFILE, "profileId", ("agent",))


@bp.route("/activities/state", methods=["GET", "PUT", "POST", "DELETE"])
def activity_state() -> Response:
    """Communication 2.3: documents of one agent in one activity (and registration)."""
    return _dispatch(STATE)


@bp.route("/activities/profile", methods=["GET", "PUT", "POST", "DELETE"])
def activity_profile() -> Response:
    """Communication 2.7: documents about an activity."""
    return _dispatch(ACTIVITY_PROFILE)


@bp.route("/agents/profile", methods=["GET", "PUT", "POST", "DELETE"])
def agent_profile() -> Response:
    """Communication 2.6: documents about an agent."""
    return _dispatch(AGENT_PROFILE)


def _dispatch(resource: _Resource) -> Response:
    """On the effective method: the alternate syntax arrives as POST (Communication 1.3)."""
    xapi_request = current()
    handlers: dict[str, Callable[[_Resource, XAPIRequest], Response]] = {
        "GET": _get,
        "HEAD": _get,
        "PUT": _put,
        "POST": _post,
        "DELETE": _delete,
    }
    handler = handlers.get(xapi_request.method)
    if handler is None:
        raise MethodNotAllowed(valid_methods=METHODS)
    return handler(resource, xapi_request)


# --- parsing -----------------------------------------------------------------------------


def _authorize(resource: _Resource, xapi_request: XAPIRequest, *, write: bool) -> None:
    assert xapi_request.client is not None  # the blueprint gate authenticated
    require(
        xapi_request.client,
        lambda granted: scopes.can_use_documents(granted, resource.scope, write=write),
        f"{'writing' if write else 'reading'} {resource.label} documents",
    )


def _values(
    resource: _Resource, xapi_request: XAPIRequest, extra: tuple[str, ...]
) -> dict[str, str]:
    """Each parameter once; anything the resource does not define for this method is a 400."""
    return xapi_request.parameters(
        f"{xapi_request.method} on the {resource.label} resource",
        {*resource.parents, *resource.optional_parents, *extra},
        resource.parents,
    )


def _document_set(resource: _Resource, values: dict[str, str]) -> DocumentSet:
    activity_id = values.get("activityId")
    if activity_id is not None and not is_iri(activity_id):
        raise BadRequest(f"activityId must be an IRI, not {activity_id!r}")
    identity = None
    if "agent" in values:
        identity = agent_key(parse_agent_parameter(values["agent"]))
    registration = values.get("registration")
    if registration is not None:
        if not is_uuid(registration):
            raise BadRequest(f"registration must be a UUID, not {registration!r}")
        registration = registration.lower()
    return DocumentSet(
        kind=resource.kind,
        activity_id=activity_id,
        agent_key=identity,
        registration=registration,
    )


def _document_id(resource: _Resource, values: dict[str, str], *, required: bool) -> str | None:
    document_id = values.get(resource.id_parameter)
    if document_id is None and required:
        raise BadRequest(
            f"the {resource.label} resource needs the {resource.id_parameter!r} parameter"
        )
    if document_id == "":
        raise BadRequest(f"{resource.id_parameter} must not be empty")
    return document_id


def _entity_tags(header: str | None) -> tuple[str, ...] | None:
    """An If-Match / If-None-Match value as unquoted tags (RFC 7232 2.3); weak tags compare
    by their opaque part, and a bare unquoted tag is accepted from lenient clients."""
    if header is None:
        return None
    tags: list[str] = []
    for part in header.split(","):
        tag = part.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        tag = tag.strip('"')
        if tag:
            tags.append(tag)
    if not tags:
        raise BadRequest("If-Match / If-None-Match holds no entity tag")
    return tuple(tags)


def _preconditions(xapi_request: XAPIRequest) -> Preconditions:
    return Preconditions(
        if_match=_entity_tags(xapi_request.headers.get("If-Match")),
        if_none_match=_entity_tags(xapi_request.headers.get("If-None-Match")),
    )


def _body(xapi_request: XAPIRequest) -> bytes:
    settings: Settings = current_app.extensions["lms_bridge.settings"]
    if len(xapi_request.body) > settings.max_body_bytes:
        raise PayloadTooLarge(f"the document exceeds {settings.max_body_bytes} bytes")
    return xapi_request.body


# --- views -------------------------------------------------------------------------------


def _no_content() -> Response:
    """204 with no body, so no Content-Type either."""
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


def _stamped(response: Response, etag: str, updated: datetime | None) -> Response:
    """Communication 3.1: the ETag in quotes; Last-Modified as an HTTP date."""
    response.headers["ETag"] = f'"{etag}"'
    if updated is not None:
        response.headers["Last-Modified"] = http_date(updated)
    return response


def _get(resource: _Resource, xapi_request: XAPIRequest) -> Response:
    """One document with its own Content-Type, or the JSON array of ids (HEAD: no body)."""
    _authorize(resource, xapi_request, write=False)
    values = _values(resource, xapi_request, (resource.id_parameter, "since"))
    documents = _document_set(resource, values)
    document_id = _document_id(resource, values, required=False)
    since = parse_timestamp(values["since"]) if "since" in values else None
    if document_id is not None:
        # Communication 2.3: "since" filters the ids of many documents; one document ignores it.
        document = get_document(db.session(), documents, document_id)
        response = Response(document.content, status=200, content_type=document.content_type)
        return _stamped(response, document.etag, document.updated)
    listing = list_document_ids(db.session(), documents, since=since)
    body = orjson.dumps(listing.ids)
    response = Response(body, status=200, mimetype="application/json")
    return _stamped(response, etag_of(body), listing.last_modified)


def _put(resource: _Resource, xapi_request: XAPIRequest) -> Response:
    """Replace (or create) the document with the body, whatever its type."""
    _authorize(resource, xapi_request, write=True)
    values = _values(resource, xapi_request, (resource.id_parameter,))
    documents = _document_set(resource, values)
    document_id = _document_id(resource, values, required=True)
    assert document_id is not None
    version = put_document(
        documents,
        document_id,
        _body(xapi_request),
        xapi_request.headers.get("Content-Type", ""),
        preconditions=_preconditions(xapi_request),
        version=xapi_request.version,
    )
    return _stamped(_no_content(), version.etag, version.updated)


def _post(resource: _Resource, xapi_request: XAPIRequest) -> Response:
    """Merge a JSON object into the document (Communication 2.2), creating it if missing."""
    _authorize(resource, xapi_request, write=True)
    values = _values(resource, xapi_request, (resource.id_parameter,))
    documents = _document_set(resource, values)
    document_id = _document_id(resource, values, required=True)
    assert document_id is not None
    version = merge_document(
        documents,
        document_id,
        _body(xapi_request),
        xapi_request.headers.get("Content-Type", ""),
        preconditions=_preconditions(xapi_request),
    )
    return _stamped(_no_content(), version.etag, version.updated)


def _delete(resource: _Resource, xapi_request: XAPIRequest) -> Response:
    """Delete one document; for State, without stateId, all of the activity/agent/registration."""
    _authorize(resource, xapi_request, write=True)
    many = resource.kind is DocumentKind.STATE
    values = _values(resource, xapi_request, (resource.id_parameter,))
    documents = _document_set(resource, values)
    document_id = _document_id(resource, values, required=not many)
    delete_documents(documents, document_id, preconditions=_preconditions(xapi_request))
    return _no_content()
