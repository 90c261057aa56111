"""Bounded ``IN (…)`` lists: SQLite limits bound parameters, and long lists plan badly."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

IN_LIST_SIZE = 1000
"""Values per ``IN (…)`` list: far below SQLite's and PostgreSQL's bound-parameter limits."""

T = TypeVar("T")


def chunked(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for ``IN (…)`` lists of bounded length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
