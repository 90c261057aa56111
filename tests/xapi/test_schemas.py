"""Statement validation: real emitters' statements, then every kind of bad input the spec
names, each refused with 400 and a message naming the property."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from marshmallow import ValidationError

from tests.statement_files import IN_REPOSITORY, StatementFiles, parametrize_by_file
from xapi.errors import BadRequest, InvalidStatement
from xapi.schemas import STATEMENT_SCHEMAS, validate_statement, validate_statements
from xapi.versions import VERSION_1, VERSION_2, XAPIVersion

Rejected = Callable[..., InvalidStatement]  # the ``rejected`` fixture of conftest.py
VERSIONS = (VERSION_1, VERSION_2)

# Open edX output a strict 1.0.3 LRS rejects: file -> (path, reason).
GROUP_ACTIVITY = ("statements[0].object.objectType", "must be 'Activity' or 'Agent' or 'Group'")
UNNAMED_ACTIVITY = ("statement.object.id", "required")
BARE_UUID_GROUPING = (
    "statement.context.contextActivities.grouping[0].id",
    "must be an absolute IRI with a scheme",
)
FIXTURE_QUIRKS = {
    "openedx/problem_check(server,multiple_questions).json": GROUP_ACTIVITY,
    "openedx/problem_check(server).group_activity_in_parent_only.json": (
        "statements[0].context.contextActivities.parent[0].objectType",
        "must be 'Activity'",
    ),
    "openedx/problem_check(browser).required.only.data.json": UNNAMED_ACTIVITY,
    "openedx/edx.special_exam.timed.attempt.created.json": BARE_UUID_GROUPING,
    "openedx/edx.special_exam.timed.attempt.submitted.json": BARE_UUID_GROUPING,
}
NOT_VALID_FOR_1_0_3 = {
    "edge/not-valid-for-xapi-1.0.3/lrs-conformance_xapi2.0_contextAgents.json": (
        "statement.context.contextAgents",
        "exists only in xAPI 2.0.0",
    ),
    "edge/not-valid-for-xapi-1.0.3/lrs-conformance_xapi2.0_contextGroups.json": (
        "statement.context.contextGroups",
        "exists only in xAPI 2.0.0",
    ),
    "edge/not-valid-for-xapi-1.0.3/xapi-0.9_statement_before_conversion.json": (
        "statement.actor.objectType",  # 0.9 "Person" actor, beside a list-valued mbox
        "must be 'Agent' or 'Group'",
    ),
    "h5p/not-valid-for-xapi-1.0.3/h5p-php-report_appendixB_singlechoiceset_getXAPIData.json": (
        "statements[0].object.definition.interactionType",  # "compound"
        "must be one of choice,",
    ),
}
"""The same files in the repository's set and in the corpus."""


# ------------------------------------------------------------------------------- emitters

EMITTERS = {"adl", "cmi5", "edge", "h5p", "moodle", "openedx", "video", "voiding"}
"""Folders every set has, besides Moodle's legacy design (the corpus names it by release)."""


class EmitterOutputValidation:
    """What the validator makes of emitters' real output (layout: tests/statement_files.py).

    Subclasses name the set; the corpus check (tests/corpus) runs these same checks on the
    full real-world corpus, so both sets are held to one description of each emitter.
    """

    files: StatementFiles = IN_REPOSITORY
    quirks: dict[str, tuple[str, str]] = FIXTURE_QUIRKS
    not_valid: dict[str, tuple[str, str]] = NOT_VALID_FOR_1_0_3
    minimum_files = 60

    def accepted(self) -> list[str]:
        return [name for name in self.files.names("*/*.json") if name not in self.quirks]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        parametrize_by_file(
            metafunc,
            {
                "accepted_file": self.accepted(),
                "quirk_file": list(self.quirks),
                "not_valid_file": list(self.not_valid),
                "xapi_2_file": [name for name in self.not_valid if "xapi2.0" in name],
                "multipart_file": self.files.names("attachments/multipart-only/*.json"),
            },
        )

    def test_the_set_holds_every_emitter_and_the_listed_files(self) -> None:
        names = self.files.names("*/*.json")
        assert len(names) >= self.minimum_files, f"statement files missing under {self.files.root}"
        folders = {name.split("/")[0] for name in names}
        assert folders >= EMITTERS
        assert any(folder.startswith("moodle-legacy") for folder in folders)
        assert set(self.quirks) <= set(names), "a listed invalid file is missing"
        assert self.files.names("*/not-valid-for-xapi-1.0.3/*.json") == sorted(self.not_valid)
        assert len(self.files.names("attachments/multipart-only/*.json")) == 2

    def test_statement_is_valid_under_1_0_3(self, accepted_file: str) -> None:
        expected = self.files.statements(accepted_file)
        assert validate_statements(self.files.load(accepted_file), VERSION_1) == expected

    def test_statements_valid_under_1_0_3_are_valid_under_2_0_0(self) -> None:
        """Every timestamp has a zone, and 2.0.0 accepts statement versions 1.0.x too."""
        refused = {}
        for name in self.accepted():
            try:
                validate_statements(self.files.load(name), VERSION_2)
            except InvalidStatement as error:
                refused[name] = error.message
        assert refused == {}

    def test_openedx_quirk_is_rejected_under_1_0_3(
        self, quirk_file: str, rejected: Rejected
    ) -> None:
        path, reason = self.quirks[quirk_file]
        error = rejected(self.files.load(quirk_file), VERSION_1)
        assert (error.path, reason in error.reason) == (path, True)

    def test_statement_in_not_valid_folder_is_rejected_under_1_0_3(
        self, not_valid_file: str, rejected: Rejected
    ) -> None:
        path, reason = self.not_valid[not_valid_file]
        error = rejected(self.files.load(not_valid_file), VERSION_1)
        assert (error.path, reason in error.reason) == (path, True)

    def test_xapi_2_context_agents_and_groups_are_valid_under_2_0_0(self, xapi_2_file: str) -> None:
        validate_statements(self.files.load(xapi_2_file), VERSION_2)

    def test_attachment_without_file_url_is_valid_metadata(self, multipart_file: str) -> None:
        """The parts arrive in multipart/mixed; checking they do is the HTTP layer's job."""
        validate_statements(self.files.load(multipart_file), VERSION_1)

    def test_h5p_children_are_valid_although_their_parent_is_not(self) -> None:
        name = next(name for name in self.not_valid if name.startswith("h5p/"))
        _parent, *children = self.files.load(name)
        assert validate_statements(children, VERSION_1) == children


class TestEmitterFixturesValidation(EmitterOutputValidation):
    """The repository's own set: it runs with every ``make test``."""


# ------------------------------------------------------------------------------- entry points


def test_validation_returns_the_same_objects_unchanged(statement: dict[str, Any]) -> None:
    original = copy.deepcopy(statement)
    batch = [statement, copy.deepcopy(statement) | {"id": "11111111-2222-3333-4444-555555555555"}]
    assert validate_statements(batch, VERSION_1) is batch
    assert validate_statements(statement, VERSION_1)[0] is statement
    assert statement == original


def test_full_statement_is_valid_under_both_versions(statement: dict[str, Any]) -> None:
    for version in VERSIONS:
        assert validate_statement(statement, version) is statement


def test_empty_array_is_rejected(rejected: Rejected) -> None:
    assert rejected([]).path == "statements"


@pytest.mark.parametrize("payload", ["statement", 42, None, True])
def test_payload_that_is_no_object_or_array_is_rejected(
    payload: object, rejected: Rejected
) -> None:
    assert rejected(payload).path == "statements"


def test_array_item_that_is_no_object_is_rejected(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    error = rejected([statement, "statement"])
    assert (error.path, error.reason) == ("statements[1]", "must be a JSON object (a Statement)")


def test_error_in_a_batch_names_the_statement_index(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    bad = copy.deepcopy(statement) | {"id": "11111111-2222-3333-4444-555555555555"}
    bad["context"]["contextActivities"]["parent"][0]["id"] = "quiz-7"
    error = rejected([statement, bad])
    assert error.path == "statements[1].context.contextActivities.parent[0].id"


def test_batch_repeating_an_id_is_rejected(statement: dict[str, Any], rejected: Rejected) -> None:
    again = copy.deepcopy(statement) | {"id": statement["id"].upper()}
    error = rejected([statement, again])
    assert (error.path, "statements[0]" in error.reason) == ("statements[1].id", True)


def test_single_statement_error_path_starts_with_statement(rejected: Rejected) -> None:
    assert rejected({"actor": {"mbox": "mailto:a@example.org"}}).path == "statement.verb"


def test_invalid_statement_is_a_400_bad_request() -> None:
    with pytest.raises(BadRequest) as caught:
        validate_statement({}, VERSION_1)
    assert caught.value.status == 400
    assert caught.value.message == "statement.actor: is required in a Statement"


def test_validate_statement_uses_the_given_path() -> None:
    with pytest.raises(InvalidStatement) as caught:
        validate_statement({"actor": 1}, VERSION_1, path="body")
    assert caught.value.path == "body.actor"


def test_marshmallow_load_applies_the_same_rules(statement: dict[str, Any]) -> None:
    schema = STATEMENT_SCHEMAS[VERSION_1]
    assert schema.load(statement)["actor"] == statement["actor"]
    statement["object"] = {
        "objectType": "StatementRef",
        "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0",
    }
    with pytest.raises(ValidationError) as caught:
        schema.load(statement)
    assert caught.value.messages == {"context": {"revision": [ANY_STRING]}}


# ------------------------------------------------------------------------------- bad input

DELETE = object()


class _AnyString(str):
    """Equal to any string: lets a test compare message structure, not wording."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str)

    __hash__ = str.__hash__


ANY_STRING = _AnyString()
SUB_STATEMENT = {
    "objectType": "SubStatement",
    "actor": {"mbox": "mailto:learner@example.org"},
    "verb": {"id": "http://example.com/planned"},
    "object": {"id": "http://example.com/website"},
}
STATEMENT_REF = {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"}
TWO_MEMBERS = [
    {
        "account": {
            "homePage": "http://example.com/xAPI/OAuth/Token",
            "name": "oauth_consumer_x75db",
        }
    },
    {"mbox": "mailto:bob@example.com"},
]


def changed(statement: dict[str, Any], where: str, value: object) -> dict[str, Any]:
    """Set (or, with DELETE, remove) the property at a dotted path such as ``a.b.0.c``."""
    *parents, last = where.split(".")
    target: Any = statement
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is DELETE:
        del target[int(last) if isinstance(target, list) else last]
    elif isinstance(target, list):
        target[int(last)] = copy.deepcopy(value)
    else:
        target[last] = copy.deepcopy(value)
    return statement


# (test id, property to change, new value, path the error must name, words the reason holds)
# fmt: off
BAD_INPUT: list[tuple[str, str, object, str, str]] = [
    # Data 2.2 Formatting Requirements
    ("unknown property", "mood", "happy", "mood", "is not a property of a Statement"),
    ("key in the wrong case", "Verb", {"id": "http://x.org/v"}, "Verb", "is not a property"),
    ("missing actor", "actor", DELETE, "actor", "is required"),
    ("missing verb", "verb", DELETE, "verb", "is required"),
    ("missing object", "object", DELETE, "object", "is required"),
    ("null value", "result.response", None, "result.response", "must not be null"),
    ("null in a language map", "verb.display.en", None, "verb.display.en", "must not be null"),
    ("null statement property", "context", None, "context", "must not be null"),
    # Data 2.4.1 id, 2.4.7 timestamp, 2.4.8 stored, 2.4.10 version, 4.4 UUID, 4.5 Timestamps
    ("id with too many digits", "id", "AA97B177-9383-4934-8543-0F91A7A028368", "id", "UUID"),
    ("id with non-hex digits", "id", "MA97B177-9383-4934-8543-0F91A7A02836", "id", "UUID"),
    ("id without dashes", "id", "3f2d1c5e9a7b4c1d8e2f0a1b2c3d4e5f", "id", "UUID"),
    ("id as a number", "id", 12345, "id", "UUID"),
    ("empty id", "id", "", "id", "UUID"),
    ("timestamp not ISO 8601", "timestamp", "01/011/2015", "timestamp", "ISO 8601"),
    ("timestamp with offset -00:00",
     "timestamp", "2008-09-15T15:53:00.601-00:00", "timestamp", "-00:00"),
    ("timestamp with offset -0000",
     "timestamp", "2008-09-15T15:53:00.601-0000", "timestamp", "-00:00"),
    ("timestamp with offset -00", "timestamp", "2008-09-15T15:53:00.601-00", "timestamp", "-00:00"),
    ("timestamp of a day that does not exist",
     "timestamp", "2025-02-30T10:00:00Z", "timestamp", "real"),
    ("timestamp as a number", "timestamp", 1741572900, "timestamp", "string"),
    ("stored not a timestamp", "stored", "yesterday", "stored", "ISO 8601"),
    ("version 0.9.9", "version", "0.9.9", "version", "must be"),
    ("version 1.1.0", "version", "1.1.0", "version", "must be"),
    ("version as a number", "version", 1.0, "version", "must be"),
    ("attachments not an array", "attachments", {}, "attachments", "array"),
    # Data 2.4.2 Actor: Agent, Group, Inverse Functional Identifier, Account
    ("agent with two identifiers", "actor.mbox", "mailto:a@example.org", "actor", "exactly one"),
    ("agent without identifier", "actor.account", DELETE, "actor", "it has none"),
    ("mbox without mailto", "actor", {"mbox": "asn@example.go.id"}, "actor.mbox", "mailto IRI"),
    ("mbox with two at signs", "actor", {"mbox": "mailto:a@b@c.org"}, "actor.mbox", "mailto IRI"),
    ("mbox_sha1sum not hex", "actor", {"mbox_sha1sum": "x1"}, "actor.mbox_sha1sum", "SHA-1"),
    ("openid without scheme", "actor", {"openid": "open.id.com/u"}, "actor.openid", "IRI"),
    ("account without homePage",
     "actor.account.homePage", DELETE, "actor.account.homePage", "required"),
    ("account without name", "actor.account.name", DELETE, "actor.account.name", "required"),
    ("homePage without scheme",
     "actor.account.homePage", "lms.example.go.id", "actor.account.homePage", "IRI"),
    ("homePage with a bad scheme",
     "actor.account.homePage", "ab=c://x.org", "actor.account.homePage", "IRI"),
    ("account name as a number",
     "actor.account.name", 1985, "actor.account.name", "must be a string"),
    ("agent name as a number", "actor.name", 12, "actor.name", "must be a string"),
    ("unknown actor objectType",
     "actor.objectType", "Person", "actor.objectType", "'Agent' or 'Group'"),
    ("actor objectType in lower case", "actor.objectType", "agent", "actor.objectType", "'Agent'"),
    ("members without objectType Group",
     "actor", {"member": TWO_MEMBERS}, "actor.member", "'Group'"),
    ("anonymous group without members",
     "actor", {"objectType": "Group"}, "actor.member", "must list"),
    ("anonymous group with no members",
     "context.team.member", [], "context.team.member", "must list"),
    ("group member that is a group",
     "context.team.member.0", {"objectType": "Group", "mbox": "mailto:g@x.org"},
     "context.team.member[0].objectType", "only Agents"),
    ("group member with two identifiers",
     "context.team.member.0.mbox", "mailto:a@x.org", "context.team.member[0]", "exactly one"),
    ("identified group with two identifiers",
     "actor", {"objectType": "Group", "mbox": "mailto:g@x.org", "openid": "http://x.org/g"},
     "actor", "exactly one"),
    ("group members not an array",
     "context.team.member", {"mbox": "mailto:a@x.org"}, "context.team.member", "array"),
    # Data 2.4.9 Authority
    ("authority group of three",
     "authority", {"objectType": "Group", "member": [*TWO_MEMBERS, {"mbox": "mailto:c@x.org"}]},
     "authority.member", "exactly two"),
    ("authority group of one",
     "authority", {"objectType": "Group", "member": TWO_MEMBERS[:1]},
     "authority.member", "exactly two"),
    ("identified authority group",
     "authority", {"objectType": "Group", "member": TWO_MEMBERS, "mbox": "mailto:g@x.org"},
     "authority", "anonymous"),
    ("authority pair without OAuth consumer",
     "authority", {"objectType": "Group", "member": [{"mbox": "mailto:a@x.org"}] * 2},
     "authority.member", "account"),
    # Data 2.4.3 Verb, 4.2 Language Maps
    ("verb id without scheme", "verb.id", "adlnet.gov/expapi/verbs/answered", "verb.id", "IRI"),
    ("verb id with a space", "verb.id", "http://example.com/my verb", "verb.id", "IRI"),
    ("verb id empty", "verb.id", "", "verb.id", "IRI"),
    ("verb display as a string", "verb.display", "answered", "verb.display", "language map"),
    ("language tag that is not RFC 5646",
     "verb.display", {"a12345678": "x"}, "verb.display.a12345678", "RFC 5646"),
    ("language tag with underscore",
     "verb.display", {"en_US": "x"}, "verb.display.en_US", "RFC 5646"),
    ("language map value as a number",
     "verb.display", {"en": 1}, "verb.display.en", "must be a string"),
    ("verb with a name", "verb.name", "answered", "verb.name", "is not a property of a Verb"),
    # Data 2.4.4 Object: Activity, Activity Definition, interactions, StatementRef, SubStatement
    ("activity without id", "object.id", DELETE, "object.id", "required"),
    ("activity id that is a bare UUID",
     "object.id", "9d1e0e0c-1111-2222-3333-444455556666", "object.id", "IRI"),
    ("unknown object objectType",
     "object.objectType", "GroupActivity", "object.objectType", "must be 'Activity' or"),
    ("object objectType in the wrong case",
     "object.objectType", "activity", "object.objectType", "'Activity'"),
    ("agent object without objectType",
     "object", {"mbox": "mailto:a@x.org"}, "object.mbox", "objectType"),
    ("definition not an object", "object.definition", "quiz", "object.definition", "JSON object"),
    ("definition type without scheme",
     "object.definition.type", "cmi.interaction", "object.definition.type", "IRI"),
    ("moreInfo without scheme",
     "object.definition.moreInfo", "view.php?id=7", "object.definition.moreInfo", "IRI"),
    ("definition name as a string",
     "object.definition.name", "Q1", "object.definition.name", "language map"),
    ("unknown interactionType", "object.definition.interactionType", "compound",
     "object.definition.interactionType", "must be one of"),
    ("interactionType in the wrong case", "object.definition.interactionType", "Choice",
     "object.definition.interactionType", "must be one of"),
    ("correctResponsesPattern without interactionType",
     "object.definition.interactionType", DELETE,
     "object.definition.correctResponsesPattern", "interactionType is required"),
    ("correctResponsesPattern not an array", "object.definition.correctResponsesPattern", "a",
     "object.definition.correctResponsesPattern", "array"),
    ("correct response that is a number", "object.definition.correctResponsesPattern", [1],
     "object.definition.correctResponsesPattern[0]", "must be a string"),
    ("choices for a likert interaction", "object.definition.interactionType", "likert",
     "object.definition.choices", "needs interactionType choice or sequencing"),
    ("repeated component id",
     "object.definition.choices.1.id", "a", "object.definition.choices[1].id", "distinct"),
    ("component without id",
     "object.definition.choices.0.id", DELETE, "object.definition.choices[0].id", "required"),
    ("component with a name", "object.definition.choices.0.name", "A",
     "object.definition.choices[0].name", "is not a property of an interaction component"),
    ("extension key without scheme", "object.definition.extensions", {"question-number": 1},
     "object.definition.extensions.question-number", "IRIs"),
    ("extensions as an array",
     "object.definition.extensions", [], "object.definition.extensions", "IRIs"),
    ("StatementRef without id", "object", {"objectType": "StatementRef"}, "object.id", "required"),
    ("StatementRef id not a UUID",
     "object", {"objectType": "StatementRef", "id": "stmt-1"}, "object.id", "UUID"),
    ("StatementRef with a definition",
     "object", STATEMENT_REF | {"definition": {}}, "object.definition", "StatementRef"),
    ("SubStatement with id",
     "object", SUB_STATEMENT | {"id": STATEMENT_REF["id"]}, "object.id", "MUST NOT"),
    ("SubStatement with stored",
     "object", SUB_STATEMENT | {"stored": "2025-01-01T00:00:00Z"}, "object.stored", "MUST NOT"),
    ("SubStatement with version",
     "object", SUB_STATEMENT | {"version": "1.0.0"}, "object.version", "MUST NOT"),
    ("SubStatement with authority", "object",
     SUB_STATEMENT | {"authority": {"mbox": "mailto:a@x.org"}}, "object.authority", "MUST NOT"),
    ("nested SubStatement", "object", SUB_STATEMENT | {"object": SUB_STATEMENT},
     "object.object.objectType", "cannot contain another SubStatement"),
    ("SubStatement without verb",
     "object", {k: v for k, v in SUB_STATEMENT.items() if k != "verb"}, "object.verb", "required"),
    # Data 2.4.5 Result, 2.4.5.1 Score, 4.6 Durations
    ("success as a string", "result.success", "true", "result.success", "JSON boolean"),
    ("completion as a number", "result.completion", 1, "result.completion", "JSON boolean"),
    ("response as a number", "result.response", 3, "result.response", "must be a string"),
    ("duration in words", "result.duration", "4 minutes", "result.duration", "ISO 8601 duration"),
    ("duration mixing weeks and days", "result.duration", "P4W1D", "result.duration", "ISO 8601"),
    ("duration in the alternative format",
     "result.duration", "P0000-00-00T00:04:05", "result.duration", "ISO 8601"),
    ("duration with a fraction before the end",
     "result.duration", "PT1.5H30M", "result.duration", "ISO 8601"),
    ("empty duration", "result.duration", "PT", "result.duration", "ISO 8601 duration"),
    ("score as a number", "result.score", 95, "result.score", "JSON object"),
    ("scaled above 1", "result.score.scaled", 1.01, "result.score.scaled", "between -1 and 1"),
    ("scaled below -1",
     "result.score.scaled", -1.00001, "result.score.scaled", "between -1 and 1"),
    ("raw above max", "result.score.raw", 100.5, "result.score.raw", "greater than max"),
    ("raw below min", "result.score.raw", -1, "result.score.raw", "less than min"),
    ("min above max", "result.score", {"min": 10, "max": 5}, "result.score.min", "greater than"),
    ("raw as a numeric string", "result.score.raw", "75", "result.score.raw", "must be a number"),
    ("scaled as a boolean", "result.score.scaled", True, "result.score.scaled", "must be a number"),
    ("result extensions as a string", "result.extensions", "x", "result.extensions", "IRIs"),
    # Data 2.4.6 Context, 2.4.6.2 contextActivities
    ("registration not a UUID",
     "context.registration", "attempt-1", "context.registration", "UUID"),
    ("instructor as a string",
     "context.instructor", "Pak Budi", "context.instructor", "JSON object"),
    ("team that is an agent",
     "context.team", {"mbox": "mailto:a@x.org"}, "context.team.objectType", "required"),
    ("unknown contextActivities key", "context.contextActivities.consequences", [],
     "context.contextActivities.consequences", "is not a property"),
    ("context activity without id",
     "context.contextActivities.parent.0", {"objectType": "Activity"},
     "context.contextActivities.parent[0].id", "required"),
    ("context activity that is an agent",
     "context.contextActivities.parent.0", {"objectType": "Agent", "mbox": "mailto:a@x.org"},
     "context.contextActivities.parent[0].objectType", "'Activity'"),
    ("context activity given as a string",
     "context.contextActivities.category", "http://x.org/c",
     "context.contextActivities.category", "JSON object"),
    ("language that is not a tag",
     "context.language", "Bahasa Indonesia", "context.language", "RFC 5646"),
    ("platform as a number", "context.platform", 4, "context.platform", "must be a string"),
    ("revision as an object", "context.revision", {"v": 2}, "context.revision", "must be a string"),
    ("revision when the object is a StatementRef",
     "object", STATEMENT_REF, "context.revision", "Activity"),
    ("revision and platform when the object is an agent",
     "object", {"objectType": "Agent", "mbox": "mailto:a@x.org"}, "context.revision", "Activity"),
    ("context statement that is an activity",
     "context.statement", {"objectType": "Activity", "id": "http://x.org"},
     "context.statement.objectType", "'StatementRef'"),
    ("context extension key without scheme",
     "context.extensions", {"info": 1}, "context.extensions.info", "IRIs"),
    # Data 2.4.11 Attachments
    *[
        (f"attachment without {key}", f"attachments.0.{key}", DELETE,
         f"attachments[0].{key}", "required")
        for key in ("usageType", "display", "contentType", "length", "sha2")
    ],
    ("attachment as a string", "attachments.0", "cert.pdf", "attachments[0]", "JSON object"),
    ("usageType without scheme",
     "attachments.0.usageType", "certificate", "attachments[0].usageType", "IRI"),
    ("contentType as a number",
     "attachments.0.contentType", 12345, "attachments[0].contentType", "Media Type"),
    ("contentType without subtype",
     "attachments.0.contentType", "pdf", "attachments[0].contentType", "Media Type"),
    ("length as a string",
     "attachments.0.length", "20480", "attachments[0].length", "whole number"),
    ("negative length", "attachments.0.length", -1, "attachments[0].length", "whole number"),
    ("fractional length", "attachments.0.length", 1.5, "attachments[0].length", "whole number"),
    ("sha2 not hex", "attachments.0.sha2", "sha256-abc", "attachments[0].sha2", "SHA-2"),
    ("sha2 of the wrong length", "attachments.0.sha2", "ab" * 20, "attachments[0].sha2", "SHA-2"),
    ("fileUrl without scheme",
     "attachments.0.fileUrl", "certificates/1.pdf", "attachments[0].fileUrl", "IRI"),
    ("attachment display as a string",
     "attachments.0.display", "Certificate", "attachments[0].display", "language map"),
    ("attachment with unknown property",
     "attachments.0.data", "JVBERi0=", "attachments[0].data", "not a property"),
    # Data 2.3.2 Voiding
    ("voiding statement targeting an activity",
     "verb.id", "http://adlnet.gov/expapi/verbs/voided", "object", "StatementRef"),
]
# fmt: on


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("where", "value", "path", "words"),
    [row[1:] for row in BAD_INPUT],
    ids=[row[0] for row in BAD_INPUT],
)
def test_statement_breaking_a_rule_is_rejected_naming_the_property(
    statement: dict[str, Any],
    rejected: Rejected,
    *,
    where: str,
    value: object,
    path: str,
    words: str,
    version: XAPIVersion,
) -> None:
    error = rejected(changed(statement, where, value), version)
    assert error.path == f"statement.{path}"
    assert words in error.reason
    assert error.message.startswith(f"statement.{path}: ")


# fmt: off
GOOD_INPUT: list[tuple[str, str, object]] = [
    ("extension value null", "context.extensions", {"http://x.org/e": None}),
    ("extension value empty string", "result.extensions", {"http://x.org/e": ""}),
    ("extension value empty object", "object.definition.extensions", {"http://x.org/e": {}}),
    ("empty extensions", "context.extensions", {}),
    ("empty string in a language map", "object.definition.name", {"en-US": ""}),
    ("language tags und, tlh and private use",
     "verb.display", {"und": "a", "tlh": "b", "x-klingon": "c"}),
    ("uppercase UUID", "id", "3F2D1C5E-9A7B-4C1D-8E2F-0A1B2C3D4E5F"),
    ("nil UUID (any variant is accepted)", "id", "00000000-0000-0000-0000-000000000000"),
    ("scaled of exactly -1", "result.score", {"scaled": -1}),
    ("min, raw and max all 0 (Open edX, ungraded)", "result.score", {"min": 0, "raw": 0, "max": 0}),
    ("duration of 0 seconds", "result.duration", "PT0S"),
    ("duration in weeks", "result.duration", "P4W"),
    ("duration finer than 0.01 s", "result.duration", "P1DT12H36M0.12567S"),
    ("duration with a decimal comma", "result.duration", "PT0,5S"),
    ("timestamp in basic format", "timestamp", "20250310T091500Z"),
    ("timestamp with microseconds", "timestamp", "2023-05-04T12:00:00.123456+00:00"),
    ("timestamp in the future", "timestamp", "2031-11-23T16:29:25.647Z"),
    ("stored set by the client", "stored", "2025-03-10T02:15:00Z"),
    ("version 1.0", "version", "1.0"),
    ("version 1.0.9", "version", "1.0.9"),
    ("actor without objectType", "actor.objectType", DELETE),
    ("identified group without members",
     "actor", {"objectType": "Group", "mbox": "mailto:g@x.org"}),
    ("group actor with members and an account", "actor",
     {"objectType": "Group", "account": {"homePage": "http://x.org", "name": "g"},
      "member": TWO_MEMBERS}),
    ("authority agent", "authority", {"mbox": "mailto:lrs@example.go.id"}),
    ("authority OAuth pair", "authority", {"objectType": "Group", "member": TWO_MEMBERS}),
    ("single context activity object", "context.contextActivities.parent", {"id": "http://x.org/p"}),
    ("empty context activity array", "context.contextActivities.other", []),
    ("attachment without fileUrl", "attachments.0.fileUrl", DELETE),
    ("no attachments", "attachments", []),
    ("component lists for matching", "object.definition",
     {"interactionType": "matching", "source": [{"id": "a"}], "target": [{"id": "a"}]}),
    ("interaction with no correct answer", "object.definition.correctResponsesPattern", []),
    ("IRI with non-ASCII characters", "verb.id", "http://example.com/فعل/خواندن"),
    ("URN activity id", "object.id", "urn:uuid:8f87ccde-bb56-4c2e-ab83-44982ef22df0"),
]
# fmt: on


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("where", "value"), [row[1:] for row in GOOD_INPUT], ids=[row[0] for row in GOOD_INPUT]
)
def test_statement_the_spec_allows_is_accepted(
    statement: dict[str, Any], where: str, value: object, version: XAPIVersion
) -> None:
    validate_statements(changed(statement, where, value), version)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "target",
    [
        SUB_STATEMENT | {"timestamp": "2031-01-01T00:00:00Z", "result": {"completion": True}},
        {"objectType": "Group", "member": TWO_MEMBERS},
        {"objectType": "Agent", "account": {"homePage": "http://x.org", "name": "7"}},
    ],
    ids=["SubStatement", "anonymous group", "agent"],
)
def test_statement_about_a_substatement_group_or_agent_is_accepted(
    statement: dict[str, Any], target: dict[str, Any], version: XAPIVersion
) -> None:
    del statement["context"]["revision"], statement["context"]["platform"]
    validate_statements(statement | {"object": target}, version)


def test_voiding_statement_targeting_a_statement_ref_is_accepted(statement: dict[str, Any]) -> None:
    statement["verb"] = {
        "id": "http://adlnet.gov/expapi/verbs/voided",
        "display": {"en-US": "voided"},
    }
    del statement["context"]["revision"], statement["context"]["platform"]
    validate_statements(statement | {"object": STATEMENT_REF}, VERSION_1)


def test_substatement_follows_the_revision_rule_too(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    sub = SUB_STATEMENT | {"object": STATEMENT_REF, "context": {"platform": "Moodle"}}
    del statement["context"]
    assert rejected(statement | {"object": sub}).path == "statement.object.context.platform"


# ------------------------------------------------------------------------------- 1.0.3 vs 2.0.0


def test_timestamp_without_zone_is_valid_in_1_0_3_and_rejected_in_2_0_0(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    statement["timestamp"] = "2025-03-10T09:15:00.123"
    validate_statements(statement, VERSION_1)
    error = rejected(statement, VERSION_2)
    assert (error.path, "time zone" in error.reason) == ("statement.timestamp", True)


def test_substatement_timestamp_without_zone_is_rejected_in_2_0_0(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    del statement["context"]["revision"], statement["context"]["platform"]
    statement["object"] = SUB_STATEMENT | {"timestamp": "2025-03-10T09:15:00"}
    validate_statements(statement, VERSION_1)
    assert rejected(statement, VERSION_2).path == "statement.object.timestamp"


def test_statement_version_2_0_0_is_rejected_in_1_0_3_and_valid_in_2_0_0(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    statement["version"] = "2.0.0"
    assert "1.0.x under xAPI 1.0.3" in rejected(statement, VERSION_1).reason
    validate_statements(statement, VERSION_2)


def test_context_agents_and_groups_are_rejected_in_1_0_3(
    statement: dict[str, Any], rejected: Rejected
) -> None:
    statement["context"]["contextGroups"] = []
    error = rejected(statement, VERSION_1)
    assert (error.path, "2.0.0" in error.reason) == ("statement.context.contextGroups", True)


CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"mbox": "mailto:mentor@example.go.id"},
    "relevantTypes": ["https://example.go.id/roles/mentor"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "member": TWO_MEMBERS},
}


@pytest.mark.parametrize(
    ("entry", "path", "words"),
    [
        (
            CONTEXT_AGENT | {"objectType": "ContextAgent"},
            "contextAgents[0].objectType",
            "'contextAgent'",
        ),
        (
            {k: v for k, v in CONTEXT_AGENT.items() if k != "agent"},
            "contextAgents[0].agent",
            "required",
        ),
        (CONTEXT_AGENT | {"agent": {"key": "x"}}, "contextAgents[0].agent.key", "not a property"),
        (
            CONTEXT_AGENT | {"agent": CONTEXT_GROUP["group"]},
            "contextAgents[0].agent.objectType",
            "'Agent'",
        ),
        (CONTEXT_AGENT | {"relevantTypes": []}, "contextAgents[0].relevantTypes", "at least 1"),
        (CONTEXT_AGENT | {"relevantTypes": ["abc"]}, "contextAgents[0].relevantTypes[0]", "IRI"),
        (
            CONTEXT_GROUP | {"objectType": "Should fail"},
            "contextGroups[0].objectType",
            "'contextGroup'",
        ),
        (
            CONTEXT_GROUP | {"group": {"mbox": "mailto:g@x.org"}},
            "contextGroups[0].group.objectType",
            "required",
        ),
        (CONTEXT_GROUP | {"relevantTypes": []}, "contextGroups[0].relevantTypes", "at least 1"),
    ],
)
def test_bad_context_agent_or_group_is_rejected_in_2_0_0(
    statement: dict[str, Any], rejected: Rejected, entry: dict[str, Any], path: str, words: str
) -> None:
    key = path.split("[", 1)[0]
    statement["context"][key] = [entry]
    error = rejected(statement, VERSION_2)
    assert (error.path, words in error.reason) == (f"statement.context.{path}", True)


def test_context_agents_and_groups_are_valid_in_2_0_0(statement: dict[str, Any]) -> None:
    statement["context"] |= {"contextAgents": [CONTEXT_AGENT], "contextGroups": [CONTEXT_GROUP]}
    validate_statements(statement, VERSION_2)
