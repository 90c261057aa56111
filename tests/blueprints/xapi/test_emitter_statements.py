"""Real LMS output is accepted and read back unchanged.

Files one folder deep are statements a conformant 1.0.3 LRS accepts; deeper folders hold
material it must reject or take only as multipart (tests/statement_files.py). ``format=exact``
returns each statement as sent, plus only the properties the LRS sets, with single context
activities as arrays of one (Data 2.4.6.2 makes the LRS return them so).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import XAPIClient
from tests.statement_files import IN_REPOSITORY, StatementFiles, parametrize_by_file
from xapi.formats import with_context_activity_arrays

LRS_SET = ("stored", "authority")
"""Set by the LRS whatever the statement said (Data 2.4.8, 2.4.9)."""
LRS_DEFAULTS = ("id", "timestamp", "version")
GROUP_ACTIVITY = (
    "object.objectType: must be 'Activity'",
    "Data 2.4.4: objectType is Activity, Agent, Group, SubStatement or StatementRef",
)
UNNAMED_ACTIVITY = ("object.id: is required", "Data 2.4.4.1: an Activity MUST have an id")
BARE_UUID_GROUPING = (
    "contextActivities.grouping[0].id: must be an absolute IRI",
    "Data 2.4.4.1 / 4.1.4: an Activity id is an IRI",
)
FIXTURES_BREAKING_A_RULE = {
    "openedx/problem_check(server,multiple_questions).json": GROUP_ACTIVITY,
    "openedx/problem_check(server).group_activity_in_parent_only.json": (
        "contextActivities.parent[0].objectType: must be 'Activity'",
        "Data 2.4.6.2: contextActivities hold Activities",
    ),
    "openedx/problem_check(browser).required.only.data.json": UNNAMED_ACTIVITY,
    "openedx/edx.special_exam.timed.attempt.created.json": BARE_UUID_GROUPING,
    "openedx/edx.special_exam.timed.attempt.submitted.json": BARE_UUID_GROUPING,
}
"""Open edX output a conformant LRS rejects: (what the 400 says, the rule behind it)."""


def _as_sent(returned: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The returned statement without what the LRS set (authority is always the LRS's)."""
    return {
        name: value
        for name, value in returned.items()
        if name not in LRS_SET and (name in sent or name not in LRS_DEFAULTS)
    }


class EmitterOutputStorage:
    """Each emitter file posted to a fresh store; the corpus check (tests/corpus) runs the
    same checks on the full real-world corpus."""

    files: StatementFiles = IN_REPOSITORY
    breaking_a_rule: dict[str, tuple[str, str]] = FIXTURES_BREAKING_A_RULE
    minimum_accepted = 55

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        parametrize_by_file(
            metafunc,
            {
                "accepted_file": [
                    name
                    for name in self.files.names("*/*.json")
                    if name not in self.breaking_a_rule
                ],
                "invalid_file": list(self.breaking_a_rule),
                "rejected_file": self.files.names("*/not-valid-for-xapi-1.0.3/*.json"),
            },
        )

    def test_the_files_are_there(self) -> None:
        names = self.files.names("*/*.json")
        assert len(names) - len(self.breaking_a_rule) >= self.minimum_accepted, self.files.root
        assert set(self.breaking_a_rule) <= set(names), "a listed invalid file is missing"

    def test_statement_breaking_a_rule_is_rejected_with_the_reason(
        self, xapi: XAPIClient, invalid_file: str
    ) -> None:
        expected_reason, _rule = self.breaking_a_rule[invalid_file]
        response = xapi.post_statements(self.files.statements(invalid_file))
        assert response.status_code == 400
        assert expected_reason in response.get_json()["detail"]

    def test_statement_is_accepted_and_read_back_exactly(
        self, xapi: XAPIClient, accepted_file: str
    ) -> None:
        sent = self.files.statements(accepted_file)
        response = xapi.post_statements(sent)
        assert response.status_code == 200, response.get_json()
        ids = response.get_json()
        assert len(ids) == len(sent)
        for statement_id, original in zip(ids, sent, strict=True):
            got = xapi.get(query_string={"statementId": statement_id, "format": "exact"})
            assert got.status_code == 200
            returned = got.get_json()
            expected = {
                k: v for k, v in with_context_activity_arrays(original).items() if k not in LRS_SET
            }
            assert _as_sent(returned, original) == expected

    def test_material_invalid_for_1_0_3_is_rejected(
        self, xapi: XAPIClient, rejected_file: str
    ) -> None:
        response = xapi.post_statements(self.files.statements(rejected_file))
        assert response.status_code == 400
        assert response.get_json()["detail"]


class TestEmitterFixturesStorage(EmitterOutputStorage):
    """The repository's own set: it runs with every ``make test``."""
