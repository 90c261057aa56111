"""On PostgreSQL a page of a filtered statement query is an ordered index scan that stops
after the page, never a read of every match and a sort (what made a learner's page at a
million statements read ~2,000 rows: docs/scale.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lms_bridge.access import create_client
from lms_bridge.app import create_app
from lms_bridge.cli import upgrade_database
from lms_bridge.db import db
from lms_bridge.lrs import query as lrs_query
from tests.conftest import HASH_METHOD, XAPIClient, make_settings, own_postgres_database
from tests.lms_bridge.conftest import insert_bare_client
from xapi.query import StatementQuery

ROWS = 20_000
SITE = "https://lms.example.go.id"
VIEWED = "http://id.tincanapi.com/verb/viewed"


@pytest.fixture(scope="module")
def planned() -> Iterator[Flask]:
    """20,000 statements of 10 learners, 10 verbs, 100 activities, 50 registrations."""
    yield from _database(analyse=True)


def _database(*, analyse: bool) -> Iterator[Flask]:
    with own_postgres_database("plans") as url:
        app = create_app(make_settings(url))
        try:
            with app.app_context():
                upgrade_database()
                with db.engine.begin() as connection:
                    insert_bare_client(connection)
                    connection.execute(
                        text(
                            "INSERT INTO statements (statement_id, stored, timestamp, version, "
                            "actor_key, verb_key, object_type, object_activity_key, registration, "
                            "authority_key, client_id, voided, payload) "
                            "SELECT gen_random_uuid(), "
                            "now() - n * interval '1 second', now(), '1.0.0', "
                            "'account:' || :site || ' ' || (n % 10), "
                            "'http://adlnet.gov/expapi/verbs/v' || (n % 10), 'Activity', "
                            ":site || '/mod/page/view.php?id=' || (n % 100), "
                            "'00000000-0000-4000-8000-' || lpad((n % 50)::text, 12, '0'), "
                            "'account:urn:client c', "
                            "(SELECT id FROM clients), false, repeat('x', 1500) "
                            "FROM generate_series(1, :rows) AS n"
                        ),
                        {"site": SITE, "rows": ROWS},
                    )
                    if analyse:
                        connection.execute(text("ANALYZE statements"))
                yield app
        finally:
            with app.app_context():
                db.engine.dispose()


@pytest.fixture(scope="module")
def unanalysed() -> Iterator[Flask]:
    """The same rows, never analysed: what a server with autovacuum off plans with."""
    yield from _database(analyse=False)


def _plans(query: StatementQuery) -> list[dict[str, Any]]:
    plans = []
    for branch in lrs_query._branches(db.session(), query, None, None):
        sql = lrs_query._ordered(branch, query, 101).compile(
            db.engine, compile_kwargs={"literal_binds": True}
        )
        [[document]] = db.session.execute(text(f"EXPLAIN (FORMAT JSON) {sql}")).all()
        plans.append(document[0]["Plan"] if isinstance(document, list) else json.loads(document))
    return plans


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (StatementQuery(agent_key=f"account:{SITE} 3"), "ix_statements_actor_key_stored"),
        (
            StatementQuery(verb_id="http://adlnet.gov/expapi/verbs/v3"),
            "ix_statements_verb_key_stored",
        ),
        (
            StatementQuery(activity_id=f"{SITE}/mod/page/view.php?id=7"),
            "ix_statements_object_activity_key_stored",
        ),
        (
            StatementQuery(registration=f"00000000-0000-4000-8000-{7:012d}"),
            "ix_statements_registration_stored",
        ),
    ],
    ids=["agent", "verb", "activity", "registration"],
)
def test_a_page_is_read_off_the_filter_index_in_order(
    planned: Flask, query: StatementQuery, index: str
) -> None:
    with planned.app_context():
        first, *others = _plans(query)
        nodes = list(_nodes(first))
        assert not any(node["Node Type"] in ("Sort", "Incremental Sort") for node in nodes)
        scans = [node for node in nodes if "Index Name" in node]
        assert [scan["Index Name"] for scan in scans] == [index]
        assert scans[0]["Node Type"] == "Index Scan"
        for other in others:  # the agent as object: a partial index that holds no row
            assert not any(node["Node Type"] == "Seq Scan" for node in _nodes(other))


def _sequential_scans_of_statements(app: Flask) -> int:
    """As the statistics have it once the app's connections have closed (a backend reports
    its counts when it goes idle or exits)."""
    db.engine.dispose()
    url = make_url(str(app.config["SQLALCHEMY_DATABASE_URI"])).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        row = conn.execute(
            "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'statements'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_batch_of_500_is_stored_without_reading_the_whole_statements_table(
    unanalysed: Flask,
) -> None:
    """Which of a batch's ids are stored, and which a stored void targets, is asked of
    indexes: with no statistics, when the verb index held hashes and the question asked for
    the verb's key alone, PostgreSQL read every statement twice per batch of 500 (found at
    700,000 statements, where it had halved the rate). Single statements too."""
    with unanalysed.app_context():
        created = create_client(
            "plans", key="plans", secret="plans-secret", scopes=["all"], hash_method=HASH_METHOD
        )
        xapi = XAPIClient(unanalysed.test_client(), created.key, created.secret)
        before = _sequential_scans_of_statements(unanalysed)
        batch = [
            {
                "actor": {"mbox": f"mailto:learner{n % 7}@example.go.id"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": f"{SITE}/mod/page/view.php?id={n}"},
            }
            for n in range(500)
        ]
        assert xapi.post_statements(batch).status_code == 200
        for statement in batch[:20]:  # one statement per request: the other insert path
            assert xapi.post_statements({**statement, "verb": {"id": VIEWED}}).status_code == 200
        after = before
        for _ in range(30):
            time.sleep(0.1)
            after = _sequential_scans_of_statements(unanalysed)
            if after != before:
                break
        assert after == before
