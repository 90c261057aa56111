"""Counting and reading the SQL a piece of code sends, through SQLAlchemy's events.

The driver calls of lms_bridge.sql fire the same ``before_cursor_execute`` event as
SQLAlchemy's own execution, so one listener sees every query: ORM, Core and driver alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event


@dataclass(frozen=True)
class SentQuery:
    """One statement as it went to the driver."""

    sql: str
    parameters: Any


@contextmanager
def recorded_queries(engine: Engine) -> Iterator[list[SentQuery]]:
    """Every statement sent on ``engine`` while the block runs, in order."""
    sent: list[SentQuery] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        sent.append(SentQuery(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
