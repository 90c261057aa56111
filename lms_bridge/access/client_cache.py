"""Authenticated clients kept in memory, forgotten the moment the ``clients`` table changes.

Why: every xAPI request authenticates, and reading the client row was about an eighth of a
single-statement POST's CPU (2.32 → 2.03 ms per request in-process, docs/performance.md).
A cache that merely expired would let a revoked client go on writing until it did. Here
PostgreSQL tells every process instead: a trigger on ``clients`` (migration 0007) sends
``NOTIFY lms_bridge_clients`` whenever a row is inserted, updated, deleted or truncated, and
one listener thread per process empties its cache when the notice arrives, milliseconds
after the change commits. The cache only answers while its listener is connected: before it
has connected, after the connection breaks, and until it has reconnected, every request
reads the client row as before. SQLite has no notifications and reads the row every time
(there the read is an in-process call, not a round trip).

A request that read the row just before a change and stores what it read just after the
notice would bring the old row back; each store therefore carries the cache's generation
from before its read, and a notice in between turns the store away.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg

logger = logging.getLogger(__name__)

CHANNEL = "lms_bridge_clients"
"""The NOTIFY channel of migration 0007's trigger on ``clients``."""

LIVENESS_SECONDS = 5.0
"""How often an idle listener checks its connection (a dead peer sends no notices)."""

RETRY_SECONDS = 1.0
"""Pause before reconnecting a listener whose connection failed."""

CacheKey = tuple[str, bytes]
"""(client key, HMAC fingerprint of the secret): never the secret itself."""


class ClientCache:
    """What one process knows about clients, valid only while its listener listens."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, tuple[object, float]] = {}
        self._generation = 0
        self._live = False

    def lookup(self, key: CacheKey) -> object | None:
        """The cached client, or None: not cached, too old, or the listener is not listening."""
        with self._lock:
            if not self._live:
                return None
            found = self._entries.get(key)
        if found is None:
            return None
        entry, stored_at = found
        if self._clock() - stored_at > self.ttl_seconds:
            return None
        return entry

    def generation(self) -> int | None:
        """Take this before reading the row; None when nothing may be cached now."""
        with self._lock:
            return self._generation if self._live else None

    def store(self, key: CacheKey, entry: object, generation: int | None) -> bool:
        """Keep ``entry`` unless the table changed since ``generation`` was taken."""
        with self._lock:
            if generation is None or not self._live or generation != self._generation:
                return False
            self._entries[key] = (entry, self._clock())
            return True

    def invalidate(self) -> None:
        """Forget every client: the table changed (or may have, unseen)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def set_listening(self, live: bool) -> None:
        """Whether notices reach this cache; either way, what it held may be stale now."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._live = live


class ClientChangeListener(threading.Thread):
    """LISTENs on :data:`CHANNEL` on its own connection and invalidates a cache per notice."""

    def __init__(
        self,
        connect: Callable[[], psycopg.Connection[tuple[object, ...]]],
        cache: ClientCache,
        *,
        liveness_seconds: float = LIVENESS_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        super().__init__(name="lms-bridge-client-listener", daemon=True)
        self._connect = connect
        self._cache = cache
        self._liveness_seconds = liveness_seconds
        self._retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self.connections = 0
        """How many times it has (re)connected: tests watch it."""

    def stop(self) -> None:
        """Ask it to end; it does within ``liveness_seconds``, without another notice.

        Nobody waits for it: it is a daemon, and a process exiting (a gunicorn worker's
        restart) should not wait on an idle LISTEN.
        """
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._cache.set_listening(True)
                    self.connections += 1
                    while not self._stopping.is_set():
                        for _notice in connection.notifies(timeout=self._liveness_seconds):
                            self._cache.invalidate()
                            if self._stopping.is_set():
                                break
                        connection.execute("SELECT 1")
            except psycopg.Error as error:
                if not self._stopping.is_set():
                    logger.warning(
                        "client change listener lost its connection (%s); clients are read "
                        "on every request until it reconnects",
                        error,
                    )
            finally:
                self._cache.set_listening(False)
            self._stopping.wait(self._retry_seconds)


class _Registration:
    def __init__(self, cache: ClientCache, listener: ClientChangeListener) -> None:
        self.cache = cache
        self.listener = listener
        self.pid = os.getpid()


_registry: dict[str, _Registration] = {}
_registry_lock = threading.Lock()


def cache_for(
    database: str,
    ttl_seconds: float,
    connect: Callable[[], psycopg.Connection[tuple[object, ...]]],
) -> ClientCache:
    """This process's cache of ``database`` (one listener each), started on first use.

    A forked process (a gunicorn worker of an app built before the fork) gets its own: a
    thread does not survive ``fork``.
    """
    with _registry_lock:
        found = _registry.get(database)
        if found is not None and found.pid == os.getpid() and found.listener.is_alive():
            found.cache.ttl_seconds = ttl_seconds
            return found.cache
        cache = ClientCache(ttl_seconds)
        listener = ClientChangeListener(connect, cache)
        listener.start()
        _registry[database] = _Registration(cache, listener)
        return cache


def forget_clients() -> None:
    """Empty this process's caches now (after its own change, without waiting for the notice)."""
    with _registry_lock:
        registrations = list(_registry.values())
    for registration in registrations:
        registration.cache.invalidate()


@atexit.register
def stop_listeners() -> None:
    """Stop every listener of this process (tests call it before dropping their database)."""
    with _registry_lock:
        registrations = list(_registry.values())
        _registry.clear()
    for registration in registrations:
        registration.listener.stop()
