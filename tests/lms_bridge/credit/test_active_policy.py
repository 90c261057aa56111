"""The look for an applied policy never needs a second connection, and never queues."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event, select

from lms_bridge.credit import active_policy, current_policy
from lms_bridge.db import db
from lms_bridge.models.credit import CreditEntry


@pytest.fixture
def checkouts(app_context: Flask) -> Iterator[list[object]]:
    """Every connection checked out of the engine's pool while the test runs."""
    taken: list[object] = []

    def note(dbapi_connection: object, *_: object) -> None:
        taken.append(dbapi_connection)

    event.listen(db.engine, "checkout", note)
    try:
        yield taken
    finally:
        event.remove(db.engine, "checkout", note)


def make_due() -> None:
    active_policy()._checked_at = float("-inf")


def test_a_due_look_outside_a_transaction_reads_on_a_connection_of_its_own(
    checkouts: list[object],
) -> None:
    db.session.remove()
    make_due()
    current_policy()
    assert len(checkouts) == 1
    assert active_policy()._checked_at > float("-inf")


def test_inside_a_transaction_the_running_policy_is_kept_without_a_second_connection(
    checkouts: list[object],
) -> None:
    """A thread holding a connection that waits for a second one deadlocks behind a
    transaction pooler with as few server connections as such threads."""
    db.session.execute(select(CreditEntry.id).limit(1))
    assert len(checkouts) == 1
    running = active_policy()._current[1]
    make_due()
    assert current_policy() is running
    assert len(checkouts) == 1
    assert active_policy()._checked_at == float("-inf")


def test_while_another_thread_looks_the_others_run_what_they_have(
    app: Flask, checkouts: list[object]
) -> None:
    holder = active_policy()
    make_due()
    looking = threading.Event()

    def run() -> None:
        with app.app_context():
            holder.get()
            looking.set()

    with holder._lock:
        # Another thread is in the middle of a look: this one must not wait for it.
        thread = threading.Thread(target=run)
        thread.start()
        assert looking.wait(5), "get() waited for the other thread's look"
        thread.join()
    assert checkouts == []


def test_every_request_looks_before_it_starts(app: Flask, checkouts: list[object]) -> None:
    db.session.remove()
    make_due()
    response = app.test_client().get("/xapi/statements")  # no version header: refused
    assert response.status_code == 400
    assert active_policy()._checked_at > float("-inf")
    assert len(checkouts) == 1


def test_health_and_public_documents_never_look(app: Flask, checkouts: list[object]) -> None:
    """They hold no credit: a probe must not need the database (nor wait for it)."""
    db.session.remove()
    make_due()
    assert app.test_client().get("/xapi/about").status_code == 200
    assert app.test_client().get("/healthz").status_code == 200
    assert active_policy()._checked_at == float("-inf")
    assert checkouts == []
