"""SQL sent on the driver behaves alike on SQLite and PostgreSQL, and is seen by events."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import event, select, text

from lms_bridge.access import create_client
from lms_bridge.app import create_app
from lms_bridge.cli import upgrade_database
from lms_bridge.credit.ledger import EvidenceFacts, evidence_facts
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import CreditEntry, CreditEvidence, Statement
from lms_bridge.sql.driver import DriverQuery, copy_on_driver, driver_rows, execute_on_driver
from tests.conftest import HASH_METHOD, XAPIClient, empty_all_tables, make_settings
from tests.queries import recorded_queries
from tests.statements import statement

MODULES = "https://lms.example.go.id/mod/"
CLIENTS_BY_KEYS = DriverQuery(
    postgresql="SELECT key, scopes FROM clients WHERE key = ANY(%(keys)s) ORDER BY key",
    sqlite=(
        "SELECT key, scopes FROM clients "
        "WHERE key IN (SELECT value FROM json_each(:keys)) ORDER BY key"
    ),
    json_columns=(1,),
)


def test_a_list_binds_as_a_set_of_values_and_json_comes_back_decoded(app_context: Flask) -> None:
    create_client("A", key="key-a", scopes=["statements/read"], hash_method=HASH_METHOD)
    create_client("B", key="key-b", scopes=["all", "state"], hash_method=HASH_METHOD)
    create_client("C", key="key-c", hash_method=HASH_METHOD)
    rows = driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-b", "key-a", "nobody"]})
    assert rows == [("key-a", ["statements/read"]), ("key-b", ["all", "state"])]


def test_an_empty_list_matches_nothing(app_context: Flask) -> None:
    create_client("A", key="key-a", hash_method=HASH_METHOD)
    assert driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": []}) == []


def test_reads_see_the_unit_of_work_s_own_uncommitted_writes(app_context: Flask) -> None:
    """The read runs on the session's connection, inside its transaction."""
    seen_inside: list[tuple[object, ...]] = []

    def write_then_fail() -> None:
        with unit_of_work() as session:
            session.execute(
                text(
                    "INSERT INTO clients (name, key, secret_hash, scopes, authority, created_at)"
                    " VALUES ('T', 'key-t', 'x', '[\"all\"]', '{}', CURRENT_TIMESTAMP)"
                )
            )
            seen_inside.extend(driver_rows(session, CLIENTS_BY_KEYS, {"keys": ["key-t"]}))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert seen_inside == [("key-t", ["all"])]
    assert driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-t"]}) == []


def test_evidence_read_on_the_driver_matches_what_the_orm_reads(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """Decimals keep their scale, times come back aware UTC, booleans are booleans."""
    assert xapi.post_statements(statement(statement_id=str(uuid.uuid4()))).status_code == 200
    stored = db.session.scalars(select(Statement)).one()
    values = [
        (Decimal("1.50"), True, False, datetime(2026, 3, 1, 1, 2, 3, 456789, tzinfo=UTC)),
        (Decimal("0.33"), False, True, datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC)),
        (Decimal("12"), False, False, datetime(2026, 3, 3, tzinfo=UTC)),
    ]
    with unit_of_work() as session:
        for position, (jp, needs_review, voided, occurred_at) in enumerate(values):
            session.add(
                CreditEvidence(
                    statement_pk=stored.pk,
                    statement_id=stored.statement_id,
                    actor_key="nip:198503302010121002",
                    subject_key="nip:198503302010121002",
                    activity_key=f"{MODULES}{position}",
                    activity_id=f"{MODULES}{position}",
                    rule_id="elearning-duration",
                    policy_version="2026.1",
                    jp=jp,
                    needs_review=needs_review,
                    occurred_at=occurred_at,
                    explanation="test",
                    voided=voided,
                )
            )
    db.session.expire_all()
    has_entry = {
        (entry.subject_key, entry.activity_key, entry.rule_id)
        for entry in db.session.scalars(select(CreditEntry))
    }
    through_orm = sorted(
        EvidenceFacts(
            *(getattr(row, name) for name in EvidenceFacts._fields[:-1]),
            has_entry=(row.subject_key, row.activity_key, row.rule_id) in has_entry,
        )
        for row in db.session.scalars(select(CreditEvidence))
    )
    groups = {(fact.subject_key, fact.activity_key, fact.rule_id) for fact in through_orm}
    through_driver = sorted(evidence_facts(db.session(), groups))
    assert through_driver == through_orm
    through_driver = [f for f in through_driver if f.activity_id.startswith(MODULES)]
    assert [fact.jp for fact in through_driver] == [
        Decimal("1.50"),
        Decimal("0.33"),
        Decimal("12.00"),
    ]
    assert [str(fact.jp) for fact in through_driver] == ["1.50", "0.33", "12.00"]
    assert all(
        type(fact.voided) is bool and type(fact.needs_review) is bool for fact in through_driver
    )
    assert [fact.occurred_at for fact in through_driver] == [moment for *_, moment in values]


@pytest.fixture
def postgres_app(postgres_url: str) -> Iterator[Flask]:
    """The app on PostgreSQL only: what is checked below (the plan cache) is PostgreSQL's."""
    app = create_app(make_settings(postgres_url))
    with app.app_context():
        upgrade_database()
        empty_all_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


def test_a_query_planned_each_time_is_never_kept_as_a_prepared_statement(
    postgres_app: Flask,
) -> None:
    """A cached generic plan outlives the table size it was chosen for; these reads skip it."""
    create_client("A", key="key-a", hash_method=HASH_METHOD)
    planned_each_time = DriverQuery(
        postgresql=CLIENTS_BY_KEYS.postgresql.replace("ORDER BY key", "ORDER BY key ASC"),
        sqlite=CLIENTS_BY_KEYS.sqlite,
        json_columns=(1,),
        plan_each_time=True,
    )
    with unit_of_work() as session:
        for _ in range(8):  # psycopg prepares a query on its fifth run
            assert driver_rows(session, CLIENTS_BY_KEYS, {"keys": ["key-a"]})
            assert driver_rows(session, planned_each_time, {"keys": ["key-a"]})
        prepared = session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
        kept = [sql for sql in prepared if "FROM clients WHERE key = ANY" in sql]
    assert len(kept) == 1, kept
    assert "ORDER BY key ASC" not in kept[0]


def test_every_driver_call_fires_the_execution_events_sqlalchemy_fires(
    app_context: Flask,
) -> None:
    """So a test counts these queries like any other, without patching the code."""
    create_client("A", key="key-a", scopes=["statements/read"], hash_method=HASH_METHOD)
    after: list[str] = []

    def note_after(_conn: object, _cursor: object, sql: str, *_: object) -> None:
        after.append(sql)

    event.listen(db.engine, "after_cursor_execute", note_after)
    try:
        with recorded_queries(db.engine) as sent:
            driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-a"]})
            if db.engine.dialect.name == "postgresql":
                session = db.session()
                execute_on_driver(session, "SELECT %s::int + 1", [1])
                copy_on_driver(session, "statement_agents", ("statement_pk", "agent_key"), [])
    finally:
        event.remove(db.engine, "after_cursor_execute", note_after)
        db.session.rollback()
    expected = [
        CLIENTS_BY_KEYS.sqlite if db.engine.dialect.name == "sqlite" else CLIENTS_BY_KEYS.postgresql
    ]
    if db.engine.dialect.name == "postgresql":
        expected += [
            "SELECT %s::int + 1",
            'COPY "statement_agents" ("statement_pk", "agent_key") FROM STDIN',
        ]
    # (SQLite's own BEGIN, which the app sends to start each transaction, aside)
    assert [query.sql for query in sent if query.sql != "BEGIN"] == expected
    assert [sql for sql in after if sql != "BEGIN"] == expected
    [read] = [query for query in sent if query.sql == expected[0]]
    assert read.parameters["keys"] in (["key-a"], '["key-a"]')


def test_without_listeners_nothing_is_announced(app_context: Flask) -> None:
    create_client("A", key="key-a", scopes=["statements/read"], hash_method=HASH_METHOD)
    assert not db.session().connection().dispatch.before_cursor_execute
    rows = driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-a"]})
    assert rows == [("key-a", ["statements/read"])]
