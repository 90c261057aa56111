"""Concurrent clients on a real server: the same statement id is stored once; pages are
continued by whichever worker a request lands on."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

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


def test_more_tokens_issued_by_one_worker_are_honoured_by_the_others(
    live_server: LiveServer,
) -> None:
    """Each page over a fresh connection, so pages land on both workers in turn."""
    ids = {str(uuid.uuid4()) for _ in range(40)}
    [status] = _post_once(live_server, [statement(statement_id=i) for i in ids])
    assert status == 200
    seen: list[str] = []
    path = "/statements?limit=2"
    while path:
        body = _get_once(live_server, path)
        seen += [s["id"] for s in body["statements"]]
        path = body["more"].removeprefix("/xapi")
    assert sorted(seen) == sorted(ids)


def _post_once(server: LiveServer, statements: list[dict[str, object]]) -> list[int]:
    results: list[int] = []
    post_raw(server, json.dumps(statements).encode(), results, threading.Barrier(1))
    return results


def _get_once(server: LiveServer, path: str) -> dict[str, Any]:
    url = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=30)
    auth = base64.b64encode(f"{server.key}:{server.secret}".encode()).decode()
    connection.request(
        "GET",
        url.path + path,
        headers={"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"},
    )
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 200, body
    decoded: dict[str, Any] = json.loads(body)
    return decoded
