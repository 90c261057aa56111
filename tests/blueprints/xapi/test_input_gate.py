"""/xapi refuses, with a 400 naming the field, whatever the database could not store.

Each of these reached PostgreSQL before and failed there with a 500 (``psycopg.DataError`` for
U+0000, ``Recursion limit reached`` for deep extensions, ``decimal.InvalidOperation`` in credit
for a duration of hundreds of digits); a rejected batch leaves no row behind.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from flask import Flask

from lms_bridge.models import Statement
from tests.conftest import XAPIClient, basic_auth, count_rows
from tests.statements import MOODLE_HOME, agent, attachment, statement
from xapi.multipart import AttachmentPart, build_multipart

ACTIVITY = f"{MOODLE_HOME}/mod/scorm/view.php?id=12"


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


def _refused(response: Any, *names: str) -> str:
    assert response.status_code == 400, response.get_data(as_text=True)
    message = response.get_json()["detail"]
    for name in names:
        assert name in message, message
    return str(message)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s["actor"].update(name="Siti\x00"), "actor.name"),
        (lambda s: s["actor"]["account"].update(name="19850330\x00"), "actor.account.name"),
        (lambda s: s.update(actor={"mbox": "mailto:siti\x00@example.go.id"}), "actor.mbox"),
        (lambda s: s["verb"]["display"].update(en="done\x00"), "verb.display.en"),
        (lambda s: s.update(result={"response": "\x00"}), "result.response"),
        (
            lambda s: s.update(context={"extensions": {"http://x.id/e": {"k": ["ok", "\x00"]}}}),
            "context.extensions.http://x.id/e.k[1]",
        ),
        (
            lambda s: s.update(context={"extensions": {"http://x.id/e": {"k\x00": 1}}}),
            "context.extensions.http://x.id/e",
        ),
    ],
)
def test_nul_anywhere_in_a_statement_is_a_400_naming_it_and_nothing_is_stored(
    xapi: XAPIClient, app_context: Flask, change: Any, path: str
) -> None:
    bad = statement()
    change(bad)
    response = xapi.post_statements([statement(), bad])
    message = _refused(response, f"statements[1].{path}")
    assert "U+0000" in message or "mailto IRI" in message
    assert count_rows(Statement) == 0


def test_extensions_nested_beyond_the_bound_are_refused_and_within_it_stored(
    xapi: XAPIClient, app_context: Flask
) -> None:
    deep = statement(context={"extensions": {"http://x.id/deep": _nested(300)}})
    _refused(xapi.post_statements(deep), "statement.context.extensions", "nests deeper than 32")
    fine = statement(context={"extensions": {"http://x.id/deep": _nested(30)}})
    stored = xapi.post_statements(fine)
    assert stored.status_code == 200
    back = xapi.get(query_string={"statementId": stored.get_json()[0]})
    assert back.status_code == 200
    assert back.get_json()["context"]["extensions"] == fine["context"]["extensions"]


def test_a_duration_of_hundreds_of_digits_is_refused(xapi: XAPIClient, app_context: Flask) -> None:
    huge = statement(result={"duration": "PT" + "9" * 400 + "S"})
    _refused(xapi.post_statements(huge), "statement.result.duration", "at most 9 digits")
    assert xapi.post_statements(statement(result={"duration": "PT999999999S"})).status_code == 200


def test_a_statement_version_wider_than_its_column_is_refused(
    xapi: XAPIClient, app_context: Flask
) -> None:
    long_version = statement(version="1.0.3-" + "a" * 40)
    _refused(xapi.post_statements(long_version), "statement.version", "at most 20 characters")
    assert count_rows(Statement) == 0


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/xapi/statements", {"verb": "http://x.id/v\x00"}, "verb"),
        ("/xapi/statements", {"registration\x00": "x"}, "registration\x00"),
        (
            "/xapi/statements",
            {"agent": json.dumps({"account": {"homePage": MOODLE_HOME, "name": "a\x00"}})},
            "agent.account.name",
        ),
        (
            "/xapi/activities/state",
            {"activityId": ACTIVITY, "agent": json.dumps(agent()), "stateId": "s\x00"},
            "stateId",
        ),
        ("/xapi/activities/profile", {"activityId": ACTIVITY, "profileId": "\x00"}, "profileId"),
        ("/xapi/agents/profile", {"agent": json.dumps(agent()), "profileId": "p\x00"}, "profileId"),
        ("/xapi/activities", {"activityId": "http://x.id/\x00"}, "activityId"),
        ("/xapi/statements/more/abc\x00", {}, "token"),
    ],
)
def test_nul_in_a_parameter_or_path_is_a_400_naming_it(
    xapi: XAPIClient, path: str, query: dict[str, str], name: str
) -> None:
    _refused(xapi.get(path, query_string=query), name)


def test_nul_in_a_document_id_or_header_is_refused_on_every_write(
    xapi: XAPIClient, app_context: Flask
) -> None:
    parents = {"activityId": ACTIVITY, "agent": json.dumps(agent())}
    response = xapi.client.put(
        "/xapi/activities/state",
        query_string={**parents, "stateId": "s\x00"},
        data=b"{}",
        headers=xapi.headers({"Content-Type": "application/json"}),
    )
    _refused(response, "stateId")
    # The alternate request syntax carries headers as form fields, where NUL can travel.
    form = {
        **parents,
        "stateId": "s1",
        "Content-Type": "text/plain\x00",
        "Authorization": xapi.auth,
        "X-Experience-API-Version": "1.0.3",
        "content": "hello",
    }
    alternate = xapi.client.post(
        "/xapi/activities/state",
        query_string={"method": "PUT"},
        data=form,
        content_type="application/x-www-form-urlencoded",
    )
    _refused(alternate, "Content-Type")


def test_a_limit_in_other_digits_is_a_400(xapi: XAPIClient) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails: the parser's test was too wide."""
    _refused(xapi.get(query_string={"limit": "²"}), "limit")
    assert xapi.get(query_string={"limit": "9" * 30}).status_code == 200


def test_a_rejected_batch_leaves_no_row_even_when_the_bad_statement_is_last(
    xapi: XAPIClient, app_context: Flask
) -> None:
    batch = [statement(statement_id=str(uuid.uuid4())) for _ in range(5)]
    batch.append(statement(result={"response": "ok\x00"}))
    _refused(xapi.post_statements(batch), "statements[5].result.response")
    assert count_rows(Statement) == 0


def test_an_attachment_part_type_wider_than_its_column_is_refused(
    xapi: XAPIClient, app_context: Flask
) -> None:
    content = b"sertifikat"
    sha2 = hashlib.sha256(content).hexdigest()
    attached = statement(attachments=[attachment(content)])
    long_type = "text/plain; note=" + "a" * 300
    content_type, body = build_multipart(
        json.dumps(attached).encode(), [AttachmentPart(sha2, long_type, content)]
    )
    response = xapi.client.post(
        "/xapi/statements", data=body, headers=xapi.headers({"Content-Type": content_type})
    )
    _refused(response, "multipart part 2", "255")
    assert count_rows(Statement) == 0


def test_merging_a_document_nested_too_deep_is_a_400(xapi: XAPIClient, app_context: Flask) -> None:
    """json.loads raised RecursionError (a 500) on a POSTed document a few thousand deep."""
    parents = {"activityId": ACTIVITY, "agent": json.dumps(agent()), "stateId": "deep"}
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    response = xapi.client.post(
        "/xapi/activities/state",
        query_string=parents,
        data=deep,
        headers=xapi.headers({"Content-Type": "application/json"}),
    )
    _refused(response, "nests too deep")


@pytest.mark.parametrize("path", ["/xapi/statements", "/api/v1/credit/pending"])
def test_a_key_with_nul_is_unknown_not_a_failed_lookup(app_context: Flask, path: str) -> None:
    headers = {"Authorization": basic_auth("moodle\x00", "x"), "X-Experience-API-Version": "1.0.3"}
    response = app_context.test_client().get(path, headers=headers)
    assert response.status_code == 401
