"""Migration 0021 stores statement ids as uuid on PostgreSQL and back, keeping every value."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from lms_bridge.app import create_app
from lms_bridge.cli import alembic_config, upgrade_database
from lms_bridge.db import db
from lms_bridge.sql.driver import execute_on_driver
from tests.conftest import make_settings
from tests.lms_bridge.conftest import insert_bare_client

TARGET = "0f8e7a6b-5c4d-4e3f-8a2b-1c0d9e8f7a6b"
VOID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
ID_COLUMNS = (
    ("statements", "statement_id"),
    ("statements", "target_statement_id"),
    ("credit_evidence", "statement_id"),
    ("progress_evidence", "statement_id"),
)


def _seed() -> None:
    """A statement and the statement voiding it, as revision 0020 stores them."""
    with db.engine.begin() as connection:
        client = insert_bare_client(connection)
        for statement_id, verb, target in ((TARGET, "v", None), (VOID, VOIDED_VERB, TARGET)):
            connection.execute(
                text(
                    "INSERT INTO statements (statement_id, stored, timestamp, version, "
                    "actor_key, verb_key, object_type, target_statement_id, client_id, "
                    "voided, payload) VALUES (:id, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
                    "'1.0.0', 'a', :verb, 'StatementRef', :target, :client, false, '{}')"
                ),
                {"id": statement_id, "verb": verb, "target": target, "client": client},
            )


def _column_types() -> set[str]:
    inspector = inspect(db.engine)
    return {
        str(found["type"])
        for table, column in ID_COLUMNS
        for found in inspector.get_columns(table)
        if found["name"] == column
    }


def _ids_as_read() -> list[tuple[object, ...]]:
    """The ids through SQLAlchemy and through the driver: text both ways."""
    session = db.session()
    orm = session.execute(
        text("SELECT statement_id, target_statement_id FROM statements ORDER BY pk")
    ).all()
    driver = (
        execute_on_driver(
            session, "SELECT statement_id, target_statement_id FROM statements ORDER BY pk", []
        )
        if db.engine.dialect.name == "postgresql"
        else orm
    )
    session.rollback()
    return [tuple(row) for row in orm] + [tuple(row) for row in driver]


def _void_found() -> bool:
    """What the one-statement insert's void lookup answers for the target (PostgreSQL)."""
    with db.engine.connect() as connection:
        return bool(
            connection.execute(
                text("SELECT lms_bridge_voided_once_locked(:target, :verb, 1, 1)"),
                {"target": TARGET, "verb": VOIDED_VERB},
            ).scalar_one()
        )


def test_statement_ids_become_uuid_on_postgresql_and_read_as_the_same_text(
    fresh_url: str,
) -> None:
    app = create_app(make_settings(fresh_url))
    postgresql = fresh_url.startswith("postgresql")
    stored = [(TARGET, None), (VOID, TARGET)]
    with app.app_context():
        upgrade_database("0020")
        _seed()
        upgrade_database("head")
        assert _column_types() == ({"UUID"} if postgresql else {"VARCHAR(36)"})
        assert _ids_as_read() == stored + stored
        if postgresql:
            assert _void_found()
        config = alembic_config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0020")
        assert _column_types() == {"VARCHAR(36)"}
        assert _ids_as_read() == stored + stored
        if postgresql:
            assert _void_found()
        db.session.remove()
        db.engine.dispose()
