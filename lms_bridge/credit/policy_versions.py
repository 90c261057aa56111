"""Uploading a JP policy, seeing whom it changes before it runs, and applying it.

An uploaded policy is validated (each problem names its line and rule id) and stored as an
inactive ``jp_policies`` row. Its dry run is the real recompute under it, inside a
transaction that is always rolled back: the JP that count per person and year before and
after are exactly what applying it would give (nothing is committed, so no worker sees any
of it). Applying commits the row as active (this process switches to it at once, the
others within a few seconds: active_policy), then runs the chunked, resumable recompute.

A dry run rereads every stored statement, so it is refused above
:data:`DRY_RUN_STATEMENTS`; such a directory is recomputed with ``lms-bridge credit
recompute`` after a quiet-hours apply instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.credit import nominal_jp_lookup
from lms_bridge.credit.active_policy import ActivePolicy
from lms_bridge.credit.ledger import COUNTING
from lms_bridge.credit.policy import Policy, parse_policy
from lms_bridge.credit.recompute import (
    RecomputeReport,
    count_statements,
    recompute_credit,
    recompute_within,
)
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import CreditEntry, Person
from lms_bridge.models.policies import StoredPolicy

DRY_RUN_STATEMENTS = 200_000
"""Statements a dry run may reread (a few minutes at most on this service's hardware)."""
POLICY_BYTES = 512 * 1024


class PolicyNotFound(LookupError):
    """No uploaded policy with this id."""


class DryRunTooLarge(ValueError):
    """More statements than a dry run rereads."""

    def __init__(self, statements: int) -> None:
        self.statements = statements
        super().__init__(f"{statements} statements > {DRY_RUN_STATEMENTS}")


@dataclass(frozen=True)
class StoredPolicyLine:
    """An uploaded version as the page lists it."""

    id: int
    version: str
    name: str
    uploaded_by: str
    uploaded_at: datetime
    active: bool
    applied_at: datetime | None


@dataclass(frozen=True)
class JpChange:
    """One person's JP that count in one year, before and after the new policy."""

    nip: str
    name: str
    year: int
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class PolicyDryRun:
    """Who gains or loses JP, per person and year, and the recompute's own counts."""

    policy_id: int
    version: str
    changes: list[JpChange]
    report: RecomputeReport


class _RolledBack(Exception):
    """Carries a dry run's result out of the unit of work so that it rolls back."""

    def __init__(self, result: PolicyDryRun) -> None:
        self.result = result


def stored_policies(session: Session) -> list[StoredPolicyLine]:
    """Every uploaded version, newest first."""
    return [
        StoredPolicyLine(
            p.id, p.version, p.name, p.uploaded_by, p.uploaded_at, p.active, p.applied_at
        )
        for p in session.scalars(select(StoredPolicy).order_by(StoredPolicy.id.desc()))
    ]


def upload_policy(text: str, *, actor: str) -> int:
    """Validate and keep a policy (not active yet); raises PolicyError naming each problem."""
    policy = parse_policy(text, "policy")
    with unit_of_work() as session:
        stored = StoredPolicy(
            version=policy.version,
            name=policy.name,
            text=text,
            uploaded_by=actor,
            uploaded_at=utcnow(),
            active=False,
        )
        session.add(stored)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="policy.upload",
            subject_type="policy",
            subject_id=str(stored.id),
            after={"version": policy.version, "name": policy.name, "rules": len(policy.rules)},
        )
        return stored.id


def _stored(session: Session, policy_id: int) -> tuple[StoredPolicy, Policy]:
    stored = session.get(StoredPolicy, policy_id)
    if stored is None:
        raise PolicyNotFound(policy_id)
    return stored, parse_policy(stored.text, f"jp_policies #{stored.id}")


def _jp_by_person_year(session: Session) -> dict[tuple[str, int], Decimal]:
    rows = session.execute(
        select(CreditEntry.nip, CreditEntry.year, func.sum(CreditEntry.jp))
        .where(CreditEntry.nip.is_not(None), CreditEntry.status.in_(COUNTING))
        .group_by(CreditEntry.nip, CreditEntry.year)
    )
    return {(str(nip), int(year)): Decimal(total or 0) for nip, year, total in rows}


def _changes(
    session: Session, before: dict[tuple[str, int], Decimal], after: dict[tuple[str, int], Decimal]
) -> list[JpChange]:
    changed = sorted(
        key
        for key in before.keys() | after.keys()
        if before.get(key, Decimal(0)) != after.get(key, Decimal(0))
    )
    nips = sorted({nip for nip, _ in changed})
    names = dict(session.execute(select(Person.nip, Person.name).where(Person.nip.in_(nips))).all())
    return [
        JpChange(
            nip,
            names.get(nip, ""),
            year,
            before.get((nip, year), Decimal(0)),
            after.get((nip, year), Decimal(0)),
        )
        for nip, year in changed
    ]


ModulesJp = Callable[[Session], Mapping[str, Decimal]]
"""Reads the nominal JP of every program module (lms_bridge.programs.modules), handed in by
the caller: credit does not reach up into programs."""


def dry_run_policy(policy_id: int, modules_jp: ModulesJp) -> PolicyDryRun:
    """What applying the policy would change, computed and rolled back."""
    try:
        with unit_of_work() as session:
            stored, policy = _stored(session, policy_id)
            statements = count_statements(session, policy, None)
            if statements > DRY_RUN_STATEMENTS:
                raise DryRunTooLarge(statements)
            before = _jp_by_person_year(session)
            report = recompute_within(
                session, policy, nominal_jp_lookup(policy, modules_jp(session))
            )
            changes = _changes(session, before, _jp_by_person_year(session))
            raise _RolledBack(PolicyDryRun(stored.id, stored.version, changes, report))
    except _RolledBack as done:
        return done.result


def apply_policy(
    running: ActivePolicy, policy_id: int, modules_jp: ModulesJp, *, actor: str
) -> PolicyDryRun:
    """Make the policy the active one, then recompute the ledger under it.

    ``running`` is this process's active policy: it switches at once, before the recompute.

    The activation commits first, so statements arriving during the recompute are credited
    under the new policy by every process; the recompute then runs in its resumable chunks
    (``lms-bridge credit recompute`` finishes it if it is stopped). The JP changes reported
    are the ledger's before and after, so a statement credited meanwhile shows in them too.
    """
    with unit_of_work() as session:
        stored, policy = _stored(session, policy_id)
        previous = session.scalar(select(StoredPolicy.version).where(StoredPolicy.active))
        session.execute(update(StoredPolicy).where(StoredPolicy.active).values(active=False))
        stored.active = True
        stored.applied_by = actor
        stored.applied_at = utcnow()
        version = stored.version
        before = _jp_by_person_year(session)
        nominal_jp = nominal_jp_lookup(policy, modules_jp(session))
    running.adopt(policy_id, policy)
    report = recompute_credit(policy, nominal_jp)
    with unit_of_work() as session:
        changes = _changes(session, before, _jp_by_person_year(session))
        record_event(
            session,
            actor=actor,
            action="policy.apply",
            subject_type="policy",
            subject_id=str(policy_id),
            before={"version": previous or running.file_policy.version},
            after={
                "version": version,
                "people_changed": len({change.nip for change in changes}),
                "jp_before": str(report.jp_before),
                "jp_after": str(report.jp_after),
            },
        )
    return PolicyDryRun(policy_id, version, changes, report)
