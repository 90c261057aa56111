"""The few reads every statement POST runs, sent straight to the DB-API driver.

A single-statement POST is CPU-bound, and SQLAlchemy's execution machinery costs about
330 µs per ORM query (220 µs for Core on a connection) where the driver itself needs about
80 µs (docs/performance.md). The handful of queries on that path (the client by key,
which ids are stored already, which activities belong to a program module) are written once
per dialect here and run on the session's own connection, inside its transaction. Every
other query stays SQLAlchemy; tests run each of these on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DriverQuery:
    """One read in each dialect's own SQL.

    ``postgresql`` uses psycopg's ``%(name)s`` placeholders, where a list binds as an array
    (``= ANY(%(ids)s)``); ``sqlite`` uses sqlite3's ``:name``, where a list binds as JSON text
    for ``json_each`` (each dialect reads the parameters it names). ``json_columns`` are
    decoded on SQLite (psycopg decodes ``json`` itself); ``decoders`` turn a column's raw
    value into what its SQLAlchemy type would give, on both.

    ``plan_each_time``: PostgreSQL plans the query for the values at hand on every run instead
    of keeping the server-side prepared statement psycopg makes after five runs. A prepared
    statement's generic plan is chosen once, for the table as it was then; a ledger table
    that was nearly empty when a worker started is scanned whole by that plan long after it
    has grown, until an ANALYZE replans it (PostgreSQL without autovacuum never does). On
    a server that had just stored the benchmark's 100,000 statements, such a plan took the
    evidence read from 0.09 to 3.7 ms (median; docs/performance.md).
    """

    postgresql: str
    sqlite: str
    json_columns: tuple[int, ...] = ()
    decoders: tuple[tuple[int, Callable[[Any], Any]], ...] = ()
    plan_each_time: bool = False


def driver_rows(
    session: Session, query: DriverQuery, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``query`` with ``params``, read in the session's transaction."""
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver_connection.cursor() as cursor:
            cursor.execute(
                query.postgresql, params, prepare=False if query.plan_each_time else None
            )
            rows: list[tuple[Any, ...]] = cursor.fetchall()
    else:
        bound = {
            name: orjson.dumps(list(value)).decode() if _is_list(value) else value
            for name, value in params.items()
        }
        cursor = driver_connection.cursor()
        try:
            rows = cursor.execute(query.sqlite, bound).fetchall()
        finally:
            cursor.close()
        if query.json_columns:
            rows = [_decode_json(row, query.json_columns) for row in rows]
    if query.decoders:
        rows = [_apply(row, query.decoders) for row in rows]
    return rows


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


def _decode_json(row: Sequence[Any], json_columns: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for position in json_columns:
        if values[position] is not None:
            values[position] = orjson.loads(values[position])
    return tuple(values)


def _apply(
    row: Sequence[Any], decoders: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> tuple[Any, ...]:
    values = list(row)
    for position, decode in decoders:
        if values[position] is not None:
            values[position] = decode(values[position])
    return tuple(values)


def utc_datetime(value: datetime | str) -> datetime:
    """A UTCDateTime column: naive UTC from psycopg, ISO text from SQLite; aware UTC out."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC)


def decimal_of_scale(scale: int) -> Callable[[Any], Decimal]:
    """A Numeric(_, scale) column: Decimal from psycopg; SQLite keeps a float, which
    SQLAlchemy formats to the column's scale (and so does this)."""

    def decode(value: Any) -> Decimal:
        return value if isinstance(value, Decimal) else Decimal(f"{value:.{scale}f}")

    return decode
