"""The Statement resource over HTTP (Flask test client), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from lms_bridge.access import create_client, reset_client, revoke_client
from lms_bridge.models import Statement, StatementActivity, StatementAgent
from tests.conftest import HASH_METHOD, XAPIClient, basic_auth, count_rows
from tests.statements import COMPLETED, agent, statement, void


def stored_statement(xapi: XAPIClient, statement_id: str, **params: str) -> dict[str, Any]:
    response = xapi.get(query_string={"statementId": statement_id, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


# --- writing ---------------------------------------------------------------------------


def test_post_returns_the_ids_and_the_statement_reads_back_with_lrs_properties(
    xapi: XAPIClient,
) -> None:
    sent = statement()
    response = xapi.post_statements(sent)
    assert response.status_code == 200
    [statement_id] = response.get_json()
    assert uuid.UUID(statement_id)
    stored = stored_statement(xapi, statement_id)
    assert stored["actor"] == sent["actor"]
    assert stored["object"] == sent["object"]
    assert stored["id"] == statement_id
    assert stored["authority"]["account"]["name"] == "moodle-test"
    assert stored["stored"].endswith("Z")
    assert stored["version"] == "1.0.0"
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_post_of_an_array_keeps_the_order_of_ids(xapi: XAPIClient) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    response = xapi.post_statements([statement(statement_id=i) for i in ids])
    assert response.status_code == 200
    assert response.get_json() == ids


def test_put_stores_under_the_given_id_and_answers_204(xapi: XAPIClient) -> None:
    statement_id = str(uuid.uuid4())
    response = xapi.put_statement(statement_id, statement())
    assert response.status_code == 204
    assert stored_statement(xapi, statement_id)["id"] == statement_id


def test_identical_resend_is_accepted_and_stored_once(xapi: XAPIClient) -> None:
    statement_id = str(uuid.uuid4())
    assert xapi.put_statement(statement_id, statement()).status_code == 204
    assert xapi.put_statement(statement_id, statement()).status_code == 204
    assert xapi.post_statements(statement(statement_id=statement_id)).status_code == 200
    assert count_rows(Statement) == 1


def test_same_id_with_different_content_is_a_conflict_and_keeps_the_first(
    xapi: XAPIClient,
) -> None:
    statement_id = str(uuid.uuid4())
    assert xapi.put_statement(statement_id, statement()).status_code == 204
    response = xapi.put_statement(
        statement_id, statement(verb="http://adlnet.gov/expapi/verbs/passed")
    )
    assert response.status_code == 409
    assert stored_statement(xapi, statement_id)["verb"]["id"] == COMPLETED


def test_put_whose_body_id_differs_from_the_parameter_is_rejected(xapi: XAPIClient) -> None:
    response = xapi.put_statement(str(uuid.uuid4()), statement(statement_id=str(uuid.uuid4())))
    assert response.status_code == 400
    assert count_rows(Statement) == 0


def test_put_without_statement_id_is_rejected(xapi: XAPIClient) -> None:
    response = xapi.client.put("/xapi/statements", json=statement(), headers=xapi.headers())
    assert response.status_code == 400


BAD_STATEMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("no actor", {k: v for k, v in statement().items() if k != "actor"}, "actor"),
    ("no verb", {k: v for k, v in statement().items() if k != "verb"}, "verb"),
    ("no object", {k: v for k, v in statement().items() if k != "object"}, "object"),
    ("unknown property", statement(colour="blue"), "colour"),
    ("verb id not an IRI", statement(verb="completed"), "verb"),
    ("actor with two identifiers", statement(actor={**agent(), "mbox": "mailto:a@b.id"}), "actor"),
    ("mbox without mailto", statement(actor={"mbox": "a@b.id"}), "mbox"),
    ("malformed id", statement(statement_id="not-a-uuid"), "id"),
    ("bad timestamp", statement(timestamp="yesterday"), "timestamp"),
    ("scaled score above 1", statement(result={"score": {"scaled": 1.5}}), "scaled"),
    ("bad duration", statement(result={"duration": "90 minutes"}), "duration"),
    (
        "bad language tag",
        statement(verb=COMPLETED) | {"verb": {"id": COMPLETED, "display": {"not a tag!": "x"}}},
        "display",
    ),
    ("registration not a UUID", statement(context={"registration": "abc"}), "registration"),
    ("unsupported statement version", statement(version="0.95"), "version"),
    ("null where an object is due", statement(result=None), "result"),
]


@pytest.mark.parametrize(
    ("bad", "names"), [(b, n) for _, b, n in BAD_STATEMENTS], ids=[i for i, _, _ in BAD_STATEMENTS]
)
def test_bad_statement_is_a_400_naming_the_property_and_stores_nothing(
    xapi: XAPIClient, bad: dict[str, Any], names: str
) -> None:
    response = xapi.post_statements(bad)
    assert response.status_code == 400
    body = response.get_json()
    assert names in body["detail"], body
    assert count_rows(Statement) == 0


def test_batch_with_one_bad_statement_stores_none_of_it(xapi: XAPIClient) -> None:
    good = [statement(statement_id=str(uuid.uuid4())) for _ in range(3)]
    response = xapi.post_statements([*good, statement(verb="not an iri")])
    assert response.status_code == 400
    assert "statements[3]" in response.get_json()["detail"]
    assert count_rows(Statement) == 0
    assert count_rows(StatementAgent) == 0
    assert count_rows(StatementActivity) == 0


def test_batch_with_two_different_statements_under_one_id_is_rejected(xapi: XAPIClient) -> None:
    statement_id = str(uuid.uuid4())
    response = xapi.post_statements(
        [
            statement(statement_id=statement_id),
            statement(statement_id=statement_id, verb="http://x.id/v"),
        ]
    )
    assert response.status_code == 400
    assert count_rows(Statement) == 0


def test_body_that_is_not_json_is_rejected(xapi: XAPIClient) -> None:
    response = xapi.client.post(
        "/xapi/statements",
        data=b"{not json",
        headers=xapi.headers({"Content-Type": "application/json"}),
    )
    assert response.status_code == 400


def test_wrong_content_type_is_rejected(xapi: XAPIClient) -> None:
    response = xapi.client.post(
        "/xapi/statements",
        data=json.dumps(statement()),
        headers=xapi.headers({"Content-Type": "text/plain"}),
    )
    assert response.status_code == 400


def test_empty_array_is_rejected(xapi: XAPIClient) -> None:
    assert xapi.post_statements([]).status_code == 400


def test_batch_over_the_limit_is_413_and_stores_nothing(xapi: XAPIClient, app_context: Any) -> None:
    limit = app_context.extensions["lms_bridge.settings"].max_statements_per_batch
    response = xapi.post_statements([statement() for _ in range(limit + 1)])
    assert response.status_code == 413
    assert count_rows(Statement) == 0


# --- authentication, scopes and versions ------------------------------------------------


def test_missing_credentials_are_401_with_a_challenge(xapi: XAPIClient) -> None:
    response = xapi.client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_wrong_secret_is_401(xapi: XAPIClient) -> None:
    response = xapi.get(headers={"Authorization": basic_auth("moodle-test", "wrong")})
    assert response.status_code == 401


def test_revoked_client_is_refused_at_once(xapi: XAPIClient) -> None:
    assert xapi.get().status_code == 200
    revoke_client("moodle-test")
    assert xapi.get().status_code == 401


def test_write_only_client_cannot_read_and_read_mine_sees_only_its_own(app_context: Any) -> None:
    writer = create_client(
        "writer", key="writer", secret="w", scopes=["statements/write"], hash_method=HASH_METHOD
    )
    other = create_client(
        "other",
        key="other",
        secret="o",
        scopes=["statements/write", "statements/read/mine"],
        hash_method=HASH_METHOD,
    )
    client = app_context.test_client()
    writer_api = XAPIClient(client, writer.key, writer.secret)
    other_api = XAPIClient(client, other.key, other.secret)
    [writers_id] = writer_api.post_statements(statement()).get_json()
    [others_id] = other_api.post_statements(statement()).get_json()
    assert writer_api.get().status_code == 403
    listed = other_api.get().get_json()["statements"]
    assert [s["id"] for s in listed] == [others_id]
    assert other_api.get(query_string={"statementId": writers_id}).status_code == 404


def test_missing_version_header_is_400(xapi: XAPIClient) -> None:
    response = xapi.client.get("/xapi/statements", headers={"Authorization": xapi.auth})
    assert response.status_code == 400
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


@pytest.mark.parametrize("header", ["0.95", "1.1.0", "3.0.0", "banana"])
def test_unsupported_version_is_400(xapi: XAPIClient, header: str) -> None:
    response = xapi.get(headers={"X-Experience-API-Version": header})
    assert response.status_code == 400


def test_version_2_requests_are_answered_as_2(xapi: XAPIClient) -> None:
    response = xapi.get(headers={"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == "2.0.0"


def test_about_needs_neither_credentials_nor_version(xapi: XAPIClient) -> None:
    response = xapi.client.get("/xapi/about")
    assert response.status_code == 200
    assert {"1.0.3", "2.0.0"} <= set(response.get_json()["version"])


# --- voiding -----------------------------------------------------------------------------


def test_voided_statement_is_found_only_by_voided_statement_id(xapi: XAPIClient) -> None:
    [target] = xapi.post_statements(statement()).get_json()
    assert xapi.post_statements(void(target, actor=agent("admin"))).status_code == 200
    assert xapi.get(query_string={"statementId": target}).status_code == 404
    response = xapi.get(query_string={"voidedStatementId": target})
    assert response.status_code == 200
    assert response.get_json()["id"] == target
    listed = [s["id"] for s in xapi.get().get_json()["statements"]]
    assert target not in listed


def test_voiding_a_voiding_statement_is_rejected(xapi: XAPIClient) -> None:
    [target] = xapi.post_statements(statement()).get_json()
    voiding = void(target, actor=agent("admin"))
    xapi.post_statements(voiding)
    response = xapi.post_statements(void(voiding["id"], actor=agent("admin")))
    assert response.status_code == 400
    assert xapi.get(query_string={"voidedStatementId": voiding["id"]}).status_code == 404


def test_statement_arriving_after_its_voiding_statement_is_stored_voided(xapi: XAPIClient) -> None:
    target = str(uuid.uuid4())
    xapi.post_statements(void(target, actor=agent("admin")))
    xapi.post_statements(statement(statement_id=target))
    assert xapi.get(query_string={"statementId": target}).status_code == 404
    assert xapi.get(query_string={"voidedStatementId": target}).status_code == 200


# --- reading -----------------------------------------------------------------------------


def test_get_of_an_unknown_id_is_404(xapi: XAPIClient) -> None:
    response = xapi.get(query_string={"statementId": str(uuid.uuid4())})
    assert response.status_code == 404
    assert "X-Experience-API-Consistent-Through" in response.headers


def test_single_statement_carries_last_modified_and_consistent_through(xapi: XAPIClient) -> None:
    [statement_id] = xapi.post_statements(statement()).get_json()
    response = xapi.get(query_string={"statementId": statement_id})
    assert response.headers["Last-Modified"]
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_head_answers_like_get_without_a_body(xapi: XAPIClient) -> None:
    [statement_id] = xapi.post_statements(statement()).get_json()
    response = xapi.client.head(
        "/xapi/statements", query_string={"statementId": statement_id}, headers=xapi.headers()
    )
    assert response.status_code == 200
    assert response.get_data() == b""


def test_statement_id_combined_with_a_filter_is_rejected(xapi: XAPIClient) -> None:
    response = xapi.get(query_string={"statementId": str(uuid.uuid4()), "verb": COMPLETED})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"LIMIT": "1"},
        {"colour": "blue"},
        {"limit": "-1"},
        {"since": "yesterday"},
        {"agent": "{not json"},
        {"agent": '{"name": "no identifier"}'},
        {"format": "pretty"},
        {"ascending": "yes"},
    ],
)
def test_bad_query_parameters_are_400(xapi: XAPIClient, params: dict[str, str]) -> None:
    response = xapi.get(query_string=params)
    assert response.status_code == 400
    assert "X-Experience-API-Consistent-Through" in response.headers


def _ids(xapi: XAPIClient, **params: str) -> list[str]:
    response = xapi.get(query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [s["id"] for s in response.get_json()["statements"]]


def test_query_filters_by_agent_verb_activity_and_registration(xapi: XAPIClient) -> None:
    registration = str(uuid.uuid4())
    alice, bob = agent("198503302010121002"), agent("199001012015032001")
    a1 = statement(
        actor=alice, statement_id=str(uuid.uuid4()), context={"registration": registration}
    )
    a2 = statement(
        actor=alice, statement_id=str(uuid.uuid4()), verb="http://adlnet.gov/expapi/verbs/passed"
    )
    b1 = statement(
        actor=bob, statement_id=str(uuid.uuid4()), activity="https://lms.example.id/course/7"
    )
    xapi.post_statements([a1, a2, b1])
    assert _ids(xapi, agent=json.dumps(alice)) == [a2["id"], a1["id"]]
    assert _ids(xapi, verb=COMPLETED) == [b1["id"], a1["id"]]
    assert _ids(xapi, activity="https://lms.example.id/course/7") == [b1["id"]]
    assert _ids(xapi, registration=registration) == [a1["id"]]
    assert _ids(xapi, agent=json.dumps(alice), verb=COMPLETED) == [a1["id"]]


def test_related_activities_and_agents_widen_the_filter(xapi: XAPIClient) -> None:
    course = "https://lms.example.id/course/7"
    instructor = agent("197001011995031001")
    inside = statement(
        statement_id=str(uuid.uuid4()),
        context={"contextActivities": {"parent": [{"id": course}]}, "instructor": instructor},
    )
    xapi.post_statements(inside)
    assert _ids(xapi, activity=course) == []
    assert _ids(xapi, activity=course, related_activities="true") == [inside["id"]]
    assert _ids(xapi, agent=json.dumps(instructor)) == []
    assert _ids(xapi, agent=json.dumps(instructor), related_agents="true") == [inside["id"]]


def test_statement_referencing_a_matching_statement_meets_the_filter(xapi: XAPIClient) -> None:
    target = statement(statement_id=str(uuid.uuid4()))
    referrer = statement(
        statement_id=str(uuid.uuid4()),
        actor=agent("other"),
        verb="http://adlnet.gov/expapi/verbs/commented",
        object={"objectType": "StatementRef", "id": target["id"]},
    )
    xapi.post_statements([target, referrer])
    assert _ids(xapi, verb=COMPLETED) == [referrer["id"], target["id"]]


def test_since_until_and_ascending(xapi: XAPIClient) -> None:
    first = statement(statement_id=str(uuid.uuid4()))
    xapi.post_statements(first)
    first_stored = stored_statement(xapi, first["id"])["stored"]
    second = statement(statement_id=str(uuid.uuid4()))
    xapi.post_statements(second)
    second_stored = stored_statement(xapi, second["id"])["stored"]
    if first_stored == second_stored:
        pytest.fail("both statements were stored in the same millisecond; the test needs two")
    assert _ids(xapi, since=first_stored) == [second["id"]]
    assert _ids(xapi, until=first_stored) == [first["id"]]
    assert _ids(xapi, ascending="true") == [first["id"], second["id"]]


def test_pages_follow_more_links_without_repeats_or_gaps(xapi: XAPIClient) -> None:
    ids = [str(uuid.uuid4()) for _ in range(7)]
    xapi.post_statements([statement(statement_id=i) for i in ids])
    seen: list[str] = []
    response = xapi.get(query_string={"limit": "3"})
    while True:
        body = response.get_json()
        seen += [s["id"] for s in body["statements"]]
        if not body["more"]:
            break
        # a statement arriving mid-pagination must not shift the pages
        xapi.post_statements(statement())
        response = xapi.get(body["more"])
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))


def test_format_ids_keeps_only_identifiers(xapi: XAPIClient) -> None:
    [statement_id] = xapi.post_statements(statement()).get_json()
    ids_form = stored_statement(xapi, statement_id, format="ids")
    assert ids_form["verb"] == {"id": COMPLETED}
    assert set(ids_form["object"]) <= {"id", "objectType"}
    assert "name" not in ids_form["actor"]


def test_format_canonical_keeps_the_preferred_language(xapi: XAPIClient) -> None:
    [statement_id] = xapi.post_statements(statement()).get_json()
    response = xapi.get(
        query_string={"statementId": statement_id, "format": "canonical"},
        headers={"Accept-Language": "id-ID, en;q=0.5"},
    )
    assert response.get_json()["verb"]["display"] == {"id-ID": "menyelesaikan"}


def test_alternate_request_syntax_reads_and_writes(xapi: XAPIClient) -> None:
    statement_id = str(uuid.uuid4())
    form = {
        "Authorization": xapi.auth,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "statementId": statement_id,
        "content": json.dumps(statement()),
    }
    response = xapi.client.post("/xapi/statements?method=PUT", data=form)
    assert response.status_code == 204, response.get_data(as_text=True)
    response = xapi.client.post(
        "/xapi/statements?method=GET",
        data={
            "Authorization": xapi.auth,
            "X-Experience-API-Version": "1.0.3",
            "statementId": statement_id,
        },
    )
    assert response.status_code == 200
    assert response.get_json()["id"] == statement_id


def test_alternate_request_syntax_is_refused_in_2_0(xapi: XAPIClient) -> None:
    response = xapi.client.post(
        "/xapi/statements?method=GET",
        data={"Authorization": xapi.auth, "X-Experience-API-Version": "2.0.0"},
    )
    assert response.status_code == 400


def test_single_context_activity_is_returned_as_an_array_and_a_resend_is_identical(
    xapi: XAPIClient,
) -> None:
    statement_id = str(uuid.uuid4())
    sent = statement(
        statement_id=statement_id,
        context={"contextActivities": {"parent": {"id": "https://lms.example.id/course/7"}}},
    )
    assert xapi.post_statements(sent).status_code == 200
    stored = stored_statement(xapi, statement_id)
    assert stored["context"]["contextActivities"]["parent"] == [
        {"id": "https://lms.example.id/course/7"}
    ]
    assert xapi.post_statements(sent).status_code == 200
    assert count_rows(Statement) == 1


def test_a_reset_secret_stops_the_old_one_at_once(xapi: XAPIClient) -> None:
    assert xapi.get().status_code == 200  # the old secret is verified and remembered
    reset = reset_client(
        "Moodle BPSDM test", key="moodle-test", scopes=["all"], hash_method=HASH_METHOD
    )
    assert xapi.get().status_code == 401
    assert XAPIClient(xapi.client, reset.key, reset.secret).get().status_code == 200
