"""Concurrent clients on a real server: the same statement id is stored once."""

from __future__ import annotations

import json
import threading
import uuid

from flask import Flask
from sqlalchemy import func, select

from lms_bridge.db import db
from lms_bridge.models import Statement
from tests.e2e.conftest import LiveServer, post_raw
from tests.statements import statement

RACERS = 8


def test_concurrent_posts_of_one_statement_id_store_it_once(
    live_server: LiveServer, app: Flask
) -> None:
    statement_id = str(uuid.uuid4())
    body = json.dumps([statement(statement_id=statement_id), statement()]).encode()
    results: list[int] = []
    start = threading.Barrier(RACERS)
    threads = [
        threading.Thread(target=post_raw, args=(live_server, body, results, start))
        for _ in range(RACERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * RACERS
    with app.app_context():
        stored = db.session.scalar(
            select(func.count())
            .select_from(Statement)
            .where(Statement.statement_id == statement_id)
        )
        total = db.session.scalar(select(func.count()).select_from(Statement))
    assert stored == 1
    # the other statement of each batch has no id, so each racer stored its own
    assert total == 1 + RACERS
