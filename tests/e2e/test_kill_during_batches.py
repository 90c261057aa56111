"""kill -9 while batches arrive: every batch is stored whole (statements, index rows, credit)
or not at all, and the server comes back serving what it stored.

Several clients post batches of creditable statements without pause while the server's
workers, or the whole server, are killed with SIGKILL at random moments and restarted.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from flask import Flask
from sqlalchemy import func, select

from lms_bridge.access import create_client
from lms_bridge.db import db
from lms_bridge.models import (
    CreditEntry,
    CreditEvidence,
    Statement,
    StatementActivity,
    StatementAgent,
)
from tests.conftest import HASH_METHOD, basic_auth, empty_all_tables
from tests.e2e.conftest import free_port, start_gunicorn
from tests.statements import asn, completion
from xapi.identifiers import index_statement

CLIENTS = 4
BATCH = 40
KILLS = 4
"""Half kill the workers only (the master forks new ones), half the whole server."""


@dataclass
class Outcomes:
    """What each client saw: batches answered 200, and batches whose answer was lost."""

    stored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _batch(registration: str, client: int, number: int) -> list[dict[str, object]]:
    """Creditable completions, one person per client, one module per statement."""
    nip = f"1985033020101210{client:02d}"
    statements = []
    for position in range(BATCH):
        statement = completion(
            actor=asn(nip),
            module=number * BATCH + position,
            timestamp=f"2025-03-{1 + position % 28:02d}T02:00:00Z",
        )
        statement["context"] = {"registration": registration}
        statements.append(statement)
    return statements


def _post_batches(
    port: int, auth: str, client: int, stop: threading.Event, outcomes: Outcomes
) -> None:
    number = 0
    while not stop.is_set():
        registration = str(uuid.uuid4())
        body = json.dumps(_batch(registration, client, number)).encode()
        number += 1
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request(
                "POST",
                "/xapi/statements",
                body=body,
                headers={
                    "Authorization": auth,
                    "X-Experience-API-Version": "1.0.3",
                    "Content-Type": "application/json",
                },
            )
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            # Refused while down, or cut mid-request: the batch may or may not be stored.
            with outcomes.lock:
                outcomes.unknown.append(registration)
            time.sleep(0.05)
            continue
        finally:
            connection.close()
        with outcomes.lock:
            if response.status == 200:
                outcomes.stored.append(registration)
            else:
                outcomes.refused.append(response.status)


def _wait_for_a_stored_batch(outcomes: Outcomes) -> None:
    before = len(outcomes.stored)
    deadline = time.monotonic() + 20
    while len(outcomes.stored) == before and time.monotonic() < deadline:
        time.sleep(0.02)


def _worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def test_kill_9_during_batches_leaves_no_partial_batch(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    with app.app_context():
        empty_all_tables()
        created = create_client(
            "kill test",
            key=f"kill-{uuid.uuid4().hex[:12]}",
            secret="kill-secret",
            scopes=["all"],
            hash_method=HASH_METHOD,
        )
    auth = basic_auth(created.key, created.secret)
    port = free_port()
    log = tmp_path / "gunicorn.log"
    chooser = random.Random(9)  # noqa: S311 (when to kill; reproducible)
    outcomes = Outcomes()
    stop = threading.Event()
    server = start_gunicorn(database_url, port, log)
    clients = [
        threading.Thread(target=_post_batches, args=(port, auth, n, stop, outcomes))
        for n in range(CLIENTS)
    ]
    started = time.monotonic()
    try:
        for client in clients:
            client.start()
        for kill in range(KILLS):
            _wait_for_a_stored_batch(outcomes)  # serving again: batches are in flight
            time.sleep(chooser.uniform(0.1, 0.6))
            if kill % 2 == 0:
                for pid in _worker_pids(server.pid):
                    os.kill(pid, signal.SIGKILL)
            else:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
                server = start_gunicorn(database_url, port, log)
        time.sleep(0.5)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=60)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    assert time.monotonic() - started < 60

    assert outcomes.refused == [], "no answer but 200 while the server was up"
    assert outcomes.stored, "some batches went through"
    assert outcomes.unknown, "some batches were cut by a kill"
    with app.app_context():
        statements = db.session.execute(select(Statement.pk, Statement.payload)).all()
        agent_rows = Counter(db.session.scalars(select(StatementAgent.statement_pk)))
        activity_rows = Counter(db.session.scalars(select(StatementActivity.statement_pk)))
        evidence = Counter(db.session.scalars(select(CreditEvidence.statement_pk)))
        entries = db.session.scalar(select(func.count()).select_from(CreditEntry))
    per_batch: Counter[str] = Counter()
    for pk, payload in statements:
        stored = orjson.loads(payload)
        per_batch[stored["context"]["registration"]] += 1
        index = index_statement(stored)
        assert agent_rows[pk] == len(index.related_agent_keys), "agent index rows"
        assert activity_rows[pk] == len(index.related_activity_ids), "activity index rows"
        assert evidence[pk] == 1, "credit evidence"
    partial = {batch: count for batch, count in per_batch.items() if count != BATCH}
    assert partial == {}, f"{len(partial)} partial batches"
    assert set(outcomes.stored) <= set(per_batch), "every batch answered 200 is stored"
    assert set(per_batch) <= set(outcomes.stored) | set(outcomes.unknown)
    assert entries == len(statements), "one credit entry per module completed"
