"""Real LMS output (../shared/xapi-corpus) is accepted and read back unchanged.

Files one folder deep are statements a conformant 1.0.3 LRS accepts; deeper folders hold
material it must reject or take only as multipart (the corpus README). ``format=exact``
returns each statement as sent, plus only the properties the LRS sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS, XAPIClient

LRS_SET = ("stored", "authority")
"""Set by the LRS whatever the statement said (Data 2.4.8, 2.4.9)."""
LRS_DEFAULTS = ("id", "timestamp", "version")
ACCEPTED_FILES = sorted(CORPUS.glob("*/*.json"))
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


@pytest.mark.parametrize("path", ACCEPTED_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
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
        expected = {k: v for k, v in original.items() if k not in LRS_SET}
        assert _as_sent(returned, original) == expected


@pytest.mark.parametrize("path", REJECTED_FILES, ids=lambda p: f"{p.parents[1].name}/{p.name}")
def test_corpus_material_invalid_for_1_0_3_is_rejected(xapi: XAPIClient, path: Path) -> None:
    response = xapi.post_statements(_statements(path))
    assert response.status_code == 400
    assert response.get_json()["detail"]
