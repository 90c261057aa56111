"""Bulk writes of statement batches: COPY on PostgreSQL (one INSERT for a few rows),
executemany elsewhere.

Validation is cheap (~30 µs a statement), so the write path sets the ingestion rate. A batch
of 100 Moodle statements is ~600 rows (statements plus index rows); row-by-row protocol
messages cost more than validating them. PostgreSQL's COPY writes them in one stream, and
primary keys are reserved up front with one ``nextval`` query so index rows can refer to
them. This is the one place that knows about the PostgreSQL driver.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import psycopg
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def is_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def reserve_ids(session: Session, table: Table, column: str, count: int) -> list[int]:
    """``count`` fresh values of the table's identity sequence (PostgreSQL)."""
    rows = execute_on_driver(
        session,
        "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
        [table.name, column, count],
    )
    return [int(value) for (value,) in rows]


def copy_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Append ``rows`` to ``table`` with COPY, inside the session's transaction (PostgreSQL)."""
    if not rows:
        return
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    names = ", ".join(f'"{name}"' for name in columns)
    command = f'COPY "{table.name}" ({names}) FROM STDIN'  # names from our own metadata
    try:
        converted = _columns_to_convert(rows)
        with driver_connection.cursor() as cursor, cursor.copy(command) as copy:
            if not converted:
                for row in rows:
                    copy.write_row(row)
            else:
                for row in rows:
                    values = list(row)
                    for position in converted:
                        values[position] = _as_stored(values[position])
                    copy.write_row(values)
    except psycopg.errors.IntegrityError as error:
        # Callers retry on SQLAlchemy's IntegrityError (a concurrent insert of the same id);
        # the raw driver call must raise the same.
        raise IntegrityError(command, None, error) from error


def execute_on_driver(
    session: Session, sql: str, values: Sequence[Any], *, returns_rows: bool = True
) -> list[tuple[Any, ...]]:
    """Run one statement with positional ``%s`` values on the driver (PostgreSQL) and
    return its rows (none when ``returns_rows`` is false). Aware datetimes go in as naive
    UTC (as UTCDateTime stores them); lists bind as arrays.

    For the statements every POST runs (reserving keys, the one-statement insert, advisory
    locks), where SQLAlchemy's execution machinery would cost more than the query.
    """
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    try:
        with driver_connection.cursor() as cursor:
            cursor.execute(sql, [_naive_utc(value) for value in values])
            rows: list[tuple[Any, ...]] = cursor.fetchall() if returns_rows else []
            return rows
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(sql, None, error) from error


def _naive_utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _as_stored(value: Any) -> Any:
    """COPY bypasses column types: do what the column types would.

    Aware datetimes go in as naive UTC (as UTCDateTime stores them) and lists or mappings
    as JSON text (as the JSON type stores them).
    """
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return _naive_utc(value)


def _columns_to_convert(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Positions whose values need :func:`_as_stored`, judged by each column's first value
    that is not None (a column holds one type)."""
    positions = []
    for position in range(len(rows[0])):
        sample = next((row[position] for row in rows if row[position] is not None), None)
        if isinstance(sample, (datetime, list, dict)):
            positions.append(position)
    return positions


SMALL_INSERT_ROWS = 20
"""Up to this many rows go in one ``INSERT … VALUES`` rather than a COPY on PostgreSQL.

A COPY takes two round trips (the command, then the data and its result) where an INSERT
takes one; for the few evidence, entry and index rows of a single statement the round trip
costs more than COPY saves. For the hundreds of rows of a batch COPY's encoding is cheaper.
"""


def insert_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    lock: Collection[str] = (),
) -> None:
    """Append ``rows`` with the fastest plain path of the database at hand, then take
    :func:`lock_keys` on ``lock``: a few rows and their locks go in one round trip."""
    if not rows:
        lock_keys(session, lock)
        return
    if not is_postgresql(session):
        session.connection().execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in rows]
        )
    elif len(rows) > SMALL_INSERT_ROWS:
        copy_rows(session, table, columns, rows)
        lock_keys(session, lock)
    else:
        names = ", ".join(f'"{name}"' for name in columns)
        placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values_clause = ", ".join([placeholders] * len(rows))
        # Names come from our own metadata; every value is a bound parameter.
        insert = f'INSERT INTO "{table.name}" ({names}) VALUES {values_clause}'  # noqa: S608
        values = [_as_stored(value) for row in rows for value in row]
        if lock and len(lock) <= LOCK_BUDGET:
            # A data-modifying WITH runs whether or not the query reads it.
            execute_on_driver(
                session,
                f"WITH inserted AS ({insert}), {LEDGER_SHARED} {LOCK_EACH_KEY}",
                [*values, LEDGER_LOCK, sorted(lock)],
            )
        else:
            execute_on_driver(session, insert, values, returns_rows=False)
            lock_keys(session, lock)


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
    not one per key). SQLite needs nothing: a unit of work that writes already holds the
    database's write lock.
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
    SQLite needs nothing: a unit of work that writes holds the database's write lock.
    """
    if not is_postgresql(session):
        return
    sql = OWN_STATEMENT_WRITES if exclusive else SHARE_STATEMENT_WRITES
    execute_on_driver(session, sql, STATEMENT_WRITES_LOCK_KEY, returns_rows=False)
