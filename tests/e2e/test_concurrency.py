"""Concurrent clients on a real server: the same statement id is stored once."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import uuid
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import func, select

from lms_bridge.db import db
from lms_bridge.models import Statement
from tests.e2e.conftest import LiveServer
from tests.statements import statement

RACERS = 8


def _post(server: LiveServer, body: bytes, results: list[int], start: threading.Barrier) -> None:
    url = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    auth = base64.b64encode(f"{server.key}:{server.secret}".encode()).decode()
    start.wait()
    connection.request(
        "POST",
        url.path + "/statements",
        body=body,
        headers={
            "Authorization": f"Basic {auth}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    response = connection.getresponse()
    response.read()
    results.append(response.status)
    connection.close()


def test_concurrent_posts_of_one_statement_id_store_it_once(
    live_server: LiveServer, app: Flask
) -> None:
    statement_id = str(uuid.uuid4())
    body = json.dumps([statement(statement_id=statement_id), statement()]).encode()
    results: list[int] = []
    start = threading.Barrier(RACERS)
    threads = [
        threading.Thread(target=_post, args=(live_server, body, results, start))
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
