"""Reads carried by an insert's round trip, asked and answered by name.

A request that stores one statement makes three round trips (BEGIN, the insert, COMMIT)
instead of one more per read when the reads its next steps need ride on the insert as
extra output columns. The caller names each read; the insert returns the answers by those
names, never by position. Paths that cannot carry them (a batch, an id already taken) give
no answers and the caller reads for itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ReadAlong:
    """A read to carry: a PostgreSQL expression giving one value that is never NULL (a JSON
    array, say) with ``%s`` placeholders for ``values``."""

    name: str
    sql: str
    values: tuple[Any, ...]


def carried_columns(reads: Sequence[ReadAlong]) -> tuple[str, list[Any]]:
    """The extra output columns (``, expr, expr``) and their values, in the reads' order."""
    if len({read.name for read in reads}) != len(reads):
        raise ValueError("two reads carried by one insert share a name")
    return "".join(f", {read.sql}" for read in reads), [v for read in reads for v in read.values]


def answers_by_name(reads: Sequence[ReadAlong], values: Sequence[Any]) -> Mapping[str, Any]:
    """The insert's extra output values, keyed by the names of the reads that asked."""
    return {read.name: value for read, value in zip(reads, values, strict=True)}
