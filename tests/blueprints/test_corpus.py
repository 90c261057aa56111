"""Real LMS output (../shared/xapi-corpus) is accepted and read back unchanged.

Files one folder deep are statements a conformant 1.0.3 LRS accepts; deeper folders hold
material it must reject or take only as multipart (the corpus README). ``format=exact``
returns each statement as sent, plus only the properties the LRS sets, with single context
activities as arrays of one (Data 2.4.6.2 makes the LRS return them so).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, XAPIClient
from xapi.formats import with_context_activity_arrays

LRS_SET = ("stored", "authority")
"""Set by the LRS whatever the statement said (Data 2.4.8, 2.4.9)."""
LRS_DEFAULTS = ("id", "timestamp", "version")
GROUP_ACTIVITY = (
    "object.objectType: must be 'Activity'",
    "Data 2.4.4: objectType is Activity, Agent, Group, SubStatement or StatementRef",
)
NOT_VALID_1_0_3 = {
    # Open edX fixtures the corpus README lists as invalid xAPI 1.0.3 as committed.
    "openedx/problem_check(server).list_answers.json": GROUP_ACTIVITY,
    "openedx/problem_check(server,multiple_questions,correct).json": GROUP_ACTIVITY,
    "openedx/problem_check(server,multiple_questions,incorrect).json": GROUP_ACTIVITY,
    "openedx/problem_check(server,multiple_questions,partial_correct).json": GROUP_ACTIVITY,
    "openedx/problem_check(browser).required.only.data.json": (
        "object.id: is required",
        "Data 2.4.4.1: an Activity MUST have an id",
    ),
    **{
        f"openedx/edx.special_exam.{kind}.attempt.{event}.json": (
            "contextActivities.grouping[0].id: must be an absolute IRI",
            "Data 2.4.4.1 / 4.1.4: an Activity id is an IRI",
        )
        for kind in ("practice", "proctored", "timed")
        for event in ("created", "submitted")
    },
}
"""Corpus files a conformant LRS rejects: (what the 400 says, the rule behind it)."""


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


ACCEPTED_FILES = [p for p in sorted(CORPUS.glob("*/*.json")) if _name(p) not in NOT_VALID_1_0_3]
INVALID_FILES = [p for p in sorted(CORPUS.glob("*/*.json")) if _name(p) in NOT_VALID_1_0_3]
REJECTED_FILES = sorted(CORPUS.glob("*/not-valid-for-xapi-1.0.3/*.json"))


def _statements(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    return data if isinstance(data, list) else [data]


def _as_sent(returned: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """The returned statement without what the LRS set (authority is always the LRS's)."""
    return {
        name: value
        for name, value in returned.items()
        if name not in LRS_SET and (name in sent or name not in LRS_DEFAULTS)
    }


def test_the_corpus_is_there() -> None:
    assert len(ACCEPTED_FILES) > 300, f"corpus not found at {CORPUS}"
    assert len(INVALID_FILES) == len(NOT_VALID_1_0_3), "a listed invalid file is missing"


@pytest.mark.parametrize("path", INVALID_FILES, ids=_name)
def test_corpus_statement_breaking_a_rule_is_rejected_with_the_reason(
    xapi: XAPIClient, path: Path
) -> None:
    expected_reason, _rule = NOT_VALID_1_0_3[_name(path)]
    response = xapi.post_statements(_statements(path))
    assert response.status_code == 400
    assert expected_reason in response.get_json()["detail"]


@pytest.mark.parametrize("path", ACCEPTED_FILES, ids=_name)
def test_corpus_statement_is_accepted_and_read_back_exactly(xapi: XAPIClient, path: Path) -> None:
    sent = _statements(path)
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


@pytest.mark.parametrize("path", REJECTED_FILES, ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_corpus_material_invalid_for_1_0_3_is_rejected(xapi: XAPIClient, path: Path) -> None:
    response = xapi.post_statements(_statements(path))
    assert response.status_code == 400
    assert response.get_json()["detail"]
