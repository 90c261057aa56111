"""Statement comparison for conflict detection (xAPI Data 2.3.1, Statement Comparison
Requirements): differences the LRS could have caused are ignored, all others count."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from tests.statement_files import IN_REPOSITORY
from xapi.comparison import statements_equivalent

Change = Callable[[dict[str, Any]], object]


@pytest.fixture
def stored(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement as the LRS holds it: with the properties the LRS sets."""
    return copy.deepcopy(statement) | {
        "stored": "2025-03-10T02:15:01.000Z",
        "authority": {
            "objectType": "Agent",
            "account": {"homePage": "https://lrs.example", "name": "moodle"},
        },
        "version": "1.0.0",
    }


def test_statement_is_equivalent_to_itself(statement: dict[str, Any]) -> None:
    assert statements_equivalent(statement, copy.deepcopy(statement))


def test_spec_examples_are_equivalent_to_their_copies_only() -> None:
    statements = [IN_REPOSITORY.load(name) for name in IN_REPOSITORY.names("adl/*.json")]
    assert len(statements) == 5
    for index, left in enumerate(statements):
        for other, right in enumerate(statements):
            assert statements_equivalent(left, copy.deepcopy(right)) is (index == other)


def test_properties_the_lrs_sets_are_ignored(
    statement: dict[str, Any], stored: dict[str, Any]
) -> None:
    assert statements_equivalent(stored, statement)
    assert statements_equivalent(
        statement, stored | {"authority": {"mbox": "mailto:other@example.org"}}
    )


def test_missing_timestamp_is_ignored_because_the_lrs_fills_it_in(
    statement: dict[str, Any], stored: dict[str, Any]
) -> None:
    del statement["timestamp"]
    assert statements_equivalent(stored, statement)


def test_missing_id_is_ignored(statement: dict[str, Any], stored: dict[str, Any]) -> None:
    del statement["id"]
    assert statements_equivalent(stored, statement)


IGNORED: list[tuple[str, Change]] = [
    ("timestamp in another zone", lambda s: s.update(timestamp="2025-03-10T02:15:00.123Z")),
    ("timestamp in basic format", lambda s: s.update(timestamp="20250310T021500.123Z")),
    (
        "timestamp rounded to milliseconds",
        lambda s: s.update(timestamp="2025-03-10T09:15:00.1234+07:00"),
    ),
    ("verb display", lambda s: s["verb"].update(display={"id-ID": "menjawab"})),
    ("activity definition", lambda s: s["object"].pop("definition")),
    (
        "context activity definition",
        lambda s: s["context"]["contextActivities"]["category"][0].update(
            definition={"name": {"en": "Site"}}
        ),
    ),
    ("attachments", lambda s: s.pop("attachments")),
    (
        "case of the UUIDs",
        lambda s: s["context"].update(registration="58028332-2277-5B51-A632-7836992917EA"),
    ),
    (
        "case of the e-mail domain and scheme",
        lambda s: s["context"].update(instructor={"mbox": "MAILTO:instructor@EXAMPLE.go.id"}),
    ),
    ("case of the language tag", lambda s: s["context"].update(language="ID-id")),
    (
        "case of the IRI host and scheme",
        lambda s: s["verb"].update(id="HTTP://ADLNET.gov/expapi/verbs/answered"),
    ),
    (
        "dot segments in an IRI",
        lambda s: s["object"].update(
            id="https://lms.example.go.id/mod/quiz/../quiz/attempt.php?attempt=1&cmid=7#q1"
        ),
    ),
    (
        "escaped unreserved characters in an IRI",
        lambda s: s["verb"].update(id="http://adlnet.gov/expapi/verbs/%61nswered"),
    ),
    ("objectType left to its default", lambda s: s["object"].pop("objectType")),
    ("agent objectType left to its default", lambda s: s["actor"].pop("objectType")),
    (
        "single context activity as an array of one",
        lambda s: s["context"]["contextActivities"].update(
            grouping=[{"id": "https://lms.example.go.id/course/view.php?id=2"}]
        ),
    ),
    ("duration precision beyond 0.01 s", lambda s: s["result"].update(duration="PT4M5.2567S")),
    ("trailing zero of a duration", lambda s: s["result"].update(duration="PT4M5.250S")),
    ("a number written as 75.0", lambda s: s["result"]["score"].update(raw=75.0)),
    ("order of JSON properties", lambda s: s.update(dict(reversed(list(s.items()))))),
]


@pytest.mark.parametrize("change", [row[1] for row in IGNORED], ids=[row[0] for row in IGNORED])
def test_difference_the_lrs_could_have_caused_is_ignored(
    statement: dict[str, Any], stored: dict[str, Any], change: Change
) -> None:
    change(statement)
    assert statements_equivalent(stored, statement)
    assert statements_equivalent(statement, stored)


COUNTED: list[tuple[str, Change]] = [
    ("another verb", lambda s: s["verb"].update(id="http://adlnet.gov/expapi/verbs/attempted")),
    (
        "another activity",
        lambda s: s["object"].update(id="https://lms.example.go.id/mod/quiz/view.php?id=8"),
    ),
    ("another actor", lambda s: s["actor"]["account"].update(name="198503302010121003")),
    ("another actor name", lambda s: s["actor"].update(name="Budi")),
    ("case of an account name", lambda s: s["actor"]["account"].update(name="ASN")),
    (
        "case of an e-mail local part",
        lambda s: s["context"].update(instructor={"mbox": "mailto:Instructor@example.go.id"}),
    ),
    (
        "case of an IRI path",
        lambda s: s["verb"].update(id="http://adlnet.gov/expapi/verbs/Answered"),
    ),
    ("another timestamp", lambda s: s.update(timestamp="2025-03-10T09:15:01.123+07:00")),
    ("timestamp 2 ms apart", lambda s: s.update(timestamp="2025-03-10T09:15:00.125+07:00")),
    ("another score", lambda s: s["result"]["score"].update(raw=76)),
    ("success true vs 1", lambda s: s["result"].update(success=1)),
    ("another response", lambda s: s["result"].update(response="a")),
    ("another duration", lambda s: s["result"].update(duration="PT4M5.26S")),
    ("duration in other units", lambda s: s["result"].update(duration="PT245.25S")),
    ("result removed", lambda s: s.pop("result")),
    (
        "another registration",
        lambda s: s["context"].update(registration="68028332-2277-5b51-a632-7836992917ea"),
    ),
    (
        "another extension value",
        lambda s: s["result"]["extensions"].update({"https://lms.example.go.id/xapi/attempt": 2}),
    ),
    (
        "another context activity",
        lambda s: s["context"]["contextActivities"]["parent"].append({"id": "http://x.org/p"}),
    ),
    (
        "order of context activities",
        lambda s: s["context"]["contextActivities"]["parent"].insert(0, {"id": "http://x.org/p"}),
    ),
    (
        "another group member",
        lambda s: s["context"]["team"]["member"][0].update(
            mbox_sha1sum="0000000000000000000000000000000000000000"
        ),
    ),
    ("another platform", lambda s: s["context"].update(platform="Totara")),
    (
        "another statement reference",
        lambda s: s["context"]["statement"].update(id="9f87ccde-bb56-4c2e-ab83-44982ef22df0"),
    ),
]


@pytest.mark.parametrize("change", [row[1] for row in COUNTED], ids=[row[0] for row in COUNTED])
def test_any_other_difference_makes_a_conflict(
    statement: dict[str, Any], stored: dict[str, Any], change: Change
) -> None:
    change(statement)
    assert not statements_equivalent(stored, statement)
    assert not statements_equivalent(statement, stored)


def test_order_of_group_members_is_ignored(statement: dict[str, Any]) -> None:
    members = [{"mbox": "mailto:a@x.org"}, {"openid": "http://x.org/b"}, {"mbox": "mailto:c@X.org"}]
    left = statement | {
        "actor": {"objectType": "Group", "mbox": "mailto:g@x.org", "member": members}
    }
    right = copy.deepcopy(left)
    right["actor"]["member"] = [{"mbox": "mailto:c@x.org"}, members[0], members[1]]
    assert statements_equivalent(left, right)
    right["actor"]["member"].pop()
    assert not statements_equivalent(left, right)


SUB_STATEMENT = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:learner@example.org"},
    "verb": {"id": "http://example.com/planned", "display": {"en": "planned"}},
    "object": {"id": "http://example.com/website", "definition": {"name": {"en": "Site"}}},
    "timestamp": "2031-01-01T07:00:00+07:00",
}


def test_substatement_is_compared_with_the_same_rules(statement: dict[str, Any]) -> None:
    left = statement | {"object": SUB_STATEMENT}
    right = copy.deepcopy(left)
    right["object"].update(
        timestamp="2031-01-01T00:00:00Z", verb={"id": "http://example.com/planned"}
    )
    del right["object"]["object"]["definition"]
    assert statements_equivalent(left, right)
    right["object"]["verb"]["id"] = "http://example.com/visited"
    assert not statements_equivalent(left, right)


def test_substatement_timestamp_is_not_assigned_by_the_lrs_so_it_counts(
    statement: dict[str, Any],
) -> None:
    left = statement | {"object": SUB_STATEMENT}
    right = statement | {"object": {k: v for k, v in SUB_STATEMENT.items() if k != "timestamp"}}
    assert not statements_equivalent(left, right)


def test_xapi_2_context_agents_are_compared(statement: dict[str, Any]) -> None:
    entry = {
        "objectType": "contextAgent",
        "agent": {"mbox": "mailto:m@EXAMPLE.org"},
        "relevantTypes": ["HTTP://x.org/r"],
    }
    left = statement | {"context": statement["context"] | {"contextAgents": [entry]}}
    right = copy.deepcopy(left)
    right["context"]["contextAgents"][0] = {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:m@example.org"},
        "relevantTypes": ["http://x.org/r"],
    }
    assert statements_equivalent(left, right)
    right["context"]["contextAgents"][0]["relevantTypes"] = ["http://x.org/other"]
    assert not statements_equivalent(left, right)
