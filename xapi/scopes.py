"""Authorization scopes (xAPI 1.0.3 Communication 4.2, "OAuth Authorization Scope").

The spec defines these names for OAuth; lms_bridge grants the same scopes to HTTP Basic
clients so one vocabulary governs every kind of credential.
"""

from __future__ import annotations

from typing import Final

STATEMENTS_WRITE: Final = "statements/write"
STATEMENTS_READ: Final = "statements/read"
STATEMENTS_READ_MINE: Final = "statements/read/mine"
ALL_READ: Final = "all/read"
ALL: Final = "all"
STATE: Final = "state"
DEFINE: Final = "define"
PROFILE: Final = "profile"

KNOWN: Final = frozenset(
    {STATEMENTS_WRITE, STATEMENTS_READ, STATEMENTS_READ_MINE, ALL_READ, ALL, STATE, DEFINE, PROFILE}
)
DEFAULT: Final = (STATEMENTS_WRITE, STATEMENTS_READ_MINE)
"""What the spec says a client gets when it asks for no scope."""


def can_write_statements(scopes: frozenset[str]) -> bool:
    """POST/PUT statements."""
    return bool(scopes & {STATEMENTS_WRITE, ALL})


def can_read_all_statements(scopes: frozenset[str]) -> bool:
    """GET any statement (not only the client's own)."""
    return bool(scopes & {STATEMENTS_READ, ALL_READ, ALL})


def can_read_own_statements(scopes: frozenset[str]) -> bool:
    """GET statements whose authority is the client itself."""
    return can_read_all_statements(scopes) or STATEMENTS_READ_MINE in scopes


def can_use_documents(scopes: frozenset[str], kind: str, *, write: bool) -> bool:
    """State (``state``) and profile (``profile``) documents; ``all/read`` reads them."""
    if ALL in scopes or kind in scopes:
        return True
    return not write and ALL_READ in scopes


def can_read_definitions(scopes: frozenset[str]) -> bool:
    """GET activities and agents: any scope that reads something, or defines activities."""
    readers = {ALL, ALL_READ, STATEMENTS_READ, STATEMENTS_READ_MINE, DEFINE, PROFILE, STATE}
    return bool(scopes & readers)
