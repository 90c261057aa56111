"""Rebuild the ledger from stored statements after a policy change.

Evidence of the statements in scope is thrown away and evaluated again under the current
policy; every group it touched, before or after, is rebuilt by the same code that serves
ingestion, so auditors' decisions on entries that still exist are kept. The run is one
transaction and leaves a CreditRecomputation row saying what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson
from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from lms_bridge.credit.ledger import (
    COUNTING,
    GROUP_CHUNK,
    CreditableStatement,
    GroupKey,
    evidence_rows,
    insert_evidence,
    rebuild_groups,
    rows_for_groups,
)
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import utcnow
from lms_bridge.models import Statement
from lms_bridge.models.credit import CreditEntry, CreditEvidence, CreditRecomputation

CHUNK = 2000


@dataclass(frozen=True)
class RecomputeReport:
    """What a recompute changed."""

    statements: int
    entries_added: int
    entries_removed: int
    entries_changed: int
    jp_before: Decimal
    jp_after: Decimal


def _scope(policy: Policy, year: int | None) -> list[ColumnElement[bool]]:
    if year is None:
        return []
    start = datetime(year, 1, 1, tzinfo=policy.time_zone)
    end = datetime(year + 1, 1, 1, tzinfo=policy.time_zone)
    return [Statement.timestamp >= start, Statement.timestamp < end]


def _snapshot(session: Session, groups: Collection[GroupKey]) -> dict[GroupKey, Decimal]:
    """JP that count, per group (absent = nothing counts)."""
    ordered = sorted(groups)
    counted: dict[GroupKey, Decimal] = {}
    for start in range(0, len(ordered), GROUP_CHUNK):
        for entry in rows_for_groups(session, CreditEntry, ordered[start : start + GROUP_CHUNK]):
            if entry.status in COUNTING:
                counted[(entry.subject_key, entry.activity_key, entry.rule_id)] = entry.jp
    return counted


def count_statements(session: Session, policy: Policy, year: int | None) -> int:
    """How many statements a recompute will read (for the progress bar)."""
    query = select(func.count()).select_from(Statement).where(*_scope(policy, year))
    return int(session.scalar(query) or 0)


def recompute_credit(
    session: Session,
    policy: Policy,
    nominal_jp: NominalJp,
    *,
    year: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> RecomputeReport:
    """Re-evaluate every statement (of ``year``, in the policy's time zone) and rebuild."""
    started = utcnow()
    in_scope: Select[int] = select(Statement.pk).where(*_scope(policy, year))
    groups: set[GroupKey] = {
        (row[0], row[1], row[2])
        for row in session.execute(
            select(CreditEvidence.subject_key, CreditEvidence.activity_key, CreditEvidence.rule_id)
            .where(CreditEvidence.statement_pk.in_(in_scope))
            .distinct()
        )
    }
    session.execute(delete(CreditEvidence).where(CreditEvidence.statement_pk.in_(in_scope)))

    read = 0
    last_pk = 0
    while True:
        rows = session.execute(
            select(Statement.pk, Statement.statement_id, Statement.payload, Statement.voided)
            .where(*_scope(policy, year), Statement.pk > last_pk)
            .order_by(Statement.pk)
            .limit(CHUNK)
        ).all()
        if not rows:
            break
        last_pk = rows[-1][0]
        batch = [
            CreditableStatement(pk, statement_id, orjson.loads(payload), voided)
            for pk, statement_id, payload, voided in rows
        ]
        groups |= insert_evidence(session, evidence_rows(batch, policy, nominal_jp))
        read += len(rows)
        progress(len(rows))

    before = _snapshot(session, groups)
    rebuild_groups(session, groups, policy, settle_all=True)
    after = _snapshot(session, groups)
    report = RecomputeReport(
        statements=read,
        entries_added=len(after.keys() - before.keys()),
        entries_removed=len(before.keys() - after.keys()),
        entries_changed=sum(1 for key in after.keys() & before.keys() if after[key] != before[key]),
        jp_before=sum(before.values(), Decimal(0)),
        jp_after=sum(after.values(), Decimal(0)),
    )
    session.add(
        CreditRecomputation(
            policy_version=policy.version,
            year=year,
            started_at=started,
            finished_at=utcnow(),
            statements=report.statements,
            entries_added=report.entries_added,
            entries_removed=report.entries_removed,
            entries_changed=report.entries_changed,
            jp_before=report.jp_before,
            jp_after=report.jp_after,
        )
    )
    session.flush()
    return report
