"""Advisory locks (PostgreSQL): people's keys, the whole ledger, and statement writes.

SQLite needs none of them: a unit of work that writes holds the database's write lock.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.orm import Session

from lms_bridge.sql.driver import execute_on_driver, is_postgresql

LOCK_BUDGET = 256
"""The most advisory locks one transaction takes on people's keys.

PostgreSQL keeps every lock in one shared table sized by ``max_locks_per_transaction``
(64 by default) times the connections; a transaction holding one lock per person of a
province (tens of thousands) fills it, and then every transaction on the server fails with
``out of shared memory``. Bulk paths (recompute, rematch) work in chunks below this budget;
a transaction that still touches more people takes :data:`LEDGER_LOCK` exclusively instead.
"""

LEDGER_LOCK = 0x4C4D5342  # "LMSB": any fixed 64-bit key of our own
"""Held shared by every transaction that locks people's keys, exclusively by one that would
need more than :data:`LOCK_BUDGET` of them: that one then waits for, and holds off, every
other credit writer, and takes two locks instead of thousands."""

LEDGER_SHARED = "ledger AS (SELECT pg_advisory_xact_lock_shared(%s))"
LOCK_EACH_KEY = (
    "SELECT count(pg_advisory_xact_lock(hashtextextended(key, 0))) "
    "FROM ledger, (SELECT unnest(CAST(%s AS text[])) AS key ORDER BY 1) AS wanted"
)
"""The ledger lock (shared) first, since the keys' locks are evaluated per joined row, then
each key in sorted order."""


def lock_keys(session: Session, keys: Collection[str]) -> None:
    """Serialise transactions that touch the same keys, until this transaction ends.

    PostgreSQL: one transaction-scoped advisory lock per key, taken in sorted order (two
    transactions never wait on each other in a cycle) in one round trip. A transaction
    takes all its keys in one call: two calls could take them out of order. What is read
    after the lock is read in a later statement, with a snapshot taken after it was
    granted. Past :data:`LOCK_BUDGET` keys the whole ledger is locked instead (one lock,
    not one per key).
    """
    if not keys or not is_postgresql(session):
        return
    if len(keys) > LOCK_BUDGET:
        execute_on_driver(session, "SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK])
        return
    execute_on_driver(session, f"WITH {LEDGER_SHARED} {LOCK_EACH_KEY}", [LEDGER_LOCK, sorted(keys)])


STATEMENT_WRITES_LOCK_KEY = (0x4C4D5342, 1)
"""The advisory lock every transaction that stores statements holds (PostgreSQL). Two
int4 halves: that key space never meets :func:`lock_keys`' bigint hashes. The
one-statement insert shares it through the function of migration 0011."""

SHARE_STATEMENT_WRITES = "SELECT pg_advisory_xact_lock_shared(%s, %s)"
OWN_STATEMENT_WRITES = "SELECT pg_advisory_xact_lock(%s, %s)"


def lock_statement_writes(session: Session, *, exclusive: bool) -> None:
    """Hold the statement-writes lock until this transaction ends (PostgreSQL).

    Ordinary writers share it and never wait on each other. A batch that voids, or one
    retrying after a concurrent insert of the same id, holds it alone: it starts reading only
    once every writer in flight has committed, and none starts until it has. So a void sees
    a target being stored at the same moment (and marks it), or that target's insert sees
    the void (and is stored voided); a retried batch meets no second conflict. Voids and
    conflicts are rare, so writers almost never wait. Take it before anything else this
    transaction locks (it is always the first lock), so no two transactions wait in a cycle.
    """
    if not is_postgresql(session):
        return
    sql = OWN_STATEMENT_WRITES if exclusive else SHARE_STATEMENT_WRITES
    execute_on_driver(session, sql, STATEMENT_WRITES_LOCK_KEY, returns_rows=False)
