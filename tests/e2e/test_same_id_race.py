"""Many writers storing the same statement ids at once: one row per id, 200/204 or 409, no 5xx.

Batches that overlap on a few ids conflict in chains (each retry meets the next racer's
commit); with a fixed number of retries, a writer could run out of them and answer 500.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from lms_bridge.db import db
from lms_bridge.models import Statement
from tests.e2e.conftest import LiveServer, post_raw
from tests.statements import statement

ROUNDS = 16
WRITERS = 16
SHARED_IDS = 6
PUT_WRITERS = 4


def _race(
    server: LiveServer, bodies: list[list[dict[str, Any]]], puts: list[dict[str, Any]]
) -> list[int]:
    """POST every body and PUT every statement of ``puts``, all at once; the statuses in
    that order."""
    slots: list[list[int]] = [[] for _ in range(len(bodies) + len(puts))]
    start = threading.Barrier(len(slots))
    requests = [(json.dumps(body).encode(), None) for body in bodies] + [
        (json.dumps(put).encode(), put["id"]) for put in puts
    ]
    threads = [
        threading.Thread(target=post_raw, args=(server, body, slot, start, put_id))
        for (body, put_id), slot in zip(requests, slots, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [status for [status] in slots]


def test_writers_racing_on_the_same_ids_store_each_once_and_never_fail(
    live_server: LiveServer, app: Flask
) -> None:
    chooser = random.Random(15)  # noqa: S311 (which ids each writer races on)
    for _ in range(ROUNDS):
        ids = [str(uuid.uuid4()) for _ in range(SHARED_IDS)]
        versions = {
            statement_id: [
                statement(statement_id=statement_id, activity=f"http://example.com/a/{n}")
                for n in range(2)
            ]
            for statement_id in ids
        }
        # Most writers send the first version of each id; a few send the second of one.
        bodies = []
        for writer in range(WRITERS):
            chosen = chooser.sample(ids, 3)
            differing = chosen[0] if writer % 5 == 4 else None
            body = [versions[i][1 if i == differing else 0] for i in chosen]
            bodies.append([*body, statement()] if writer % 2 else body)
        # PUTs of one statement each: the first version of the first id, one the second.
        puts = [versions[ids[0]][1 if writer == 0 else 0] for writer in range(PUT_WRITERS)]
        results = _race(live_server, bodies, puts)
        post_results, put_results = results[: len(bodies)], results[len(bodies) :]

        assert all(status in (200, 409) for status in post_results), results
        assert all(status in (204, 409) for status in put_results), results
        with app.app_context():
            rows = dict(
                db.session.execute(
                    select(Statement.statement_id, func.count())
                    .where(Statement.statement_id.in_(ids))
                    .group_by(Statement.statement_id)
                ).all()
            )
            stored = {
                statement_id: json.loads(payload)["object"]["id"]
                for statement_id, payload in db.session.execute(
                    select(Statement.statement_id, Statement.payload).where(
                        Statement.statement_id.in_(ids)
                    )
                )
            }
        assert set(rows.values()) == {1}, "each id is stored once"
        answered = [
            *zip(bodies, post_results, strict=True),
            *(
                ([put], 200 if status == 204 else status)
                for put, status in zip(puts, put_results, strict=True)
            ),
        ]
        for body, status in answered:
            shared = [item for item in body if "id" in item]
            if status == 200:
                assert all(stored.get(item["id"]) == item["object"]["id"] for item in shared)
            else:
                assert any(
                    item["id"] in stored and stored[item["id"]] != item["object"]["id"]
                    for item in shared
                ), "a 409 names a conflict with what is stored"
