"""Index keys: identifiers short enough for a B-tree on every database.

IRIs and account names have no length limit in the spec, but a PostgreSQL B-tree entry
must stay under ~2.7 kB. Long keys are replaced by a digest; lookups apply the same
function, so equality still holds.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import ColumnElement, String, and_, literal, select

from lms_bridge.db import key_hash
from lms_bridge.models.lrs import KEY_LENGTH


def index_key(value: str) -> str:
    """``value`` itself when short, else ``sha256:<hex>`` of it."""
    if len(value) <= KEY_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def optional_index_key(value: str | None) -> str | None:
    """:func:`index_key` that passes ``None`` through."""
    return None if value is None else index_key(value)


def key_digest(key: str) -> int:
    """An index key as a signed 64-bit integer: the first 8 bytes of its SHA-256.

    What index rows store instead of the key itself (``statement_activities``). Two keys
    share a digest with a chance of about one in 10^19 per pair; a query by digest could
    then return a statement that names the other key. Migration 0020 computes the same
    value in SQL: ``('x' || left(encode(sha256(convert_to(key, 'UTF8')), 'hex'), 16))
    ::bit(64)::bigint``.
    """
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def matches_key(column: Any, key: str) -> ColumnElement[bool]:
    """``column`` equals ``key``, written so that an index on ``key_hash(column)`` finds it:
    the hash narrows the index range, the key itself rules out a collision."""
    return and_(key_hash(column) == key_hash(literal(key, String())), column == key)


def key_in(column: Any, keys: Any) -> ColumnElement[bool]:
    """``column`` is one of the ``keys`` (a subquery's column), written as
    :func:`matches_key` is, so that an index on ``key_hash(column)`` finds them."""
    return and_(key_hash(column).in_(select(key_hash(keys))), column.in_(select(keys)))
