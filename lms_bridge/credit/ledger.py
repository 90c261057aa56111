"""The credit ledger: evidence in, entries out, caps settled, decisions kept.

Everything that changes credit goes through :func:`rebuild_groups`, whatever triggered it
(new statements, a voiding statement, an identity mapping that arrived late, a policy
change). It derives the entries of the touched (person, activity, rule) groups from their
evidence and then settles the caps of the touched person-days. Because entries are a
function of the evidence set, the ledger does not depend on the order statements arrive
in, nor on how often they are re-sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from lms_bridge.credit.entry_rows import (
    EntryValues,
    StoredEntry,
    entries_of_days,
    entries_of_groups,
    write_changes,
)
from lms_bridge.credit.policy import Policy, Rule
from lms_bridge.credit.queries import EVIDENCE_OF_GROUPS
from lms_bridge.credit.rules import Award, NominalJp, evaluate, format_jp, matching_rule
from lms_bridge.db import table_of, utcnow
from lms_bridge.models.credit import CreditEntry, CreditEvidence
from lms_bridge.people.identity import resolve_actors
from lms_bridge.sql.bulk import insert_rows
from lms_bridge.sql.driver import driver_rows
from lms_bridge.sql.keys import index_key
from lms_bridge.sql.locks import lock_keys
from xapi.fields import parse_timestamp
from xapi.identifiers import VOIDED_VERB, agent_key

GroupKey = tuple[str, str, str]
"""(subject_key, activity_key, rule_id): one activity credited once per person and rule."""

COUNTING = ("pending", "verified")
"""Statuses whose JP count toward totals and caps."""
DECIDED = ("verified", "rejected", "needs_revision")
"""Statuses an auditor's decision sets, which a rebuild keeps (see :func:`_follow`)."""
OPEN = ("pending", "needs_revision")
"""Statuses of the auditors' queue: not settled yet."""
GROUP_CHUNK = 500


def subject_for(actor_key: str, resolved: Mapping[str, str]) -> str:
    """``nip:<NIP>`` for a known ASN, else the actor key itself (parked as unmatched)."""
    nip = resolved.get(actor_key)
    return f"nip:{nip}" if nip else actor_key


def nip_of(subject_key: str) -> str | None:
    """The NIP inside a subject key, if it is one."""
    return subject_key[4:] if subject_key.startswith("nip:") else None


@dataclass(frozen=True)
class CreditableStatement:
    """What the ledger needs of a stored statement."""

    pk: int
    statement_id: str
    statement: Mapping[str, Any]
    voided: bool


def rule_candidate(statement: Mapping[str, Any], policy: Policy) -> str | None:
    """The actor key of a statement some rule may credit; None for most statements.

    Voiding statements, anonymous groups and statements no rule matches (viewed, answered,
    ...) earn nothing, and are skipped before any rule is evaluated.
    """
    if statement["verb"]["id"] == VOIDED_VERB:
        return None
    actor = agent_key(statement["actor"])
    if actor is None or matching_rule(statement, policy) is None:
        return None
    return actor


def creditable_actors(statements: Iterable[Mapping[str, Any]], policy: Policy) -> set[str]:
    """The actors whose NIP crediting these statements may need (see :func:`rule_candidate`)."""
    return {
        actor
        for actor in (rule_candidate(statement, policy) for statement in statements)
        if actor is not None
    }


def evidence_rows(
    session: Session,
    statements: Iterable[CreditableStatement],
    policy: Policy,
    nominal_jp: NominalJp,
    *,
    people: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Evaluate statements; one evidence row per statement a rule credits.

    ``people``: the actors resolved to NIPs already (the statement use case resolves a
    batch's actors once, for progress too); without it they are resolved here.
    """
    awarded: list[tuple[CreditableStatement, str, Award]] = []
    for item in statements:
        actor = rule_candidate(item.statement, policy)
        if actor is None:
            continue
        award = evaluate(item.statement, policy, nominal_jp)
        if isinstance(award, Award):
            awarded.append((item, actor, award))
    if not awarded:
        return []
    resolved = (
        people
        if people is not None
        else resolve_actors(session, {actor for _, actor, _ in awarded}, policy.nip_home_pages)
    )
    return [
        {
            "statement_pk": item.pk,
            "statement_id": item.statement_id,
            "actor_key": index_key(actor),
            "subject_key": index_key(subject_for(actor, resolved)),
            "activity_key": index_key(award.activity_id),
            "activity_id": award.activity_id,
            "rule_id": award.rule.id,
            "policy_version": policy.version,
            "jp": award.jp,
            "needs_review": award.needs_review,
            "occurred_at": parse_timestamp(str(item.statement["timestamp"])),
            "explanation": award.explanation,
            "voided": item.voided,
        }
        for item, actor, award in awarded
    ]


EVIDENCE_COLUMNS = (
    "statement_pk",
    "statement_id",
    "actor_key",
    "subject_key",
    "activity_key",
    "activity_id",
    "rule_id",
    "policy_version",
    "jp",
    "needs_review",
    "occurred_at",
    "explanation",
    "voided",
)


def insert_evidence(
    session: Session, rows: Sequence[Mapping[str, Any]], *, lock_subjects: bool = False
) -> set[GroupKey]:
    """Store evidence rows; returns the groups they touch.

    With ``lock_subjects`` the people of the rows are locked too (see :func:`rebuild_groups`),
    in the same round trip as the insert when the rows are few.
    """
    if rows:
        insert_rows(
            session,
            table_of(CreditEvidence),
            EVIDENCE_COLUMNS,
            [tuple(row[column] for column in EVIDENCE_COLUMNS) for row in rows],
            lock={row["subject_key"] for row in rows} if lock_subjects else (),
        )
    return {(row["subject_key"], row["activity_key"], row["rule_id"]) for row in rows}


def void_evidence(session: Session, statement_ids: Collection[str]) -> set[GroupKey]:
    """Voiding statements take their targets' credit back (docs/domain.md)."""
    if not statement_ids:
        return set()
    rows = session.execute(
        update(CreditEvidence)
        .where(
            CreditEvidence.statement_id.in_(list(statement_ids)), CreditEvidence.voided.is_(False)
        )
        .values(voided=True)
        .returning(CreditEvidence.subject_key, CreditEvidence.activity_key, CreditEvidence.rule_id)
    ).all()
    return {(row[0], row[1], row[2]) for row in rows}


@dataclass
class DerivedEntry:
    """An entry as the evidence says it should be (before caps and decisions)."""

    key: GroupKey
    actor_key: str
    activity_id: str
    rule: Rule
    policy_version: str
    jp_raw: Decimal
    needs_review: bool
    occurred_at: datetime
    local_date: date
    statement_ids: list[str]
    explanation: str


class EvidenceFacts(NamedTuple):
    """What :func:`derive` reads of an evidence row."""

    subject_key: str
    activity_key: str
    rule_id: str
    statement_id: str
    actor_key: str
    activity_id: str
    policy_version: str
    jp: Decimal
    needs_review: bool
    occurred_at: datetime
    explanation: str
    voided: bool
    has_entry: bool
    """Whether the group has an entry already (most credited statements start a new one)."""


def evidence_facts(session: Session, groups: Collection[GroupKey]) -> list[EvidenceFacts]:
    """The evidence of these groups as plain rows, read on the driver.

    A group gathers every statement that ever supported it (a learner who opens a page a
    hundred times has a hundred rows) and each rebuild reads them all, on the ingestion
    hot path; :func:`derive` only reads them.
    """
    if not groups:
        return []
    session.flush()  # a read below the ORM does not autoflush as the ORM's own reads do
    listed = list(groups)
    rows = driver_rows(
        session,
        EVIDENCE_OF_GROUPS,
        {
            "groups": listed,
            "subjects": [group[0] for group in listed],
            "activities": [group[1] for group in listed],
            "rules": [group[2] for group in listed],
        },
    )
    return [EvidenceFacts(*row) for row in rows]


def derive(evidence: Iterable[EvidenceFacts], policy: Policy) -> dict[GroupKey, DerivedEntry]:
    """One entry per group, from its earliest evidence that needs no review.

    The choice is a total order on the evidence (review last, then time, then statement
    id), so any arrival order of the same statements derives the same entry.
    """
    groups: dict[GroupKey, list[EvidenceFacts]] = defaultdict(list)
    for row in evidence:
        if not row.voided:
            groups[(row.subject_key, row.activity_key, row.rule_id)].append(row)
    derived: dict[GroupKey, DerivedEntry] = {}
    for key, rows in groups.items():
        try:
            rule = policy.rule(key[2])
        except KeyError:
            continue  # evidence of a rule the current policy dropped: recompute removes it
        chosen = min(rows, key=lambda row: (row.needs_review, row.occurred_at, row.statement_id))
        ids = sorted({row.statement_id for row in rows})
        explanation = chosen.explanation
        if len(ids) > 1:
            explanation += f" ({len(ids)} statements, credited once)"
        derived[key] = DerivedEntry(
            key=key,
            actor_key=chosen.actor_key,
            activity_id=chosen.activity_id,
            rule=rule,
            policy_version=chosen.policy_version,
            jp_raw=chosen.jp,
            needs_review=chosen.needs_review,
            occurred_at=chosen.occurred_at,
            local_date=chosen.occurred_at.astimezone(policy.time_zone).date(),
            statement_ids=ids,
            explanation=explanation,
        )
    return derived


def _initial_status(nip: str | None, entry: DerivedEntry) -> str:
    if nip is None:
        return "unmatched"
    if entry.rule.auto_verified and not entry.needs_review:
        return "verified"
    return "pending"


def rows_for_groups(session: Session, model: Any, groups: Collection[GroupKey]) -> list[Any]:
    """Evidence or entry rows of exactly these groups.

    A row-value IN on (subject, activity, rule) matches the composite index exactly; two
    separate IN lists would fetch their cross product, and PostgreSQL without fresh
    statistics plans those as a table scan.
    """
    if not groups:
        return []
    columns = tuple_(model.subject_key, model.activity_key, model.rule_id)
    return list(session.scalars(select(model).where(columns.in_(list(groups)))))


def rebuild_groups(
    session: Session,
    groups: Collection[GroupKey],
    policy: Policy,
    *,
    locked: bool = False,
    settle_all: bool = False,
) -> None:
    """Bring the entries of ``groups`` in line with their evidence, then settle caps.

    Two transactions crediting the same person at once would each settle that person's
    daily cap from their own view and could exceed it together, so a transaction first
    locks the people it touches (until it commits) and reads their evidence after that.
    ``locked``: the caller has locked every one of them already, in one call. The days of
    new entries and of entries that changed in what caps depend on are settled again;
    ``settle_all`` settles the days of every entry of ``groups`` (the policy's caps may have
    changed).
    """
    if not locked:
        lock_keys(session, {group[0] for group in groups})
    ordered = sorted(groups)
    days: set[tuple[str, date]] = set()
    created: list[NewEntry] = []
    for start in range(0, len(ordered), GROUP_CHUNK):
        chunk = ordered[start : start + GROUP_CHUNK]
        days |= _rebuild_chunk(session, chunk, policy, created, settle_all=settle_all)
    settle_days(session, days, policy, created)
    # New entries are most of what ingestion writes: settled above, then streamed in
    # rather than flushed as one ORM object each.
    insert_rows(session, table_of(CreditEntry), ENTRY_COLUMNS, [e.row() for e in created])


@dataclass(eq=False)
class NewEntry(EntryValues):
    """An entry this rebuild creates, settled in memory before it is inserted."""

    created_at: datetime
    jp_corrected: Decimal | None = None

    def row(self) -> tuple[Any, ...]:
        """Values in ENTRY_COLUMNS order."""
        return tuple(getattr(self, column) for column in ENTRY_COLUMNS)


ENTRY_COLUMNS = (*(item.name for item in fields(EntryValues)), "created_at")
"""What a new entry is inserted with (the rest are the auditors', and start empty)."""


def _rebuild_chunk(
    session: Session,
    groups: list[GroupKey],
    policy: Policy,
    created: list[NewEntry],
    *,
    settle_all: bool,
) -> set[tuple[str, date]]:
    """Update existing entries of ``groups``; append the ones to create to ``created``.

    Returns the person-days to settle.
    """
    now = utcnow()
    facts = evidence_facts(session, groups)
    derived = derive(facts, policy)
    # Load entries only where one may exist: a group whose evidence says it has one, or a
    # group with no evidence left at all (its entry, if any, is to be revoked).
    with_evidence = {(fact.subject_key, fact.activity_key, fact.rule_id) for fact in facts}
    with_entry = {
        (fact.subject_key, fact.activity_key, fact.rule_id) for fact in facts if fact.has_entry
    }
    lookup = [group for group in groups if group in with_entry or group not in with_evidence]
    stored = entries_of_groups(session, lookup)
    existing = {(entry.subject_key, entry.activity_key, entry.rule_id): entry for entry in stored}
    days: set[tuple[str, date]] = set()
    for key in groups:
        entry = existing.get(key)
        wanted = derived.get(key)
        nip = nip_of(key[0])
        if entry is None:
            if wanted is None:
                continue
            if nip:
                days.add((nip, wanted.local_date))
            created.append(
                NewEntry(
                    subject_key=key[0],
                    nip=nip,
                    actor_key=wanted.actor_key,
                    activity_key=key[1],
                    activity_id=wanted.activity_id,
                    rule_id=key[2],
                    policy_version=wanted.policy_version,
                    form=wanted.rule.form,
                    path=wanted.rule.path,
                    jp_raw=wanted.jp_raw,
                    jp=Decimal(0),
                    occurred_at=wanted.occurred_at,
                    local_date=wanted.local_date,
                    year=wanted.local_date.year,
                    status=_initial_status(nip, wanted),
                    statement_ids=wanted.statement_ids,
                    explanation=wanted.explanation,
                    created_at=now,
                    updated_at=now,
                )
            )
            continue
        left_day = (entry.nip, entry.local_date)
        if wanted is None:
            if entry.status != "revoked":
                entry.status = "revoked"
                entry.jp = Decimal(0)
                entry.explanation = "revoked: no valid statement supports it any more"
                entry.updated_at = now
        else:
            _follow(entry, wanted, nip, now)
        if settle_all or entry.changed & SETTLED_BY:
            for day_nip, day in (left_day, (entry.nip, entry.local_date)):
                if day_nip:
                    days.add((day_nip, day))
    write_changes(session, stored)
    return days


SETTLED_BY = frozenset(
    (
        "nip",
        "local_date",
        "status",
        "jp_raw",
        "jp_corrected",
        "occurred_at",
        "activity_id",
        "policy_version",
    )
)
"""What the caps of a person-day are computed from, and the policy version they were computed
under. An entry that only gained a statement (a learner repeating an activity) changes none
of it, and its day, settled when the entry last changed, is not read again."""


def _follow(entry: StoredEntry, wanted: DerivedEntry, nip: str | None, now: datetime) -> None:
    """Bring a stored entry in line with what its evidence derives; an auditor's decision
    on it stands while the entry still belongs to a person.

    An entry sent back for revision waits for the learner: once a statement it did not
    have arrives, it is back in the queue as pending (the decision's fields stay, to show
    what was asked).
    """
    decided = entry.decided_by is not None and entry.status in DECIDED
    if entry.status == "needs_revision" and set(wanted.statement_ids) - set(entry.statement_ids):
        decided = False
    entry.nip = nip
    entry.actor_key = wanted.actor_key
    entry.activity_id = wanted.activity_id
    entry.policy_version = wanted.policy_version
    entry.form = wanted.rule.form
    entry.path = wanted.rule.path
    entry.jp_raw = wanted.jp_raw
    entry.occurred_at = wanted.occurred_at
    entry.local_date = wanted.local_date
    entry.year = wanted.local_date.year
    entry.statement_ids = wanted.statement_ids
    # The day's caps are settled again only when they can change; until then the note
    # they left stands.
    note = entry.explanation.find(CAP_NOTE)
    entry.explanation = wanted.explanation + (entry.explanation[note:] if note >= 0 else "")
    if not (decided and nip is not None):
        entry.status = _initial_status(nip, wanted)
    entry.updated_at = now


def settle_days(
    session: Session,
    days: Collection[tuple[str, date]],
    policy: Policy,
    created: Iterable[NewEntry] = (),
) -> None:
    """Apply the per-rule and per-person daily caps to every entry of these person-days.

    Entries of a day are capped in the order they happened (then by activity and rule), so
    the result does not depend on the order statements arrived in. ``created`` are entries
    about to be inserted: they are settled together with the stored ones.
    """
    if not days:
        return
    stored = entries_of_days(session, days)
    entries: list[StoredEntry | NewEntry] = [*stored, *(entry for entry in created if entry.nip)]
    by_day: dict[tuple[str, date], list[StoredEntry | NewEntry]] = defaultdict(list)
    for entry in entries:
        if entry.nip:
            by_day[(entry.nip, entry.local_date)].append(entry)
    for day_entries in by_day.values():
        _settle_day(day_entries, policy)
    write_changes(session, stored)


def _settle_day(entries: list[StoredEntry | NewEntry], policy: Policy) -> None:
    """Cap each entry of one person-day, and say in its explanation which caps cut it."""
    day_left = policy.daily_cap_jp
    rule_left: dict[str, Decimal] = {}
    for entry in sorted(entries, key=lambda e: (e.occurred_at, e.activity_id, e.rule_id)):
        if entry.status not in COUNTING:
            if entry.jp != 0:
                entry.jp = Decimal(0)
            _note_caps(entry, "")
            continue
        earned = entry.jp_corrected if entry.jp_corrected is not None else entry.jp_raw
        allowed = min(earned, day_left)
        try:
            rule_cap = policy.rule(entry.rule_id).jp.daily_cap_jp
        except KeyError:
            rule_cap = None
        rule_remaining = None
        if rule_cap is not None:
            rule_remaining = rule_left.setdefault(entry.rule_id, rule_cap)
            allowed = min(allowed, rule_remaining)
            rule_left[entry.rule_id] -= allowed
        cuts = []
        if rule_cap is not None and rule_remaining is not None and rule_remaining < earned:
            cuts.append(
                (
                    f"batas harian aturan {entry.rule_id}",
                    f"daily cap of rule {entry.rule_id}",
                    rule_cap,
                )
            )
        if day_left < earned:
            cuts.append(("batas harian", "daily cap", policy.daily_cap_jp))
        day_left -= allowed
        if entry.jp != allowed:
            entry.jp = allowed
        _note_caps(entry, cap_note(cuts, allowed) if cuts else "")


CAP_NOTE = "; batas harian"
"""Where the settlement's note begins in an explanation; what comes before is the evidence's."""


def cap_note(cuts: Sequence[tuple[str, str, Decimal]], counted: Decimal) -> str:
    """``; batas harian 9 JP: 4 JP dihitung (daily cap 9 JP: 4 JP counted)`` for the caps
    (Indonesian name, English name, size) that cut an entry to ``counted``."""
    used = counted == 0
    indonesian = " dan ".join(f"{name} {format_jp(cap)} JP" for name, _, cap in cuts)
    english = " and ".join(f"{name} {format_jp(cap)} JP" for _, name, cap in cuts)
    return (
        f"; {indonesian}{' sudah terpakai' if used else ''}: {format_jp(counted)} JP dihitung "
        f"({english}{' already used up' if used else ''}: {format_jp(counted)} JP counted)"
    )


def _note_caps(entry: StoredEntry | NewEntry, note: str) -> None:
    """Replace the cap note of ``entry`` (assigning only a different text: no write else)."""
    explained = entry.explanation.split(CAP_NOTE, 1)[0] + note
    if entry.explanation != explained:
        entry.explanation = explained


def credit_statements(
    session: Session,
    statements: Sequence[CreditableStatement],
    voided_ids: Collection[str],
    policy: Policy,
    nominal_jp: NominalJp,
    *,
    people: Mapping[str, str],
) -> None:
    """The ingestion step: evidence for new statements, revocation for voided ones.

    Without voiding, the people to lock are exactly those of the new evidence, locked by
    its insert (one round trip less per credited statement); voiding adds people only known
    after its update, and then all are locked together afterwards. ``people``: the
    statements' creditable actors resolved to NIPs (see :func:`evidence_rows`).
    """
    lock_with_insert = not voided_ids
    groups = insert_evidence(
        session,
        evidence_rows(session, statements, policy, nominal_jp, people=people),
        lock_subjects=lock_with_insert,
    )
    groups |= void_evidence(session, voided_ids)
    if groups:
        rebuild_groups(session, groups, policy, locked=lock_with_insert)


def move_actors_credit(session: Session, actor_keys: Collection[str], policy: Policy) -> int:
    """Re-resolve the evidence of these actors (a mapping arrived) and move their credit to
    whom they now resolve to, in the caller's transaction; returns the groups touched."""
    if not actor_keys:
        return 0
    keyed = {index_key(actor): actor for actor in actor_keys}
    resolved = resolve_actors(session, set(actor_keys), policy.nip_home_pages)
    rows = session.scalars(
        select(CreditEvidence).where(CreditEvidence.actor_key.in_(list(keyed)))
    ).all()
    groups: set[GroupKey] = set()
    moves: dict[GroupKey, GroupKey] = {}
    for row in rows:
        subject = index_key(subject_for(keyed[row.actor_key], resolved))
        if subject != row.subject_key:
            old = (row.subject_key, row.activity_key, row.rule_id)
            row.subject_key = subject
            moves[old] = (row.subject_key, row.activity_key, row.rule_id)
    _move_entries(session, moves)
    session.flush()
    groups = set(moves) | set(moves.values())
    rebuild_groups(session, groups, policy)
    return len(groups)


def _move_entries(session: Session, moves: Mapping[GroupKey, GroupKey]) -> None:
    """A parked entry becomes the person's entry (same id, same history) where it can."""
    if not moves:
        return
    taken = {
        (entry.subject_key, entry.activity_key, entry.rule_id)
        for entry in rows_for_groups(session, CreditEntry, set(moves.values()))
    }
    for entry in rows_for_groups(session, CreditEntry, set(moves)):
        target = moves[(entry.subject_key, entry.activity_key, entry.rule_id)]
        if target not in taken:
            entry.subject_key = target[0]
            entry.nip = nip_of(target[0])
            taken.add(target)


ProgressCallback = Callable[[int], None]
