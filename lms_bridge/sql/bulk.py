"""Bulk writes: COPY on PostgreSQL (one multi-row INSERT for a few rows), executemany elsewhere.

Validation is cheap (~30 µs a statement), so the write path sets the ingestion rate. A batch
of 100 Moodle statements is ~600 rows (statements plus index rows); row-by-row protocol
messages cost more than validating them. PostgreSQL's COPY writes them in one stream, and
primary keys are reserved up front with one ``nextval`` query so index rows can refer to
them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Table
from sqlalchemy.orm import Session

from lms_bridge.sql.driver import copy_on_driver, execute_on_driver, is_postgresql, naive_utc
from lms_bridge.sql.locks import LEDGER_LOCK, LEDGER_SHARED, LOCK_BUDGET, LOCK_EACH_KEY, lock_keys


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
    converted = _columns_to_convert(rows)
    if converted:
        rows = [_stored_row(row, converted) for row in rows]
    copy_on_driver(session, table.name, columns, rows)


def _stored_row(row: Sequence[Any], positions: Sequence[int]) -> list[Any]:
    values = list(row)
    for position in positions:
        values[position] = as_stored(values[position])
    return values


def as_stored(value: Any) -> Any:
    """COPY bypasses column types: do what the column types would.

    Aware datetimes go in as naive UTC (as UTCDateTime stores them) and lists or mappings
    as JSON text (as the JSON type stores them).
    """
    if isinstance(value, (list, dict)):
        return orjson.dumps(value).decode()
    return naive_utc(value)


def _columns_to_convert(rows: Sequence[Sequence[Any]]) -> list[int]:
    """Positions whose values need :func:`as_stored`, judged by each column's first value
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
    :func:`~lms_bridge.sql.locks.lock_keys` on ``lock``: a few rows and their locks go in
    one round trip."""
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
        values = [as_stored(value) for row in rows for value in row]
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
