"""Which JP policy the service runs: an uploaded one marked active, else the policy file.

An administrator applies an uploaded policy by marking its ``jp_policies`` row active (in
the same transaction as the recompute it needs). Every process, whatever started it, looks
for the active row at most once every :data:`CHECK_SECONDS`, on a connection of its own
(never inside the caller's transaction), and parses it when it changed; the process that
applied it switches at once. So a worker runs a superseded policy for at most that long
(plus the length of the request that was running) after an apply: statements it credits
in that window keep the old policy's evidence until the next recompute (``lms-bridge
credit recompute``); see docs/admin.md.

The look happens only while the caller holds no connection: every request looks before
it starts (a ``before_request`` hook of lms_bridge.app; health, metrics and public
documents aside), and a caller inside a transaction gets the policy it has. A thread
holding one connection while it waits for a second deadlocks behind a transaction pooler
with as many server connections as such threads; and while one thread looks, the others
run what they have rather than queue behind it.

Before migrations have created the table (``lms-bridge db upgrade`` itself starts the
app) the file's policy is used.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from lms_bridge.credit.policy import Policy, PolicyError, parse_policy
from lms_bridge.db import db
from lms_bridge.models.policies import StoredPolicy

CHECK_SECONDS = 5.0
"""How stale a process's policy may be after another process applied a new one."""


class ActivePolicy:
    """A process's view of the active policy (one per app)."""

    def __init__(self, file_policy: Policy) -> None:
        self.file_policy = file_policy
        self._current: tuple[int | None, Policy] = (None, file_policy)
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def get(self) -> Policy:
        """The policy to run now (reads the active row when the last look is too old and
        this thread's session holds no connection)."""
        if time.monotonic() - self._checked_at >= CHECK_SECONDS and not _holds_connection():
            self.refresh(wait=False)
        return self._current[1]

    @property
    def stored_id(self) -> int | None:
        """The active uploaded policy's id, or None while the file's policy runs."""
        return self._current[0]

    def adopt(self, stored_id: int | None, policy: Policy) -> None:
        """Run ``policy`` from now on (the process that applied it)."""
        with self._lock:
            self._current = (stored_id, policy)
            self._checked_at = time.monotonic()

    def refresh(self, *, wait: bool = True) -> None:
        """Look for the active row now, and switch when it is another one; without ``wait``,
        not when another thread is already looking."""
        if not self._lock.acquire(blocking=wait):
            return
        try:
            self._checked_at = time.monotonic()
            try:
                with db.engine.connect() as connection:
                    row = connection.execute(
                        select(StoredPolicy.id, StoredPolicy.text).where(StoredPolicy.active)
                    ).first()
            except SQLAlchemyError:
                return  # no table yet (before migrations): keep what runs
            if row is None:
                self._current = (None, self.file_policy)
                return
            if row.id == self._current[0]:
                return
            try:
                self._current = (row.id, parse_policy(row.text, f"jp_policies #{row.id}"))
            except PolicyError:
                return  # stored only after validation; a newer code's stricter check keeps the last
        finally:
            self._lock.release()


def _holds_connection() -> bool:
    """Whether this thread's session is inside a transaction (so holds a connection)."""
    return db.session().in_transaction()
