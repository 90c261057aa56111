"""Append-only, hash-chained audit records.

Each record's ``hash`` is SHA-256 over its canonical content (sequence number, time, actor,
action, subject, before, after, reason) and the previous record's hash. Editing a record by
hand breaks its own hash; deleting one leaves a gap in ``seq`` and breaks the next record's
link. Deleting the newest records leaves a shorter chain that is still whole: ``verify``
prints the head (sequence number and hash) so an operator can note it elsewhere and compare.

Appends are serialised so two writers never both link to the same predecessor: on PostgreSQL
a transaction-scoped advisory lock (held until the caller commits), on SQLite the write lock
every writing unit of work takes at BEGIN IMMEDIATE (:func:`lms_bridge.db.unit_of_work`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.db import utcnow
from lms_bridge.models import AuditEvent
from lms_bridge.sql.locks import lock_keys

GENESIS_HASH = "0" * 64
"""What the first record links to."""
APPEND_LOCK = "lms_bridge:audit-trail"
REASON_LENGTH = 2000


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: ``first_broken`` is the ``seq`` where the chain breaks."""

    ok: bool
    checked: int
    first_broken: int | None = None
    problem: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


def _plain(value: Any) -> Any:
    """JSON values only, so what is stored is exactly what was hashed (Decimal → str)."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, Decimal | datetime | date):
        return value.isoformat() if isinstance(value, datetime | date) else str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"audit values must be JSON-like, not {type(value).__name__}")


def _digest(event: AuditEvent) -> str:
    content = {
        "seq": event.seq,
        "recorded_at": event.recorded_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "before": event.before,
        "after": event.after,
        "reason": event.reason,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((event.previous_hash + canonical).encode()).hexdigest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one record to the trail and flush it; the caller's unit of work commits it.

    Call it inside a writing unit of work, after the change it records and after the
    caller's own locks: on PostgreSQL the append lock is held until the commit, so taking
    more locks after it could deadlock with another writer. (Should two appends race
    anyway, the unique ``seq`` refuses the second: the chain never forks.)
    """
    lock_keys(session, [APPEND_LOCK])
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    event = AuditEvent(
        seq=(head.seq + 1) if head else 1,
        # Whole microseconds survive both databases, so the hash recomputes after a read.
        recorded_at=utcnow(),
        actor=actor[:320],
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id)[:200],
        before=_plain(before) if before is not None else None,
        after=_plain(after) if after is not None else None,
        reason=reason[:REASON_LENGTH] if reason else None,
        previous_hash=head.hash if head else GENESIS_HASH,
    )
    event.hash = _digest(event)
    session.add(event)
    session.flush()
    return event


def history(session: Session, subject_type: str, subject_id: str) -> list[AuditEvent]:
    """Every record about one subject, oldest first (an entry's or a person's history)."""
    return list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.seq)
        )
    )


VERIFY_BATCH = 1000


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole trail in order and recompute every link; stop at the first break."""
    checked = 0
    previous_hash = GENESIS_HASH
    expected_seq = 1
    stream = session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=VERIFY_BATCH)
    )
    for event in stream:
        checked += 1
        problem = None
        if event.seq != expected_seq:
            problem = f"record {expected_seq} is missing (deleted)"
        elif event.previous_hash != previous_hash:
            problem = "its link to the previous record does not match (a record was removed)"
        elif _digest(event) != event.hash:
            problem = "its content does not match its hash (the record was changed)"
        if problem:
            stream.close()
            return ChainReport(False, checked, expected_seq, problem, event.seq, event.hash)
        previous_hash = event.hash
        expected_seq += 1
    return ChainReport(True, checked, head_seq=expected_seq - 1, head_hash=previous_hash)
