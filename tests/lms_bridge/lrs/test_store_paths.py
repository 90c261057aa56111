"""A statement posted alone and the same statement posted in a batch are stored alike.

PostgreSQL writes a one-statement batch with a single INSERT and a larger batch with COPY;
SQLite has a path of its own. Every column and every index row must come out the same.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import select

from lms_bridge.access import CreatedClient, create_client
from lms_bridge.db import db
from lms_bridge.models import Statement, StatementActivity, StatementAgent
from tests.conftest import HASH_METHOD, XAPIClient, empty_all_tables
from tests.statements import agent, statement, void

COMPARED = [
    column
    for column in Statement.__table__.columns
    if column.name not in ("pk", "stored", "client_id")  # the client is made anew in between
]


def _variety() -> list[dict[str, Any]]:
    """Statements that fill every indexed column and both kinds of index row."""
    registration = str(uuid.uuid4())
    target = statement(statement_id=str(uuid.uuid4()))
    statements = [
        target,
        statement(
            statement_id=str(uuid.uuid4()),
            context={
                "registration": registration,
                "instructor": agent("197001011990031001"),
                "contextActivities": {
                    "parent": [{"id": "https://lms.example.go.id/course/view.php?id=7"}],
                    "grouping": [{"id": "https://lms.example.go.id/program/latsar"}],
                },
            },
        ),
        {
            "id": str(uuid.uuid4()),
            "actor": agent("199001012015031001"),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/mentored"},
            "object": agent("198503302010121002"),
        },
        {
            "id": str(uuid.uuid4()),
            "actor": agent(),
            "verb": {"id": "http://adlnet.gov/expapi/verbs/commented"},
            "object": {"objectType": "StatementRef", "id": target["id"]},
        },
        void(target["id"], actor=agent("admin")),
    ]
    for position, item in enumerate(statements):  # without one, timestamp = stored
        item["timestamp"] = f"2026-03-0{position + 1}T08:00:00.000Z"
    return statements


def _stored(statement_ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Each statement's compared columns with its index rows, by statement id."""
    session = db.session()
    pks = dict(
        session.execute(
            select(Statement.pk, Statement.statement_id).where(
                Statement.statement_id.in_(statement_ids)
            )
        ).all()
    )
    found: dict[str, tuple[Any, ...]] = {}
    for row in session.execute(select(Statement.pk, *COMPARED).where(Statement.pk.in_(pks))):
        agents = sorted(
            session.scalars(
                select(StatementAgent.agent_key).where(StatementAgent.statement_pk == row[0])
            )
        )
        activities = sorted(
            session.scalars(
                select(StatementActivity.activity_digest).where(
                    StatementActivity.statement_pk == row[0]
                )
            )
        )
        found[pks[row[0]]] = (*row[1:], tuple(agents), tuple(activities))
    return found


def _without_stored_time(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The payload carries ``stored``, which differs between the two posts."""
    payload_at = [column.name for column in COMPARED].index("payload")
    payload = json.loads(values[payload_at])
    del payload["stored"]
    return (*values[:payload_at], payload, *values[payload_at + 1 :])


def test_one_at_a_time_and_in_a_batch_store_the_same_rows(
    xapi: XAPIClient, app_context: Flask, lms_client: CreatedClient
) -> None:
    statements = _variety()
    ids = [item["id"] for item in statements]
    for item in statements:
        assert xapi.post_statements(item).status_code == 200
    alone = _stored(ids)
    empty_all_tables()
    create_client(
        lms_client.name,
        key=lms_client.key,
        secret=lms_client.secret,
        scopes=lms_client.scopes,
        hash_method=HASH_METHOD,
    )
    assert xapi.post_statements(statements).status_code == 200
    together = _stored(ids)
    assert set(alone) == set(together) == set(ids)
    agents_at, activities_at = -2, -1
    # Index rows hold what the plain columns do not: here the instructor, parent and grouping.
    assert len(alone[ids[1]][agents_at]) == 1
    assert len(alone[ids[1]][activities_at]) == 2
    for statement_id in ids:
        assert _without_stored_time(alone[statement_id]) == _without_stored_time(
            together[statement_id]
        ), statement_id
