"""Index keys: identifiers short enough for a B-tree on every database.

IRIs and account names have no length limit in the spec, but a PostgreSQL B-tree entry
must stay under ~2.7 kB. Long keys are replaced by a digest; lookups apply the same
function, so equality still holds.
"""

from __future__ import annotations

import hashlib

from lms_bridge.models.lrs import KEY_LENGTH


def index_key(value: str) -> str:
    """``value`` itself when short, else ``sha256:<hex>`` of it."""
    if len(value) <= KEY_LENGTH:
        return value
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()


def optional_index_key(value: str | None) -> str | None:
    """:func:`index_key` that passes ``None`` through."""
    return None if value is None else index_key(value)
