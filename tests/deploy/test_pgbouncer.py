"""The service through PgBouncer 1.18 in transaction-pooling mode (deploy/pgbouncer.ini):
many requests from two gunicorn workers over two server connections, concurrently."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms_bridge.access import create_client, revoke_client
from lms_bridge.app import create_app
from lms_bridge.db import db
from lms_bridge.models.credit import CreditEntry
from tests.conftest import HASH_METHOD, make_settings
from tests.deploy.conftest import pgbouncer_show, stop
from tests.e2e.conftest import free_port, start_gunicorn
from tests.statements import agent, statement, void

pytestmark = pytest.mark.deploy

THREADS = 8
POSTS_PER_THREAD = 12
"""Single POSTs per thread: well past psycopg's prepare threshold (5) on every connection."""


def call(url: str, key: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """One xAPI request; (status, decoded JSON body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{key}:pw".encode()).decode())
    request.add_header("X-Experience-API-Version", "1.0.3")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@pytest.fixture(scope="module")
def direct_app(shared_database: str) -> Flask:
    """The app on the direct URL: what the test checks the database with."""
    return create_app(make_settings(shared_database))


def through_pgbouncer(
    pooled_url: str, tmp_path: Path, extra: dict[str, str] | None = None
) -> tuple[Any, str, Path]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(pooled_url, port, log, extra)
    return process, f"http://127.0.0.1:{port}/xapi", log


@pytest.fixture
def pooled_server(pgbouncer: tuple[str, int], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn (2 workers, 4 threads each) through PgBouncer with the pooler setting on."""
    process, endpoint, log = through_pgbouncer(
        pgbouncer[0], tmp_path, {"LMS_BRIDGE_DATABASE_POOLER": "pgbouncer-transaction"}
    )
    try:
        yield endpoint, log
    finally:
        stop(process)


def post_many(endpoint: str, key: str, learner: int) -> list[tuple[int, Any]]:
    answers = []
    for number in range(POSTS_PER_THREAD):
        answers.append(
            call(
                f"{endpoint}/statements",
                key,
                "POST",
                statement(actor=agent(f"19850330201012{learner:02d}{number:02d}")),
            )
        )
    return answers


def test_statements_credit_and_voids_through_transaction_pooling(
    direct_app: Flask, pgbouncer: tuple[str, int], pooled_server: tuple[str, Path]
) -> None:
    endpoint, log = pooled_server
    with direct_app.app_context():
        client = create_client(
            "pooled LMS", key="pooled", secret="pw", scopes=["all"], hash_method=HASH_METHOD
        )
    with ThreadPoolExecutor(THREADS) as pool:
        singles = [
            a
            for answers in pool.map(lambda n: post_many(endpoint, client.key, n), range(THREADS))
            for a in answers
        ]
        batches = list(
            pool.map(
                lambda n: call(
                    f"{endpoint}/statements",
                    client.key,
                    "POST",
                    [statement(actor=agent(f"1990010120150{n:02d}{i:03d}")) for i in range(40)],
                ),
                range(4),
            )
        )
    assert [status for status, _ in singles] == [200] * THREADS * POSTS_PER_THREAD
    assert [status for status, _ in batches] == [200] * 4
    stored_id = singles[0][1][0]
    status, read = call(f"{endpoint}/statements?statementId={stored_id}", client.key)
    assert status == 200
    assert read["id"] == stored_id
    status, page = call(f"{endpoint}/statements?limit=500", client.key)
    assert status == 200
    assert len(page["statements"]) == THREADS * POSTS_PER_THREAD + 160

    # Voiding through the pooler: the statement is gone from queries, its credit revoked.
    status, _ = call(
        f"{endpoint}/statements", client.key, "POST", void(stored_id, actor=agent("admin"))
    )
    assert status == 200
    status, _ = call(f"{endpoint}/statements?statementId={stored_id}", client.key)
    assert status == 404
    status, voided = call(f"{endpoint}/statements?voidedStatementId={stored_id}", client.key)
    assert status == 200
    assert voided["id"] == stored_id
    with direct_app.app_context():
        by_status = dict(
            db.session.execute(
                select(CreditEntry.status, func.count()).group_by(CreditEntry.status)
            ).all()
        )
        db.session.remove()
    assert sum(by_status.values()) == THREADS * POSTS_PER_THREAD + 160
    assert by_status.get("revoked") == 1

    # A revoked client is refused at once: behind the pooler the client cache is off.
    with direct_app.app_context():
        revoke_client(client.key)
    assert call(f"{endpoint}/statements?limit=1", client.key)[0] == 401

    # Everything went through two server connections, and nothing was ever prepared.
    servers = pgbouncer_show(pgbouncer[1], "SERVERS")
    assert 1 <= len([s for s in servers if s["database"] != "pgbouncer"]) <= 2
    text = log.read_text()
    assert "prepared statement" not in text
    assert '"level":"ERROR"' not in text


def test_without_the_setting_prepared_statements_break(
    direct_app: Flask, pgbouncer: tuple[str, int], tmp_path: Path
) -> None:
    """The failure the setting prevents, shown: psycopg prepares after five runs, and the
    next transaction lands on a server connection that never saw the statement."""
    process, endpoint, log = through_pgbouncer(pgbouncer[0], tmp_path)
    try:
        with direct_app.app_context():
            client = create_client(
                "unpooled LMS",
                key=f"raw-{uuid.uuid4().hex[:6]}",
                secret="pw",
                scopes=["all"],
                hash_method=HASH_METHOD,
            )
        with ThreadPoolExecutor(THREADS) as pool:
            answers = [
                a
                for answers in pool.map(
                    lambda n: post_many(endpoint, client.key, n), range(THREADS)
                )
                for a in answers
            ]
    finally:
        stop(process)
    assert any(status == 500 for status, _ in answers)
    assert "prepared statement" in log.read_text()
