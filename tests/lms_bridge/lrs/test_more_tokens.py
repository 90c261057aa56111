"""``more`` tokens are signed and expire: an edited one cannot read past the page limit.

An unsigned token, edited by hand, once returned 208,157 statements in one response; a
negative page size or an out-of-range key in one gave a 500.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import orjson
import pytest

from lms_bridge.lrs.query import _Cursor, encode_cursor
from tests.conftest import XAPIClient, make_settings
from tests.statements import statement

TEST_SECRET_KEY = make_settings("sqlite://").secret_key


def _first_more(xapi: XAPIClient, count: int = 3) -> str:
    xapi.post_statements([statement(statement_id=str(uuid.uuid4())) for _ in range(count)])
    more: str = xapi.get(query_string={"limit": "1"}).get_json()["more"]
    assert more.startswith("/xapi/statements/more/")
    return more


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _payload(more: str) -> dict[str, Any]:
    token = more.rsplit("/", 1)[1]
    encoded = token.split(".")[0]
    decoded: dict[str, Any] = orjson.loads(base64.urlsafe_b64decode(encoded + "=="))
    return decoded


def _signed(payload: dict[str, Any], secret_key: str = TEST_SECRET_KEY) -> str:
    return "/xapi/statements/more/" + encode_cursor(_Cursor(**payload), secret_key)


def _assert_refused(xapi: XAPIClient, more: str, says: str = "not one this LRS issued") -> None:
    response = xapi.get(more)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == "BadRequest"
    assert says in body["detail"]


def test_a_genuine_token_reads_the_next_page(xapi: XAPIClient) -> None:
    response = xapi.get(_first_more(xapi))
    assert response.status_code == 200
    assert len(response.get_json()["statements"]) == 1


def test_a_token_with_its_payload_edited_is_a_400(xapi: XAPIClient) -> None:
    more = _first_more(xapi)
    token = more.rsplit("/", 1)[1]
    payload = _payload(more) | {"page_size": 1_000_000}
    edited = _b64(json.dumps(payload).encode()) + "." + token.split(".")[1]
    _assert_refused(xapi, "/xapi/statements/more/" + edited)


@pytest.mark.parametrize(
    "edit",
    [
        {"page_size": 1_000_000},
        {"page_size": -5},
        {"pk": 10**30},
        {"stored": "not a time"},
        {"authority_key": None},
    ],
    ids=["huge-page", "negative-page", "pk-beyond-64-bits", "bad-stored", "other-reader"],
)
def test_an_unsigned_token_as_issued_before_is_a_400(
    xapi: XAPIClient, edit: dict[str, Any]
) -> None:
    payload = _payload(_first_more(xapi)) | edit
    _assert_refused(xapi, "/xapi/statements/more/" + _b64(json.dumps(payload).encode()))


@pytest.mark.parametrize(
    "token", [".", "a.b.c", "!!!.***", "x" * 5000], ids=["dot", "three", "junk", "long"]
)
def test_garbage_tokens_are_a_400(xapi: XAPIClient, token: str) -> None:
    _first_more(xapi)
    _assert_refused(xapi, "/xapi/statements/more/" + token)


def test_a_token_signed_with_another_key_is_a_400(xapi: XAPIClient) -> None:
    payload = _payload(_first_more(xapi))
    _assert_refused(xapi, _signed(payload, secret_key="some other service's key"))


def test_an_expired_token_is_a_400(xapi: XAPIClient) -> None:
    payload = _payload(_first_more(xapi)) | {"expires": int(time.time()) - 1}
    _assert_refused(xapi, _signed(payload), says="expired")


def test_a_token_lives_a_day(xapi: XAPIClient) -> None:
    payload = _payload(_first_more(xapi))
    assert payload["expires"] >= time.time() + 24 * 60 * 60 - 60


def test_no_page_is_larger_than_the_maximum_whatever_a_signed_token_says(
    xapi: XAPIClient,
) -> None:
    maximum = make_settings("sqlite://").statement_query_max_limit
    for _ in range(2):
        xapi.post_statements([statement() for _ in range(maximum // 2 + 1)])
    payload = _payload(_first_more(xapi, count=1)) | {"page_size": 10**6}
    body = xapi.get(_signed(payload)).get_json()
    assert len(body["statements"]) == maximum
    assert body["more"]
