"""The few reads every statement POST runs, sent straight to the DB-API driver.

A single-statement POST is CPU-bound, and SQLAlchemy's execution machinery costs about
330 µs per ORM query (220 µs for Core on a connection) where the driver itself needs about
80 µs (docs/performance.md). The handful of queries on that path (the client by key,
which ids are stored already, which activities belong to a program module) are written once
per dialect here and run on the session's own connection, inside its transaction. Every
other query stays SQLAlchemy; tests run each of these on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DriverQuery:
    """One read in each dialect's own SQL.

    ``postgresql`` uses psycopg's ``%(name)s`` placeholders, where a list binds as an array
    (``= ANY(%(ids)s)``); ``sqlite`` uses sqlite3's ``:name``, where a list binds as JSON text
    for ``json_each``. ``json_columns`` are decoded on SQLite (psycopg decodes ``json`` itself).
    """

    postgresql: str
    sqlite: str
    json_columns: tuple[int, ...] = ()


def driver_rows(
    session: Session, query: DriverQuery, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``query`` with ``params``, read in the session's transaction."""
    connection = session.connection()
    driver_connection: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver_connection.cursor() as cursor:
            cursor.execute(query.postgresql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
    bound = {
        name: orjson.dumps(list(value)).decode() if _is_list(value) else value
        for name, value in params.items()
    }
    cursor = driver_connection.cursor()
    try:
        rows = cursor.execute(query.sqlite, bound).fetchall()
    finally:
        cursor.close()
    if not query.json_columns:
        return rows
    return [_decode(row, query.json_columns) for row in rows]


def _is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset))


def _decode(row: Sequence[Any], json_columns: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for position in json_columns:
        if values[position] is not None:
            values[position] = orjson.loads(values[position])
    return tuple(values)
