"""Two transactions crediting the same person run one after the other, never side by side.

Each would otherwise settle the person's daily cap from its own view and could award more
together than the cap allows. On PostgreSQL an advisory lock per person does it (taken with
the evidence insert, or after voiding); on SQLite a writing transaction holds the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge import ingest
from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from tests.conftest import XAPIClient
from tests.statements import completion, void

BLOCKED_FOR_S = 0.5
"""How long the second transaction must stay waiting (it finishes in milliseconds if not)."""


def _hold_first_transaction(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, threading.Event]:
    """The first ingestion to reach progress (after its credit) waits there, transaction open."""
    credited, release = threading.Event(), threading.Event()
    record_progress = ingest.record_progress
    first = threading.Lock()

    def held(*args: Any, **kwargs: Any) -> Any:
        if first.acquire(blocking=False):
            credited.set()
            assert release.wait(10), "the test never released the first transaction"
        return record_progress(*args, **kwargs)

    monkeypatch.setattr(ingest, "record_progress", held)
    return credited, release


def _in_thread(action: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []
    thread = threading.Thread(target=lambda: outcome.append(action()), daemon=True)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("first_request", ["new statement", "voiding"])
def test_a_second_credit_for_the_same_person_waits_for_the_first(
    first_request: str,
    xapi: XAPIClient,
    app_context: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    earlier = completion(module=9, timestamp="2025-03-10T01:00:00Z")
    assert xapi.post_statements(earlier).status_code == 200
    credited, release = _hold_first_transaction(monkeypatch)
    body = completion(module=1) if first_request == "new statement" else void(earlier["id"])

    first, first_outcome = _in_thread(lambda: xapi.post_statements(body).status_code)
    assert credited.wait(10), "the first request never reached its credit"
    second, second_outcome = _in_thread(
        lambda: xapi.post_statements(completion(module=2)).status_code
    )
    second.join(BLOCKED_FOR_S)
    assert second.is_alive(), "the second credit went ahead while the first was open"

    release.set()
    first.join(10)
    second.join(10)
    assert first_outcome == [200]
    assert second_outcome == [200]
    db.session.expire_all()
    status = {
        entry.activity_id.rsplit("=", 1)[-1]: entry.status
        for entry in db.session.scalars(select(CreditEntry))
    }
    if first_request == "new statement":
        assert status == {"9": "pending", "1": "pending", "2": "pending"}
    else:
        assert status == {"9": "revoked", "2": "pending"}
