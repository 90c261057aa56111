"""The input gate both APIs share: what the database cannot store never reaches a query.

PostgreSQL's text type refuses U+0000 and its ``bigint`` stops at 2**63 - 1; either one in a
parameter used to fail the query with a 500. Both API families check every path segment,
query parameter and header of a request here, once, before the view runs, and answer a 400
naming the field in their own error format; bodies are checked where they are parsed (the
statement validator under /xapi, the API gate's JSON walk, the CSV reader's cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from lms_bridge.db import BIGINT_MAX
from xapi.fields import NUL, NUL_REASON


def request_fields(
    view_args: Mapping[str, Any] | None,
    args: Mapping[str, Iterable[str]],
    headers: Iterable[tuple[str, str]],
) -> Iterator[tuple[str, Any]]:
    """(name, value) of every path segment, query parameter and header of a request."""
    yield from (view_args or {}).items()
    for name, values in args.items():
        yield name, name
        for value in values:
            yield name, value
    yield from headers


def unstorable_field(fields: Iterable[tuple[str, Any]]) -> tuple[str, str] | None:
    """The first (field, reason) no query can carry, or None when every value is fine."""
    for name, value in fields:
        if isinstance(value, str) and NUL in value:
            return name, NUL_REASON
        if isinstance(value, int) and not 0 <= value <= BIGINT_MAX:
            return name, f"must be a whole number from 0 to {BIGINT_MAX} (64 bits)"
    return None
