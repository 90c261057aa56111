"""Pooled PostgreSQL connections are checked before use only after sitting idle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from lms_bridge.db import ping_after_idle

IDLE_S = 0.2


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url, pool_size=1, max_overflow=0)
    ping_after_idle(engine, idle_seconds=IDLE_S)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    seen: list[float] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        seen.append(time.monotonic())
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return seen


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(text("SELECT pg_backend_pid()")))


def _terminate(postgres_url: str, pid: int) -> None:
    dsn = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_back_a_moment_ago_is_used_without_a_ping(
    engine: Engine, pings: list[float]
) -> None:
    first = _backend_pid(engine)
    assert [_backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_a_connection_idle_longer_is_pinged_and_kept_when_alive(
    engine: Engine, pings: list[float]
) -> None:
    first = _backend_pid(engine)
    time.sleep(IDLE_S * 1.5)
    assert _backend_pid(engine) == first
    assert len(pings) == 1


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(
    engine: Engine, pings: list[float], postgres_url: str
) -> None:
    dropped = _backend_pid(engine)
    _terminate(postgres_url, dropped)  # as a server restart or an idle timeout would
    time.sleep(IDLE_S * 1.5)
    replacement = _backend_pid(engine)  # no error reaches the caller
    assert replacement != dropped
    assert len(pings) == 1
