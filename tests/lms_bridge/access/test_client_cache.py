"""Authenticated clients are cached per process and forgotten as soon as ``clients`` changes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lms_bridge.access import authenticate_client, create_client, reset_client
from lms_bridge.access.client_cache import (
    ClientCache,
    ClientChangeListener,
    cache_for,
    stop_listeners,
)
from lms_bridge.access.clients import _client_cache
from lms_bridge.app import create_app
from lms_bridge.cli import upgrade_database
from lms_bridge.db import db
from lms_bridge.settings import current_settings
from tests.conftest import HASH_METHOD, empty_all_tables, make_settings

KEY = ("key", b"fingerprint")
WAIT_S = 5.0


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT_S} s: {what}")
        time.sleep(0.01)


# --- the cache on its own -------------------------------------------------------------------


def test_nothing_is_kept_while_no_listener_listens() -> None:
    cache = ClientCache(ttl_seconds=60)
    assert cache.generation() is None
    assert not cache.store(KEY, "client", cache.generation())
    assert cache.lookup(KEY) is None


def test_a_change_between_reading_and_storing_turns_the_store_away() -> None:
    cache = ClientCache(ttl_seconds=60)
    cache.set_listening(True)
    before_read = cache.generation()
    cache.invalidate()  # the notice of a revocation arrives while the row is being read
    assert not cache.store(KEY, "stale client", before_read)
    assert cache.lookup(KEY) is None
    assert cache.store(KEY, "fresh client", cache.generation())
    assert cache.lookup(KEY) == "fresh client"


def test_entries_expire_and_a_lost_listener_forgets_them() -> None:
    now = [100.0]
    cache = ClientCache(ttl_seconds=60, clock=lambda: now[0])
    cache.set_listening(True)
    assert cache.store(KEY, "client", cache.generation())
    now[0] += 59
    assert cache.lookup(KEY) == "client"
    now[0] += 2
    assert cache.lookup(KEY) is None
    assert cache.store(KEY, "client", cache.generation())
    cache.set_listening(False)
    cache.set_listening(True)  # notices may have been missed while it was away
    assert cache.lookup(KEY) is None


# --- against PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def pg_app(postgres_url: str) -> Iterator[Flask]:
    """The PostgreSQL app with a client, and no listener yet: one left running by an earlier
    test would deliver the notices of the set-up below late, emptying the cache mid-test."""
    stop_listeners()
    app = create_app(make_settings(postgres_url))
    with app.app_context():
        upgrade_database()
        empty_all_tables()
        create_client(
            "Moodle", key="moodle", secret="s3cret", scopes=["all"], hash_method=HASH_METHOD
        )
        yield app
        db.session.remove()
        db.engine.dispose()
    stop_listeners()


def _libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _cached(key: str) -> Any:
    cache = _client_cache(db.session(), current_settings())
    assert cache is not None
    return [entry for (cached_key, _), (entry, _at) in cache._entries.items() if cached_key == key]


def test_a_client_revoked_elsewhere_is_refused_once_the_notice_arrives(
    pg_app: Flask, postgres_url: str
) -> None:
    cache = _client_cache(db.session(), current_settings())
    assert cache is not None
    _eventually(lambda: cache.generation() is not None, "the listener connects")
    client = authenticate_client(db.session(), "moodle", "s3cret", settings=current_settings())
    assert client is not None
    assert client.name == "Moodle"
    assert _cached("moodle") == [client]
    assert (
        authenticate_client(db.session(), "moodle", "s3cret", settings=current_settings()) is client
    )  # served from memory

    # Another process (or an operator's SQL) revokes it: no call into this process.
    with psycopg.connect(_libpq_dsn(postgres_url), autocommit=True) as other:
        other.execute("UPDATE clients SET revoked_at = now() WHERE key = 'moodle'")
    _eventually(lambda: _cached("moodle") == [], "the revocation empties the cache")
    assert (
        authenticate_client(db.session(), "moodle", "s3cret", settings=current_settings()) is None
    )


def test_sqlite_reads_the_client_row_every_time(tmp_path: Any) -> None:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'lms_bridge.db'}"))
    with app.app_context():
        upgrade_database()
        create_client("Moodle", key="a", secret="s3cret", scopes=["all"], hash_method=HASH_METHOD)
        assert _client_cache(db.session(), current_settings()) is None
        assert (
            authenticate_client(db.session(), "a", "s3cret", settings=current_settings())
            is not None
        )
        db.session.execute(text("UPDATE clients SET revoked_at = '2026-01-01' WHERE key = 'a'"))
        db.session.commit()
        assert authenticate_client(db.session(), "a", "s3cret", settings=current_settings()) is None
        db.engine.dispose()


def test_wrong_secrets_are_not_cached_and_a_new_secret_needs_no_wait(pg_app: Flask) -> None:
    cache = _client_cache(db.session(), current_settings())
    assert cache is not None
    _eventually(lambda: cache.generation() is not None, "the listener connects")
    assert authenticate_client(db.session(), "moodle", "guess", settings=current_settings()) is None
    assert _cached("moodle") == []
    assert (
        authenticate_client(db.session(), "moodle", "s3cret", settings=current_settings())
        is not None
    )
    reset = reset_client("Moodle", key="moodle", scopes=["all"], hash_method=HASH_METHOD)
    # This process changed it: its cache is emptied before the call returns.
    assert (
        authenticate_client(db.session(), "moodle", "s3cret", settings=current_settings()) is None
    )
    assert (
        authenticate_client(db.session(), "moodle", reset.secret, settings=current_settings())
        is not None
    )


def test_a_dropped_listener_stops_the_cache_until_it_reconnects(
    pg_app: Flask, postgres_url: str
) -> None:
    dsn = _libpq_dsn(postgres_url)
    cache = ClientCache(ttl_seconds=60)
    listener = ClientChangeListener(
        lambda: psycopg.connect(dsn, autocommit=True, application_name="listener-under-test"),
        cache,
        liveness_seconds=0.05,
        retry_seconds=0.3,
    )
    listener.start()
    try:
        _eventually(lambda: listener.connections == 1, "the listener connects")
        assert cache.store(KEY, "client", cache.generation())
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'listener-under-test'"
            )
        _eventually(lambda: cache.generation() is None, "the broken connection is noticed")
        assert cache.lookup(KEY) is None
        assert not cache.store(KEY, "client", cache.generation())
        _eventually(lambda: listener.connections == 2, "the listener reconnects")
        assert cache.lookup(KEY) is None  # what was cached before the break is gone
        assert cache.store(KEY, "client", cache.generation())
    finally:
        listener.stop()


def test_each_database_gets_one_listener_per_process(pg_app: Flask, postgres_url: str) -> None:
    connects: list[int] = []

    def connect() -> psycopg.Connection[tuple[object, ...]]:
        connects.append(1)
        return psycopg.connect(_libpq_dsn(postgres_url), autocommit=True)

    first = cache_for("test://one-database", 60, connect)
    assert cache_for("test://one-database", 30, connect) is first
    assert first.ttl_seconds == 30
    _eventually(lambda: len(connects) == 1, "one listener connects")
    assert cache_for("test://another-database", 60, connect) is not first
