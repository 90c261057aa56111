"""Rebuild the ledger from stored statements after a policy change, at any size.

Evidence of the statements in scope is evaluated again under the current policy, and what
differs from the stored rows replaces them; every group it touched, before or after, is
rebuilt by the same code that serves ingestion, so auditors' decisions on entries that
still exist are kept.

A province has tens of thousands of people with credit. One transaction over all of them
held one advisory lock per person and ran PostgreSQL's shared lock table out of memory, and
it loaded every group at once. So the run goes through the LMS identities (actor keys) of
the statements in the order of their index, :data:`CHUNK_ACTORS` at a time, each chunk its own
transaction that locks only its own people; statements are read in pages, never all at
once. The run's :class:`CreditRecomputation` row is created first and advanced by every
chunk in that chunk's transaction (the last actor done, the counts so far), so a run that
stops (an error, a kill) resumes after the last chunk that committed, and a finished row
has ``finished_at`` set.

Statements arriving while a run goes on are credited exactly once:

- a chunk makes the evidence of exactly the statements it read what the policy says
  (deleting the rows that differ, writing the missing ones, keeping the rest), so a
  statement it did not see keeps the evidence its own ingestion made (under the policy the
  service runs, which after a policy change is the new one), and one it saw is evaluated
  once, here;
- the chunk then locks its people before it rebuilds, as ingestion does, so caps are
  settled one transaction at a time;
- the statements a rule may credit (those with a verb some rule names: no other can carry
  evidence) are locked ``FOR SHARE`` on PostgreSQL and their voided flag read after the
  lock: a voiding statement marks its target with an ``UPDATE``, so either the chunk waits
  for the void and reads the target voided, or the void waits for the chunk and then finds
  (and voids) the evidence the chunk wrote.

A chunk that loses a deadlock against ingestion is rolled back and run again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    case,
    delete,
    func,
    literal,
    null,
    select,
    tuple_,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from lms_bridge.credit.ledger import (
    COUNTING,
    EVIDENCE_COLUMNS,
    GROUP_CHUNK,
    CreditableStatement,
    GroupKey,
    evidence_rows,
    insert_evidence,
    rebuild_groups,
)
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import UTCDateTime, key_hash, table_of, unit_of_work, utcnow
from lms_bridge.models import Statement
from lms_bridge.models.credit import CreditEntry, CreditEvidence, CreditRecomputation
from lms_bridge.sql.keys import index_key
from lms_bridge.sql.locks import lock_keys

CHUNK_ACTORS = 100
"""LMS identities re-credited per transaction. Each maps to one person (or stays parked),
and its evidence may still name an earlier one: at most twice this many people are locked
per transaction, below :data:`lms_bridge.sql.locks.LOCK_BUDGET`."""

PAGE = 2000
"""Statements read (and held in memory) at a time within a chunk."""

RETRIES = 3
"""Attempts of a chunk that loses a deadlock or serialisation conflict to ingestion."""

RETRYABLE = frozenset(("40P01", "40001"))  # deadlock_detected, serialization_failure


@dataclass(frozen=True)
class RecomputeReport:
    """What a recompute changed (summed over its chunks)."""

    recomputation_id: int
    statements: int
    entries_added: int
    entries_removed: int
    entries_changed: int
    jp_before: Decimal
    jp_after: Decimal


ALL_ACTORS = 2**31
"""A limit no directory reaches: :func:`recompute_within` takes every actor in one chunk."""


@dataclass(frozen=True)
class _Run:
    """What every chunk of one run works with."""

    id: int
    policy: Policy
    nominal_jp: NominalJp
    year: int | None


@dataclass(frozen=True)
class _ChunkOutcome:
    statements: int
    added: int
    removed: int
    changed: int


def _scope(policy: Policy, year: int | None) -> list[ColumnElement[bool]]:
    if year is None:
        return []
    start = datetime(year, 1, 1, tzinfo=policy.time_zone)
    end = datetime(year + 1, 1, 1, tzinfo=policy.time_zone)
    return [Statement.timestamp >= start, Statement.timestamp < end]


def _snapshot(session: Session, groups: Collection[GroupKey]) -> dict[GroupKey, Decimal]:
    """JP that count, per group (absent = nothing counts).

    Read by person (the leading column of the entries' unique index): a row-value IN over
    hundreds of groups is planned slowly, and every other entry of these people is left as
    it was, so it changes no count.
    """
    subjects = sorted({group[0] for group in groups})
    counted: dict[GroupKey, Decimal] = {}
    for start in range(0, len(subjects), GROUP_CHUNK):
        rows = session.execute(
            select(
                CreditEntry.subject_key,
                CreditEntry.activity_key,
                CreditEntry.rule_id,
                CreditEntry.jp,
            ).where(
                CreditEntry.subject_key.in_(subjects[start : start + GROUP_CHUNK]),
                CreditEntry.status.in_(COUNTING),
            )
        )
        for subject_key, activity_key, rule_id, jp in rows:
            counted[(subject_key, activity_key, rule_id)] = jp
    return counted


def _ledger_jp(session: Session, year: int | None) -> Decimal:
    """JP that count in the ledger (of ``year``): the run's before and after figures."""
    query = select(func.coalesce(func.sum(CreditEntry.jp), 0)).where(
        CreditEntry.status.in_(COUNTING)
    )
    if year is not None:
        query = query.where(CreditEntry.year == year)
    return Decimal(session.scalar(query) or 0)


def count_statements(session: Session, policy: Policy, year: int | None) -> int:
    """How many statements a recompute will read (for the progress bar)."""
    query = select(func.count()).select_from(Statement).where(*_scope(policy, year))
    return int(session.scalar(query) or 0)


def unfinished_run(policy: Policy, year: int | None) -> CreditRecomputation | None:
    """The newest run of this policy version and year that did not finish, if any."""
    with unit_of_work(writes=False) as session:
        run = session.scalars(
            select(CreditRecomputation)
            .where(
                CreditRecomputation.policy_version == policy.version,
                CreditRecomputation.year.is_(None)
                if year is None
                else CreditRecomputation.year == year,
                CreditRecomputation.finished_at.is_(None),
            )
            .order_by(CreditRecomputation.id.desc())
            .limit(1)
        ).first()
        if run is not None:
            session.expunge(run)
        return run


def _start_run(policy: Policy, year: int | None) -> int:
    with unit_of_work() as session:
        return _new_run(session, policy, year)


def _new_run(session: Session, policy: Policy, year: int | None) -> int:
    run = CreditRecomputation(
        policy_version=policy.version,
        year=year,
        started_at=utcnow(),
        finished_at=None,
        last_actor_key=None,
        statements=0,
        entries_added=0,
        entries_removed=0,
        entries_changed=0,
        jp_before=_ledger_jp(session, year),
        jp_after=Decimal(0),
    )
    session.add(run)
    session.flush()
    return run.id


def recompute_within(session: Session, policy: Policy, nominal_jp: NominalJp) -> RecomputeReport:
    """Every statement re-evaluated and the ledger rebuilt inside the caller's transaction,
    as one chunk: a policy's dry run, which the caller rolls back. Its memory grows with the
    ledger (every group at once) and past :data:`lms_bridge.sql.locks.LOCK_BUDGET` people it
    holds the ledger's one exclusive lock, so the caller bounds how much it may read."""
    run_id = _new_run(session, policy, None)
    actors = _next_actors(session, policy, None, None, ALL_ACTORS)
    outcome = _ChunkOutcome(statements=0, added=0, removed=0, changed=0)
    if actors:
        outcome = _recompute_actors(session, _Run(run_id, policy, nominal_jp, None), actors, [])
    run = session.get_one(CreditRecomputation, run_id)
    return RecomputeReport(
        recomputation_id=run_id,
        statements=outcome.statements,
        entries_added=outcome.added,
        entries_removed=outcome.removed,
        entries_changed=outcome.changed,
        jp_before=run.jp_before,
        jp_after=_ledger_jp(session, None),
    )


def recompute_credit(
    policy: Policy,
    nominal_jp: NominalJp,
    *,
    year: int | None = None,
    progress: Callable[[int], None] = lambda _: None,
    resume: CreditRecomputation | None = None,
    chunk_actors: int = CHUNK_ACTORS,
) -> RecomputeReport:
    """Re-evaluate every statement (of ``year``, in the policy's time zone) and rebuild,
    one chunk of actors per transaction; ``resume`` continues a run that stopped."""
    run_id = resume.id if resume is not None else _start_run(policy, year)
    cursor = resume.last_actor_key if resume is not None else None
    chunks = _Run(run_id, policy, nominal_jp, year)
    while True:
        with unit_of_work(writes=False) as session:
            actors = _next_actors(session, policy, year, cursor, chunk_actors)
        if not actors:
            break
        _run_chunk(chunks, actors, progress)
        cursor = actors[-1]
    with unit_of_work() as session:
        run = session.get_one(CreditRecomputation, run_id)
        run.jp_after = _ledger_jp(session, year)
        run.finished_at = utcnow()
        session.flush()
        return RecomputeReport(
            recomputation_id=run.id,
            statements=run.statements,
            entries_added=run.entries_added,
            entries_removed=run.entries_removed,
            entries_changed=run.entries_changed,
            jp_before=run.jp_before,
            jp_after=run.jp_after,
        )


def _next_actors(
    session: Session, policy: Policy, year: int | None, after: str | None, count: int
) -> list[str]:
    """The next ``count`` actor keys of statements in scope, in the order of their index
    (:class:`~lms_bridge.db.key_hash`; on SQLite the keys' own order).

    One index probe per actor (a recursive query that asks for the first key after the
    last one found): a DISTINCT over the (actor_key, stored, pk) index read every statement
    of the chunk's actors to find a hundred keys, and with no vacuum having marked the
    pages all-visible, their rows too (2.7 s per chunk at a million statements).
    """
    start = _first_actor_after(policy, year, None if after is None else literal(after))
    found = select(start.scalar_subquery().label("key")).cte("found", recursive=True)
    step = select(
        _first_actor_after(policy, year, found.c.key).scalar_subquery().label("key")
    ).where(found.c.key.is_not(None))
    found = found.union_all(step)
    keys = session.scalars(select(found.c.key).where(found.c.key.is_not(None)).limit(count))
    return [key for key in keys if key is not None]


def _first_actor_after(
    policy: Policy, year: int | None, after: ColumnElement[str] | None
) -> Select[str | None]:
    """The actor of the first statement in scope whose actor's hash follows ``after``'s."""
    actor = key_hash(Statement.actor_key)
    query = select(Statement.actor_key).where(
        *_scope(policy, year), Statement.actor_key.is_not(None)
    )
    if after is not None:
        query = query.where(actor > key_hash(after))
    return query.order_by(actor).limit(1)


def _hash_of(actor_key: str) -> ColumnElement[Any]:
    return key_hash(literal(actor_key, String()))


def _run_chunk(run: _Run, actors: list[str], progress: Callable[[int], None]) -> None:
    """One chunk in its own transaction, run again if it loses a deadlock."""
    for attempt in range(1, RETRIES + 1):
        reported: list[int] = []
        try:
            with unit_of_work() as session:
                outcome = _recompute_actors(session, run, actors, reported)
                session.execute(
                    update(CreditRecomputation)
                    .where(CreditRecomputation.id == run.id)
                    .values(
                        last_actor_key=actors[-1],
                        statements=CreditRecomputation.statements + outcome.statements,
                        entries_added=CreditRecomputation.entries_added + outcome.added,
                        entries_removed=CreditRecomputation.entries_removed + outcome.removed,
                        entries_changed=CreditRecomputation.entries_changed + outcome.changed,
                    )
                )
        except OperationalError as error:
            if attempt == RETRIES or getattr(error.orig, "sqlstate", None) not in RETRYABLE:
                raise
            continue
        progress(sum(reported))
        return


def _rule_verb_keys(policy: Policy) -> list[str]:
    """Index keys of the verbs the policy's rules name: every rule's match requires one."""
    return sorted(
        {index_key(verb) for rule in policy.rules for match in rule.matches for verb in match.verbs}
    )


def _lock_creditable(session: Session, pks: list[int]) -> dict[int, bool]:
    """Lock the statements that may earn ``FOR SHARE`` (see the module docstring) and
    return whether each is voided, as read after the lock was granted.

    Only these: a row lock is written into the row, so locking every statement read rewrote
    (and logged) every page of the table, about 15 MB of WAL per 2,000 statements.
    """
    if not pks:
        return {}
    rows = session.execute(
        select(Statement.pk, Statement.voided)
        .where(Statement.pk.in_(pks))
        .order_by(Statement.pk)
        .with_for_update(read=True)  # SQLite renders nothing: a writing unit of work is alone
    )
    return {pk: bool(voided) for pk, voided in rows}


SUBJECT, ACTIVITY, RULE = (
    EVIDENCE_COLUMNS.index(name) for name in ("subject_key", "activity_key", "rule_id")
)


def _replace_evidence(
    session: Session, statement_ids: list[str], wanted: list[dict[str, Any]]
) -> set[GroupKey]:
    """Make the evidence of ``statement_ids`` exactly ``wanted``, writing only what differs;
    returns every group the old or the new rows belong to (each is rebuilt).

    Deleting every row and writing it again made a recompute under an unchanged policy
    rewrite the whole evidence table: at a million statements it doubled (48 → 93 bytes a
    statement until a vacuum) and its WAL went with it. Rows are compared on every column
    they are written with.
    """
    # By statement id, which the evidence is indexed by: no index leads with statement_pk,
    # and a read by it scanned the whole evidence table for every page.
    stored = session.execute(
        select(
            CreditEvidence.id, *(table_of(CreditEvidence).c[name] for name in EVIDENCE_COLUMNS)
        ).where(CreditEvidence.statement_id.in_(statement_ids))
    ).all()
    remaining = Counter(tuple(row[name] for name in EVIDENCE_COLUMNS) for row in wanted)
    stale: list[int] = []
    groups: set[GroupKey] = set()
    for evidence_id, *values in stored:
        kept = tuple(values)
        groups.add((kept[SUBJECT], kept[ACTIVITY], kept[RULE]))
        if remaining[kept] > 0:
            remaining[kept] -= 1
        else:
            stale.append(evidence_id)
    if stale:
        session.execute(delete(CreditEvidence).where(CreditEvidence.id.in_(stale)))
    fresh = [row for row in wanted if _take(remaining, row)]
    return groups | insert_evidence(session, fresh)


def _take(remaining: Counter[tuple[Any, ...]], row: dict[str, Any]) -> bool:
    """Whether ``row`` is still to be written (it is, as many times as no stored row was it)."""
    values = tuple(row[name] for name in EVIDENCE_COLUMNS)
    if remaining[values] > 0:
        remaining[values] -= 1
        return True
    return False


def _recompute_actors(
    session: Session, run: _Run, actors: list[str], reported: list[int]
) -> _ChunkOutcome:
    """Evidence of these actors' statements again, then their groups rebuilt; ``reported``
    gets the size of each page read (the progress bar moves once the chunk commits)."""
    policy = run.policy
    groups: set[GroupKey] = set()
    read = 0
    # The chunk is the range [first, last] of the actors' key_hash (two actors sharing a
    # hash are in the same chunk); pages follow the (key_hash(actor_key), stored, pk) index,
    # so each page is one index range scan, not a filter over the table.
    actor = key_hash(Statement.actor_key)
    position = tuple_(actor, Statement.stored, Statement.pk)
    resume_from: ColumnElement[bool] = actor >= _hash_of(actors[0])
    # Only a statement with a verb some rule names can earn: the others' payloads are
    # neither read nor parsed, nor their rows locked (most of a Moodle site's statements).
    creditable = Statement.verb_key.in_(_rule_verb_keys(policy))
    while True:
        rows = session.execute(
            select(
                Statement.pk,
                Statement.statement_id,
                case((creditable, Statement.payload), else_=null()),
                Statement.voided,
                Statement.actor_key,
                Statement.stored,
            )
            .where(
                resume_from,
                actor <= _hash_of(actors[-1]),
                Statement.actor_key.is_not(None),
                *_scope(policy, run.year),
            )
            .order_by(actor, Statement.stored, Statement.pk)
            .limit(PAGE)
        ).all()
        if not rows:
            break
        voided_now = _lock_creditable(session, [row[0] for row in rows if row[2] is not None])
        last = rows[-1]
        resume_from = position > tuple_(
            _hash_of(last[4]), literal(last[5], UTCDateTime()), literal(last[0])
        )
        batch = [
            CreditableStatement(pk, statement_id, orjson.loads(payload), voided_now[pk])
            for pk, statement_id, payload, _, _, _ in rows
            if payload is not None
        ]
        groups |= _replace_evidence(
            session,
            [row[1] for row in rows],
            evidence_rows(session, batch, policy, run.nominal_jp),
        )
        read += len(rows)
        reported.append(len(rows))
    lock_keys(session, {group[0] for group in groups})
    before = _snapshot(session, groups)
    rebuild_groups(session, groups, policy, locked=True, settle_all=True)
    after = _snapshot(session, groups)
    return _ChunkOutcome(
        statements=read,
        added=len(after.keys() - before.keys()),
        removed=len(before.keys() - after.keys()),
        changed=sum(1 for key in after.keys() & before.keys() if after[key] != before[key]),
    )
