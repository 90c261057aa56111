"""The State, Activity Profile and Agent Profile resources over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from lms_bridge.access import CreatedClient, create_client
from lms_bridge.db import db
from lms_bridge.models import Document
from tests.conftest import HASH_METHOD, XAPIClient
from tests.statements import MOODLE_HOME, agent

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY = f"{MOODLE_HOME}/mod/scorm/view.php?id=12"
ASN = json.dumps(agent())
REGISTRATION = "6f1c3f0e-8c4e-4f5b-9f7a-2b9d3c4e5f60"


def address(path: str, document_id: str | None = "bookmark", **extra: str) -> dict[str, str]:
    """Query parameters naming one document (or, without an id, the set) of a resource."""
    params: dict[str, str] = {}
    if path in (STATE, ACTIVITY_PROFILE):
        params["activityId"] = ACTIVITY
    if path in (STATE, AGENT_PROFILE):
        params["agent"] = ASN
    if document_id is not None:
        params["stateId" if path == STATE else "profileId"] = document_id
    params.update(extra)
    return params


def send(
    xapi: XAPIClient,
    method: str,
    path: str,
    params: dict[str, str],
    body: Any = None,
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Any:
    """One request; dicts and lists go as JSON, bytes and str as they are."""
    data = json.dumps(body).encode() if isinstance(body, dict | list) else body
    extra = {"Content-Type": content_type} if data is not None else {}
    extra.update(headers or {})
    return xapi.client.open(
        path, method=method, query_string=params, data=data, headers=xapi.headers(extra)
    )


def create(xapi: XAPIClient, path: str, params: dict[str, str], body: Any, **kwargs: Any) -> Any:
    """Create a document the way every version and resource allows (If-None-Match: *)."""
    response = send(xapi, "PUT", path, params, body, headers={"If-None-Match": "*"}, **kwargs)
    assert response.status_code == 204, response.get_data(as_text=True)
    return response


def etag(xapi: XAPIClient, path: str, params: dict[str, str]) -> str:
    response = send(xapi, "GET", path, params)
    assert response.status_code == 200
    value: str = response.headers["ETag"]
    return value


def stored(xapi: XAPIClient, path: str, params: dict[str, str]) -> Any:
    response = send(xapi, "GET", path, params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def xapi2(app_context: Flask, lms_client: CreatedClient) -> XAPIClient:
    """The test LMS speaking xAPI 2.0.0."""
    return XAPIClient(app_context.test_client(), lms_client.key, lms_client.secret, "2.0.0")


ALL_RESOURCES = pytest.mark.parametrize("path", [STATE, ACTIVITY_PROFILE, AGENT_PROFILE])
PROFILES = pytest.mark.parametrize("path", [ACTIVITY_PROFILE, AGENT_PROFILE])


# --- PUT and GET -------------------------------------------------------------------------


@ALL_RESOURCES
def test_put_then_get_returns_the_document_with_its_type_etag_and_last_modified(
    xapi: XAPIClient, path: str
) -> None:
    content = b"<bookmark page='7'/>"
    put = create(xapi, path, address(path), content, content_type="application/xml")
    response = send(xapi, "GET", path, address(path))
    assert response.status_code == 200
    assert response.data == content
    assert response.headers["Content-Type"] == "application/xml"
    assert (
        response.headers["ETag"] == f'"{hashlib.sha1(content, usedforsecurity=False).hexdigest()}"'
    )
    assert response.headers["ETag"] == put.headers["ETag"]
    assert response.headers["Last-Modified"].endswith("GMT")


def test_etag_is_the_quoted_lowercase_sha1_of_the_content(xapi: XAPIClient) -> None:
    """xAPI 1.0.3 Communication 3.1: 40 hex digits of SHA-1, in quotes."""
    create(xapi, STATE, address(STATE), {"page": 7})
    tag = etag(xapi, STATE, address(STATE))
    body = send(xapi, "GET", STATE, address(STATE)).data
    assert tag == f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'


@ALL_RESOURCES
def test_head_answers_like_get_without_a_body(xapi: XAPIClient, path: str) -> None:
    create(xapi, path, address(path), {"page": 7})
    head = send(xapi, "HEAD", path, address(path))
    get = send(xapi, "GET", path, address(path))
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    listing = send(xapi, "HEAD", path, address(path, None))
    assert listing.status_code == 200
    assert listing.data == b""


@ALL_RESOURCES
def test_a_missing_document_is_404(xapi: XAPIClient, path: str) -> None:
    assert send(xapi, "GET", path, address(path, "never-stored")).status_code == 404


def test_registration_is_part_of_a_state_documents_address(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE), {"where": "no registration"})
    create(xapi, STATE, address(STATE, registration=REGISTRATION), {"where": "registration"})
    assert stored(xapi, STATE, address(STATE)) == {"where": "no registration"}
    upper = address(STATE, registration=REGISTRATION.upper())
    assert stored(xapi, STATE, upper) == {"where": "registration"}


def test_an_agent_is_known_by_its_identifier_not_its_name(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE), {"page": 7})
    renamed = address(STATE, agent=json.dumps({**agent(), "name": "Another name"}))
    assert stored(xapi, STATE, renamed) == {"page": 7}


def test_long_activity_ids_and_document_ids_are_stored_and_listed_whole(
    xapi: XAPIClient,
) -> None:
    long_activity = ACTIVITY + "&x=" + "a" * 2000
    long_id = "b" * 1500
    params = address(STATE, long_id, activityId=long_activity)
    create(xapi, STATE, params, {"long": True})
    assert stored(xapi, STATE, params) == {"long": True}
    listing = address(STATE, None, activityId=long_activity)
    assert stored(xapi, STATE, listing) == [long_id]


# --- POST merges ---------------------------------------------------------------------------


@ALL_RESOURCES
def test_post_merges_json_objects_one_level_deep(xapi: XAPIClient, path: str) -> None:
    """Communication 2.2: top-level properties are replaced whole, never merged deeper."""
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale"}
    second = {"car": {"make": "Dodge"}, "series": "sprint"}
    assert send(xapi, "POST", path, address(path), first).status_code == 204
    assert send(xapi, "POST", path, address(path), second).status_code == 204
    assert stored(xapi, path, address(path)) == {
        "car": {"make": "Dodge"},
        "driver": "Dale",
        "series": "sprint",
    }


@ALL_RESOURCES
def test_post_to_a_missing_document_stores_it(xapi: XAPIClient, path: str) -> None:
    assert send(xapi, "POST", path, address(path), {"page": 1}).status_code == 204
    assert stored(xapi, path, address(path)) == {"page": 1}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"abcdefg", "application/octet-stream"),
        (b'{"page": 2', "application/json"),
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
    ],
    ids=["not-json-type", "broken-json", "array", "string"],
)
def test_post_of_anything_but_a_json_object_is_400_and_changes_nothing(
    xapi: XAPIClient, body: bytes, content_type: str
) -> None:
    create(xapi, STATE, address(STATE), {"page": 1})
    before = etag(xapi, STATE, address(STATE))
    response = send(xapi, "POST", STATE, address(STATE), body, content_type=content_type)
    assert response.status_code == 400
    assert etag(xapi, STATE, address(STATE)) == before


def test_post_onto_a_document_that_is_not_json_is_400(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE), b"/ asdf /", content_type="application/octet-stream")
    response = send(xapi, "POST", STATE, address(STATE), {"page": 1})
    assert response.status_code == 400
    assert send(xapi, "GET", STATE, address(STATE)).data == b"/ asdf /"


# --- listing and deleting ------------------------------------------------------------------


@ALL_RESOURCES
def test_get_without_a_document_id_lists_the_ids(xapi: XAPIClient, path: str) -> None:
    for name in ("one", "two"):
        create(xapi, path, address(path, name), {"name": name})
    assert sorted(stored(xapi, path, address(path, None))) == ["one", "two"]


def test_since_lists_only_documents_changed_after_it(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE, "old"), {"n": 1})
    old = db.session.scalars(select(Document.updated)).one()
    create(xapi, STATE, address(STATE, "new"), {"n": 2})
    since = old.isoformat().replace("+00:00", "Z")
    assert stored(xapi, STATE, address(STATE, None, since=since)) == ["new"]
    assert stored(xapi, STATE, address(STATE, None, since="2000-01-01T00:00:00Z")) == [
        "old",
        "new",
    ]


def test_every_change_moves_last_modified_forward(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE), {"n": 1})
    first = db.session.scalars(select(Document.updated)).one()
    db.session.rollback()
    send(xapi, "POST", STATE, address(STATE), {"n": 2})
    second = db.session.scalars(select(Document.updated)).one()
    assert second > first


def test_listing_without_registration_covers_every_registration(xapi: XAPIClient) -> None:
    create(xapi, STATE, address(STATE, "plain"), {})
    create(xapi, STATE, address(STATE, "registered", registration=REGISTRATION), {})
    assert sorted(stored(xapi, STATE, address(STATE, None))) == ["plain", "registered"]
    only = address(STATE, None, registration=REGISTRATION)
    assert stored(xapi, STATE, only) == ["registered"]


def test_delete_without_state_id_removes_every_state_of_the_activity_and_agent(
    xapi: XAPIClient,
) -> None:
    create(xapi, STATE, address(STATE, "one"), {})
    create(xapi, STATE, address(STATE, "two", registration=REGISTRATION), {})
    other_activity = address(STATE, "other", activityId=ACTIVITY + "&other")
    create(xapi, STATE, other_activity, {})
    assert send(xapi, "DELETE", STATE, address(STATE, None)).status_code == 204
    assert stored(xapi, STATE, address(STATE, None)) == []
    assert stored(xapi, STATE, other_activity) == {}


def test_delete_with_registration_removes_only_that_registrations_states(
    xapi: XAPIClient,
) -> None:
    create(xapi, STATE, address(STATE, "plain"), {})
    create(xapi, STATE, address(STATE, "registered", registration=REGISTRATION), {})
    only = address(STATE, None, registration=REGISTRATION)
    assert send(xapi, "DELETE", STATE, only).status_code == 204
    assert stored(xapi, STATE, address(STATE, None)) == ["plain"]


@ALL_RESOURCES
def test_delete_removes_one_document_and_deleting_nothing_succeeds(
    xapi: XAPIClient, path: str
) -> None:
    create(xapi, path, address(path, "keep"), {})
    create(xapi, path, address(path, "drop"), {})
    assert send(xapi, "DELETE", path, address(path, "drop")).status_code == 204
    assert send(xapi, "GET", path, address(path, "drop")).status_code == 404
    assert stored(xapi, path, address(path, None)) == ["keep"]
    assert send(xapi, "DELETE", path, address(path, "drop")).status_code == 204


@PROFILES
def test_a_profile_delete_needs_the_profile_id(xapi: XAPIClient, path: str) -> None:
    assert send(xapi, "DELETE", path, address(path, None)).status_code == 400


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "changes"),
    [
        ("GET", {"activityId": None}),
        ("PUT", {"agent": None}),
        ("POST", {"stateId": None}),
        ("DELETE", {"activityId": None}),
        ("GET", {"agent": "not JSON"}),
        ("GET", {"agent": "true"}),
        ("GET", {"agent": json.dumps({"objectType": "Agent", "name": "no identifier"})}),
        ("PUT", {"activityId": "not an IRI"}),
        ("PUT", {"registration": "not-a-uuid"}),
        ("GET", {"stateId": None, "since": "not a timestamp"}),
        ("DELETE", {"since": "2020-01-01T00:00:00Z"}),
        ("GET", {"profileId": "a state has no profileId"}),
        ("PUT", {"stateId": ""}),
    ],
)
def test_missing_malformed_or_unknown_state_parameters_are_400(
    xapi: XAPIClient, method: str, changes: dict[str, str | None]
) -> None:
    params = address(STATE, registration=REGISTRATION)
    for name, value in changes.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    body = {"page": 1} if method in ("PUT", "POST") else None
    headers = {"If-None-Match": "*"} if method == "PUT" else None
    response = send(xapi, method, STATE, params, body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["detail"]


def test_a_parameter_given_twice_is_400(xapi: XAPIClient) -> None:
    query = MultiDict([("activityId", ACTIVITY), ("activityId", ACTIVITY + "x"), ("agent", ASN)])
    assert xapi.get(STATE, query_string=query).status_code == 400


@pytest.mark.parametrize(
    ("path", "parameter"),
    [(ACTIVITY_PROFILE, "agent"), (AGENT_PROFILE, "activityId"), (AGENT_PROFILE, "registration")],
)
def test_profiles_refuse_parameters_of_other_resources(
    xapi: XAPIClient, path: str, parameter: str
) -> None:
    params = address(path)
    params[parameter] = {"agent": ASN, "activityId": ACTIVITY}.get(parameter, REGISTRATION)
    assert send(xapi, "GET", path, params).status_code == 400


def test_the_alternate_request_syntax_reaches_documents(xapi: XAPIClient) -> None:
    """xAPI 1.0.3 Communication 1.3: a form POST with ?method=PUT stores a document."""
    form = {
        **address(STATE),
        "Authorization": xapi.auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": '{"page": 3}',
    }
    response = xapi.client.post(STATE, query_string={"method": "PUT"}, data=form)
    assert response.status_code == 204, response.get_data(as_text=True)
    assert stored(xapi, STATE, address(STATE)) == {"page": 3}


# --- concurrency (Communication 3.1) -------------------------------------------------------


@ALL_RESOURCES
def test_put_with_a_stale_if_match_is_412_and_changes_nothing(xapi: XAPIClient, path: str) -> None:
    create(xapi, path, address(path), {"version": 1})
    stale = '"' + "1" * 40 + '"'
    response = send(xapi, "PUT", path, address(path), {"version": 2}, headers={"If-Match": stale})
    assert response.status_code == 412
    assert stored(xapi, path, address(path)) == {"version": 1}


@ALL_RESOURCES
def test_put_with_the_current_if_match_replaces_the_document(xapi: XAPIClient, path: str) -> None:
    create(xapi, path, address(path), {"version": 1})
    current = etag(xapi, path, address(path))
    response = send(xapi, "PUT", path, address(path), {"version": 2}, headers={"If-Match": current})
    assert response.status_code == 204
    assert stored(xapi, path, address(path)) == {"version": 2}
    again = send(xapi, "PUT", path, address(path), {"version": 3}, headers={"If-Match": current})
    assert again.status_code == 412


def test_a_weak_or_unquoted_current_etag_also_matches(xapi: XAPIClient) -> None:
    create(xapi, ACTIVITY_PROFILE, address(ACTIVITY_PROFILE), {"version": 0})
    spellings = (
        lambda tag: f"W/{tag}",
        lambda tag: tag.strip('"'),
        lambda tag: f'"other", {tag}',
    )
    for version, spelling in enumerate(spellings, start=1):
        current = etag(xapi, ACTIVITY_PROFILE, address(ACTIVITY_PROFILE))
        response = send(
            xapi,
            "PUT",
            ACTIVITY_PROFILE,
            address(ACTIVITY_PROFILE),
            {"version": version},
            headers={"If-Match": spelling(current)},
        )
        assert response.status_code == 204, spelling(current)


@ALL_RESOURCES
def test_post_and_delete_with_a_stale_if_match_are_412_and_change_nothing(
    xapi: XAPIClient, path: str
) -> None:
    create(xapi, path, address(path), {"version": 1})
    stale = {"If-Match": '"1234"'}
    assert send(xapi, "POST", path, address(path), {"x": 1}, headers=stale).status_code == 412
    assert send(xapi, "DELETE", path, address(path), headers=stale).status_code == 412
    assert stored(xapi, path, address(path)) == {"version": 1}
    current = {"If-Match": etag(xapi, path, address(path))}
    assert send(xapi, "DELETE", path, address(path), headers=current).status_code == 204


@ALL_RESOURCES
def test_if_none_match_star_creates_but_never_overwrites(xapi: XAPIClient, path: str) -> None:
    create(xapi, path, address(path), {"version": 1})
    response = send(
        xapi, "PUT", path, address(path), {"version": 2}, headers={"If-None-Match": "*"}
    )
    assert response.status_code == 412
    assert stored(xapi, path, address(path)) == {"version": 1}


@ALL_RESOURCES
def test_if_match_on_a_missing_document_is_412(xapi: XAPIClient, path: str) -> None:
    response = send(xapi, "PUT", path, address(path), {"v": 1}, headers={"If-Match": "*"})
    assert response.status_code == 412
    assert send(xapi, "GET", path, address(path)).status_code == 404


@PROFILES
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_a_profile_put_without_either_header_is_409_when_it_exists_and_400_when_not(
    xapi: XAPIClient, path: str, version: str
) -> None:
    xapi.version = version
    new = send(xapi, "PUT", path, address(path), {"version": 1})
    assert new.status_code == 400
    assert send(xapi, "GET", path, address(path)).status_code == 404
    create(xapi, path, address(path), {"version": 1})
    existing = send(xapi, "PUT", path, address(path), {"version": 2})
    assert existing.status_code == 409
    assert "If-Match" in existing.get_json()["detail"]
    assert stored(xapi, path, address(path)) == {"version": 1}


def test_state_put_without_either_header_overwrites_under_1_0_3(xapi: XAPIClient) -> None:
    """xAPI 1.0.3 Communication 3.1: the State resource permits writes without the headers."""
    assert send(xapi, "PUT", STATE, address(STATE), {"version": 1}).status_code == 204
    assert send(xapi, "PUT", STATE, address(STATE), {"version": 2}).status_code == 204
    assert stored(xapi, STATE, address(STATE)) == {"version": 2}


def test_state_put_without_either_header_is_409_on_an_existing_document_under_2_0_0(
    xapi2: XAPIClient,
) -> None:
    assert send(xapi2, "PUT", STATE, address(STATE), {"version": 1}).status_code == 204
    response = send(xapi2, "PUT", STATE, address(STATE), {"version": 2})
    assert response.status_code == 409
    assert stored(xapi2, STATE, address(STATE)) == {"version": 1}


def test_post_needs_no_concurrency_header(xapi2: XAPIClient) -> None:
    for path in (STATE, ACTIVITY_PROFILE, AGENT_PROFILE):
        assert send(xapi2, "POST", path, address(path), {"a": 1}).status_code == 204
        assert send(xapi2, "POST", path, address(path), {"b": 2}).status_code == 204


# --- scopes --------------------------------------------------------------------------------


def client_with(app_context: Flask, *scopes: str) -> XAPIClient:
    created = create_client(
        "scoped",
        key=f"scoped-{uuid.uuid4().hex[:8]}",
        secret="s",
        scopes=scopes,
        hash_method=HASH_METHOD,
    )
    return XAPIClient(app_context.test_client(), created.key, created.secret)


def test_documents_need_their_scope(app_context: Flask, xapi: XAPIClient) -> None:
    writer = client_with(app_context, "statements/write")
    assert send(writer, "GET", STATE, address(STATE)).status_code == 403
    state_only = client_with(app_context, "state")
    assert send(state_only, "POST", STATE, address(STATE), {"a": 1}).status_code == 204
    profile = address(AGENT_PROFILE)
    assert send(state_only, "POST", AGENT_PROFILE, profile, {"a": 1}).status_code == 403
    profile_only = client_with(app_context, "profile")
    assert send(profile_only, "POST", AGENT_PROFILE, profile, {"a": 1}).status_code == 204
    assert send(profile_only, "GET", STATE, address(STATE)).status_code == 403


def test_all_read_reads_documents_but_does_not_write_them(
    app_context: Flask, xapi: XAPIClient
) -> None:
    create(xapi, STATE, address(STATE), {"a": 1})
    reader = client_with(app_context, "all/read")
    assert stored(reader, STATE, address(STATE)) == {"a": 1}
    assert send(reader, "POST", STATE, address(STATE), {"b": 2}).status_code == 403
    assert send(reader, "DELETE", STATE, address(STATE)).status_code == 403
