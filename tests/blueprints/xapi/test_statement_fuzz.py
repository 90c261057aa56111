"""Hypothesis-made statements posted to /xapi/statements: 200 or 400, never anything else,
and never part of a batch.

Each example starts from a valid Moodle-like statement and puts arbitrary JSON in a few places
(NUL in text, integers beyond 64 bits, deep nesting, durations of hundreds of digits, nulls,
wrong types), then posts a batch of such statements. Whatever the answer, the table holds
either the whole batch (200, every id readable) or none of it (400).
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms_bridge.models import Statement
from tests.conftest import XAPIClient, count_rows
from tests.statements import statement

PLACES = (
    ("id",),
    ("actor", "name"),
    ("actor", "account", "name"),
    ("actor", "mbox"),
    ("verb", "id"),
    ("verb", "display", "en"),
    ("object", "id"),
    ("object", "definition", "name", "id-ID"),
    ("object", "definition", "extensions", "http://x.example/ext"),
    ("result", "duration"),
    ("result", "response"),
    ("result", "score", "raw"),
    ("result", "extensions", "http://x.example/result"),
    ("context", "registration"),
    ("context", "extensions", "http://x.example/ctx"),
    ("context", "platform"),
    ("timestamp",),
    ("version",),
)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"k": value} if depth % 2 else [value]
    return value


TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["\x00", "a\x00b", "mailto:a\x00@b.c", "PT" + "9" * 400 + "S", "1.0.3-" + "x" * 30]
    ),
    st.from_regex(r"P(T)?[0-9]{1,40}[YMDHS]", fullmatch=True),
)
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=2**64, max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
VALUES = st.one_of(
    st.recursive(
        LEAVES,
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3)
        ),
        max_leaves=8,
    ),
    st.integers(min_value=1, max_value=400).map(_nested),
)


def _put(document: dict[str, Any], place: tuple[str, ...], value: Any) -> None:
    node: Any = document
    for key in place[:-1]:
        if not isinstance(node, dict):
            return
        node = node.setdefault(key, {})
    if isinstance(node, dict):
        node[place[-1]] = value


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    made = copy.deepcopy(statement(statement_id=str(uuid.uuid4())))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        _put(made, draw(st.sampled_from(PLACES)), draw(VALUES))
    return made


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(statements(), min_size=1, max_size=4))
def test_a_batch_is_stored_whole_or_refused_whole(
    xapi: XAPIClient, app_context: Flask, batch: list[dict[str, Any]]
) -> None:
    before = count_rows(Statement)
    response = xapi.post_statements(batch)
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    after = count_rows(Statement)
    if response.status_code == 400:
        assert after == before, "a refused batch left rows behind"
        return
    ids = response.get_json()
    assert after == before + len(batch)
    for statement_id in ids:
        assert xapi.get(query_string={"statementId": statement_id}).status_code == 200
