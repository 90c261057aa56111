"""What can go wrong when storing or reading statements, named for what went wrong."""

from __future__ import annotations

from xapi.errors import BadRequest, Conflict, NotFound


class StatementIdConflict(Conflict):
    """An id is reused with different content (xAPI 1.0.3 Communication 2.1.1/2.1.2)."""


class DuplicateIdInBatch(BadRequest):
    """One POST carries two different statements with the same id."""


class VoidingTargetInvalid(BadRequest):
    """A voiding statement targets a voiding statement (Data 2.2.3: those cannot be voided)."""


class StatementNotFound(NotFound):
    """No statement with that id is visible to this query."""
