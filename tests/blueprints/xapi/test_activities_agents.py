"""The Activities and Agents resources over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from lms_bridge.db import db
from lms_bridge.lrs import activities as activities_service
from tests.conftest import XAPIClient
from tests.statements import MOODLE_HOME, agent, statement, void

MODULE = f"{MOODLE_HOME}/mod/scorm/view.php?id=12"
COURSE = f"{MOODLE_HOME}/course/view.php?id=3"


def activity(xapi: XAPIClient, activity_id: str, *, method: str = "GET") -> Any:
    return xapi.client.open(
        "/xapi/activities",
        method=method,
        query_string={"activityId": activity_id},
        headers=xapi.headers(),
    )


def person(xapi: XAPIClient, who: Any, *, method: str = "GET") -> Any:
    value = who if isinstance(who, str) else json.dumps(who)
    return xapi.client.open(
        "/xapi/agents", method=method, query_string={"agent": value}, headers=xapi.headers()
    )


def with_definition(activity_id: str = MODULE, **definition: Any) -> dict[str, Any]:
    """A statement whose object is ``activity_id`` with exactly ``definition``."""
    return statement(object={"objectType": "Activity", "id": activity_id, "definition": definition})


def post(xapi: XAPIClient, *statements: dict[str, Any]) -> None:
    for one in statements:  # one request each, so each gets its own ``stored``
        response = xapi.post_statements(one)
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def queries() -> Iterator[list[str]]:
    """Every SQL statement the test runs."""
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(args[2])

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


# --- Activities ----------------------------------------------------------------------------


def test_an_activity_no_statement_mentions_is_a_bare_activity_object(xapi: XAPIClient) -> None:
    """Communication 2.5: without a canonical definition the LRS still returns an Activity."""
    unseen = f"{MOODLE_HOME}/mod/page/view.php?id={uuid.uuid4()}"
    response = activity(xapi, unseen)
    assert response.status_code == 200
    assert response.get_json() == {"objectType": "Activity", "id": unseen}


def test_the_activity_is_returned_with_its_definition(xapi: XAPIClient) -> None:
    sent = statement()
    post(xapi, sent)
    assert activity(xapi, MODULE).get_json() == sent["object"]


def test_language_maps_of_every_statement_are_merged(xapi: XAPIClient) -> None:
    """XAPI-00254: two statements naming the activity in two languages yield both names."""
    post(
        xapi,
        with_definition(name={"en": "Core values"}, description={"en": "Module one"}),
        with_definition(name={"id-ID": "Nilai dasar"}),
    )
    definition = activity(xapi, MODULE).get_json()["definition"]
    assert definition["name"] == {"en": "Core values", "id-ID": "Nilai dasar"}
    assert definition["description"] == {"en": "Module one"}


def test_a_newer_definition_replaces_other_properties_and_same_language_names(
    xapi: XAPIClient,
) -> None:
    post(
        xapi,
        with_definition(name={"en": "Old"}, type="http://adlnet.gov/expapi/activities/module"),
        with_definition(name={"en": "New"}, type="http://adlnet.gov/expapi/activities/lesson"),
    )
    definition = activity(xapi, MODULE).get_json()["definition"]
    assert definition == {
        "name": {"en": "New"},
        "type": "http://adlnet.gov/expapi/activities/lesson",
    }


def test_extensions_merge_key_by_key(xapi: XAPIClient) -> None:
    post(
        xapi,
        with_definition(extensions={"https://example.org/jp": 2, "https://example.org/x": 1}),
        with_definition(extensions={"https://example.org/jp": 3}),
    )
    definition = activity(xapi, MODULE).get_json()["definition"]
    assert definition["extensions"] == {"https://example.org/jp": 3, "https://example.org/x": 1}


def test_context_activities_and_sub_statements_contribute_definitions(xapi: XAPIClient) -> None:
    course = {"id": COURSE, "definition": {"name": {"en": "Latsar CPNS"}}}
    post(xapi, statement(context={"contextActivities": {"parent": [course]}}))
    sub = statement(
        object={
            "objectType": "SubStatement",
            "actor": agent(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
            "object": {"id": COURSE, "definition": {"name": {"id-ID": "Latsar"}}},
        }
    )
    post(xapi, sub)
    definition = activity(xapi, COURSE).get_json()["definition"]
    assert definition["name"] == {"en": "Latsar CPNS", "id-ID": "Latsar"}


def test_voided_statements_do_not_define_activities(xapi: XAPIClient) -> None:
    wrong = with_definition(name={"en": "Wrong name"})
    wrong["id"] = str(uuid.uuid4())
    post(
        xapi,
        with_definition(name={"en": "Right name"}),
        wrong,
        void(wrong["id"], actor=agent("admin")),
    )
    assert activity(xapi, MODULE).get_json()["definition"]["name"] == {"en": "Right name"}


def test_only_the_newest_statements_define_an_activity(
    xapi: XAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activities_service, "DEFINITION_SOURCES", 2)
    post(
        xapi,
        with_definition(name={"fr": "Trop vieux"}),
        with_definition(name={"en": "Recent"}),
        with_definition(name={"id-ID": "Terbaru"}),
    )
    assert activity(xapi, MODULE).get_json()["definition"]["name"] == {
        "en": "Recent",
        "id-ID": "Terbaru",
    }


def test_reading_an_activity_is_one_query_however_many_statements_mention_it(
    xapi: XAPIClient, queries: list[str]
) -> None:
    post(xapi, *(with_definition(name={"en": f"Name {i}"}) for i in range(5)))
    queries.clear()
    activity(xapi, MODULE)
    reads = [sql for sql in queries if "statements" in sql]
    assert len(reads) == 1


@pytest.mark.parametrize(
    "query",
    [{}, {"activityId": "not an IRI"}, {"activityId": MODULE, "agent": "{}"}],
    ids=["missing", "not-an-iri", "unknown-parameter"],
)
def test_a_missing_or_invalid_activity_id_is_400(xapi: XAPIClient, query: dict[str, str]) -> None:
    response = xapi.get("/xapi/activities", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["detail"]


def test_head_on_activities_has_no_body(xapi: XAPIClient) -> None:
    response = activity(xapi, MODULE, method="HEAD")
    assert response.status_code == 200
    assert response.data == b""


def test_a_plain_post_to_activities_is_405(xapi: XAPIClient) -> None:
    assert activity(xapi, MODULE, method="POST").status_code == 405


# --- Agents --------------------------------------------------------------------------------


def test_the_person_holds_the_agents_identifier_and_name(xapi: XAPIClient) -> None:
    response = person(xapi, agent())
    assert response.status_code == 200
    assert response.get_json() == {
        "objectType": "Person",
        "name": ["ASN 198503302010121002"],
        "account": [{"homePage": MOODLE_HOME, "name": "198503302010121002"}],
    }


def test_the_person_adds_names_its_identifier_had_in_stored_statements(
    xapi: XAPIClient,
) -> None:
    post(
        xapi,
        statement(actor={**agent(), "name": "Budi Santoso"}),
        statement(actor={**agent(), "name": "Budi S."}),
        statement(actor=agent("199001012015032001")),
    )
    found = person(xapi, {"account": agent()["account"]}).get_json()
    assert sorted(found["name"]) == ["Budi S.", "Budi Santoso"]


@pytest.mark.parametrize(
    ("ifi", "value"),
    [
        ("mbox", "mailto:budi@bpsdm.lampungprov.go.id"),
        ("mbox_sha1sum", "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"),
        ("openid", "https://openid.example.org/budi"),
    ],
)
def test_each_identifier_kind_becomes_an_array(xapi: XAPIClient, ifi: str, value: str) -> None:
    found = person(xapi, {"objectType": "Agent", ifi: value}).get_json()
    assert found == {"objectType": "Person", ifi: [value]}


@pytest.mark.parametrize(
    "value",
    [
        None,
        "not JSON",
        "true",
        json.dumps({"objectType": "Agent", "name": "no identifier"}),
        json.dumps({"mbox": "budi@no-mailto.example"}),
    ],
    ids=["missing", "not-json", "not-an-object", "no-ifi", "bad-mbox"],
)
def test_a_missing_or_invalid_agent_is_400(xapi: XAPIClient, value: str | None) -> None:
    query = {} if value is None else {"agent": value}
    response = xapi.get("/xapi/agents", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["detail"]


def test_head_on_agents_has_no_body(xapi: XAPIClient) -> None:
    response = person(xapi, agent(), method="HEAD")
    assert response.status_code == 200
    assert response.data == b""
