"""Migration 0020 moves the activity index rows to digests and back, on both databases."""

from __future__ import annotations

import uuid

import orjson
from alembic import command
from sqlalchemy import text

from lms_bridge.app import create_app
from lms_bridge.cli import alembic_config, upgrade_database
from lms_bridge.db import db
from lms_bridge.sql.keys import index_key, key_digest
from tests.conftest import make_settings
from tests.lms_bridge.conftest import insert_bare_client

SITE = "https://lms.example.go.id"
LONG = f"{SITE}/mod/page/view.php?id=1&title=" + "x" * 400  # indexed by its sha256 key


def _statement(number: int, parents: list[str]) -> dict[str, object]:
    return {
        "id": str(uuid.UUID(int=number)),
        "actor": {"account": {"homePage": SITE, "name": str(number)}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": f"{SITE}/mod/scorm/view.php?id={number}"},
        "context": {"contextActivities": {"parent": [{"id": p} for p in parents]}},
        "stored": "2026-12-01T00:00:00.000Z",
        "timestamp": "2026-12-01T00:00:00.000Z",
    }


STATEMENTS = [
    _statement(1, [SITE, f"{SITE}/course/view.php?id=2"]),
    _statement(2, [SITE, LONG]),
    _statement(3, []),
]


def _activity_rows() -> set[tuple[str, int]]:
    return {
        (index_key(parent["id"]), number)
        for number, statement in enumerate(STATEMENTS, start=1)
        for parent in statement["context"]["contextActivities"]["parent"]  # type: ignore[index]
    }


def _seed_at_0019() -> None:
    """Statements and their activity rows as revision 0019 stores them."""
    with db.engine.begin() as connection:
        client = insert_bare_client(connection)
        for number, statement in enumerate(STATEMENTS, start=1):
            connection.execute(
                text(
                    "INSERT INTO statements (pk, statement_id, stored, timestamp, version, "
                    "actor_key, verb_key, object_type, object_activity_key, client_id, voided, "
                    "payload) VALUES (:pk, :id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '1.0.0', "
                    "'a', 'v', 'Activity', 'o', :client, false, :payload)"
                ),
                {
                    "pk": number,
                    "id": statement["id"],
                    "client": client,
                    "payload": orjson.dumps(statement).decode(),
                },
            )
        connection.execute(
            text("INSERT INTO statement_activities (activity_key, statement_pk) VALUES (:k, :p)"),
            [{"k": key, "p": pk} for key, pk in _activity_rows()],
        )


def test_the_activity_rows_become_digests_and_come_back_from_the_statements(
    fresh_url: str,
) -> None:
    app = create_app(make_settings(fresh_url))
    with app.app_context():
        upgrade_database("0019")
        _seed_at_0019()
        upgrade_database("head")
        with db.engine.connect() as connection:
            digests = set(
                connection.execute(
                    text("SELECT activity_digest, statement_pk FROM statement_activities")
                ).all()
            )
            if fresh_url.startswith("postgresql"):
                definition = connection.execute(
                    text(
                        "SELECT indexdef FROM pg_indexes "
                        "WHERE indexname = 'ix_statements_registration_stored'"
                    )
                ).scalar_one()
                assert "hashtextextended((registration)::text" in definition
        assert digests == {(key_digest(key), pk) for key, pk in _activity_rows()}
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0019")
        with db.engine.connect() as connection:
            keys = set(
                connection.execute(
                    text("SELECT activity_key, statement_pk FROM statement_activities")
                ).all()
            )
        assert keys == _activity_rows()
        db.engine.dispose()
