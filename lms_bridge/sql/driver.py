"""SQL sent straight to the DB-API driver, on the session's own connection and transaction.

A single-statement POST is CPU-bound, and SQLAlchemy's execution machinery costs about
330 µs per ORM query (220 µs for Core on a connection) where the driver itself needs about
80 µs (docs/performance.md). The queries every POST runs (the client by key, which ids are
stored, the program modules and actor mappings of a batch, credit evidence and entries, the
one-statement insert, COPY, advisory locks) go through here; every other query stays
SQLAlchemy. Each area writes its own SQL text in its ``queries`` module, once per dialect
where they differ; tests run each on SQLite and on PostgreSQL.

Every statement sent here fires the engine's ``before_cursor_execute`` and
``after_cursor_execute`` events as SQLAlchemy's own execution does (the context argument is
a :class:`DriverExecution`), so a listener counts and logs these queries like any other.
Listeners that rewrite SQL (``retval=True``) are not honoured here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
import psycopg
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
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


class DriverExecution:
    """The context an execution event gets for SQL sent here (SQLAlchemy passes its own
    ExecutionContext); listeners may set attributes on it, as some do on SQLAlchemy's."""

    def __init__(self, statement: str, parameters: Any, executemany: bool) -> None:
        self.statement = statement
        self.parameters = parameters
        self.executemany = executemany


def is_postgresql(session: Session) -> bool:
    """Whether the session's database is PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def _announced(
    connection: Connection, cursor: Any, statement: str, parameters: Any, executemany: bool
) -> Iterator[None]:
    """Fire the execution events around one driver call (a no-op without listeners)."""
    dispatch = connection.dispatch
    if not (dispatch.before_cursor_execute or dispatch.after_cursor_execute):
        yield
        return
    context = DriverExecution(statement, parameters, executemany)
    for listener in dispatch.before_cursor_execute:
        listener(connection, cursor, statement, parameters, context, executemany)
    yield
    for listener in dispatch.after_cursor_execute:
        listener(connection, cursor, statement, parameters, context, executemany)


def driver_rows(
    session: Session, query: DriverQuery, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``query`` with ``params``, read in the session's transaction."""
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver_connection.cursor() as cursor:
            with _announced(connection, cursor, query.postgresql, params, False):
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
            with _announced(connection, cursor, query.sqlite, bound, False):
                rows = cursor.execute(query.sqlite, bound).fetchall()
        finally:
            cursor.close()
        if query.json_columns:
            rows = [_decode_json(row, query.json_columns) for row in rows]
    if query.decoders:
        rows = [_apply(row, query.decoders) for row in rows]
    return rows


def execute_on_driver(
    session: Session, sql: str, values: Sequence[Any], *, returns_rows: bool = True
) -> list[tuple[Any, ...]]:
    """Run one statement with positional ``%s`` values on the driver (PostgreSQL) and
    return its rows (none when ``returns_rows`` is false). Aware datetimes go in as naive
    UTC (as UTCDateTime stores them); lists bind as arrays. A unique violation raises
    SQLAlchemy's IntegrityError, as an ORM statement would (callers retry on it)."""
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    parameters = [naive_utc(value) for value in values]
    try:
        with driver_connection.cursor() as cursor:
            with _announced(connection, cursor, sql, parameters, False):
                cursor.execute(sql, parameters)
            rows: list[tuple[Any, ...]] = cursor.fetchall() if returns_rows else []
            return rows
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(sql, None, error) from error


def copy_on_driver(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``COPY table (columns) FROM STDIN`` with ``rows`` as they are (PostgreSQL), inside
    the session's transaction; the events see the command and the rows as one executemany.
    ``table`` and ``columns`` come from our own metadata, never from a request."""
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    command = f'COPY "{table}" ({names}) FROM STDIN'
    try:
        with (
            driver_connection.cursor() as cursor,
            _announced(connection, cursor, command, rows, True),
            cursor.copy(command) as copy,
        ):
            for row in rows:
                copy.write_row(row)
    except psycopg.errors.IntegrityError as error:
        raise IntegrityError(command, None, error) from error


def naive_utc(value: Any) -> Any:
    """An aware datetime as naive UTC (as UTCDateTime stores it); anything else unchanged."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


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
