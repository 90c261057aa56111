"""The auditors' verification queue and an entry's page: open entries with their evidence.

An auditor works through the ``pending`` and ``needs_revision`` (*perlu revisi*) entries of
the agencies they see, filtered by agency, unit kerja, form, rule, LMS client and the day of
the activity (in the policy's time zone). A province has tens of thousands of open entries,
so pages are keyset pages over ``(sort value, id)``: the next page starts after the last row
of this one, and costs the same however deep it is (an OFFSET reads and throws away every
row before it). Entries decided meanwhile simply drop out.

Scoping is part of every read: an entry of an agency the reader does not see is not found,
whatever its id, so pages can answer 404 without learning that it exists.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import history
from lms_bridge.credit.evidence import (
    AttachmentFile,
    EvidenceStatement,
    attachment_file,
    evidence_statements,
    stored_statements,
)
from lms_bridge.credit.ledger import OPEN
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.reports import EntryLine, entry_line
from lms_bridge.models import Client, CreditEntry, CreditEvidence, Person, Statement

EntryRows = Select[CreditEntry, str, str, str]
"""Entries with their person's name, agency and unit."""
EntryRow = tuple[CreditEntry, str | None, str | None, str | None]
SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])
DECISION_SUBJECT = "credit_entry"
"""The audit trail's subject type of an entry (lms_bridge.credit.decisions writes it)."""
PAGE_SIZE = 25
"""Entries per page: each carries its evidence, so a page is long and costly at 50."""
MAX_PAGE_SIZE = 200
SORTS = {
    "oldest": (CreditEntry.occurred_at, False),
    "newest": (CreditEntry.occurred_at, True),
    "jp_high": (CreditEntry.jp_raw, True),
    "jp_low": (CreditEntry.jp_raw, False),
}
"""Sort name → (column, descending). Ties are broken by id in the same direction."""


class QueueError(ValueError):
    """A queue request cannot be answered; ``message`` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QueueFilter:
    """What the auditor narrows the queue to; ``None`` means any."""

    agency: str | None = None
    unit: str | None = None
    form: str | None = None
    rule_id: str | None = None
    client_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    """Inclusive bounds on the day of the activity in the policy's time zone."""
    statuses: tuple[str, ...] = OPEN


@dataclass(frozen=True)
class QueueItem:
    """One entry of the queue with whose it is and everything that supports it."""

    entry: EntryLine
    name: str | None
    agency: str | None
    unit: str | None
    rule_title: str
    occurred_at: datetime
    """When the activity happened, in the policy's time zone."""
    evidence: tuple[EvidenceStatement, ...]


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue; ``next_after`` continues it (``None`` at the end)."""

    items: tuple[QueueItem, ...]
    next_after: str | None
    sort: str


@dataclass(frozen=True)
class QueueChoices:
    """What the filters offer: the reader's agencies, their units, forms, rules, LMSs."""

    agencies: tuple[str, ...]
    units: tuple[str, ...]
    forms: tuple[str, ...]
    rules: tuple[tuple[str, str], ...]
    """(rule id, title)."""
    clients: tuple[tuple[int, str], ...]
    """(client id, name)."""


@dataclass(frozen=True)
class HistoryLine:
    """One audit record about an entry: who did what, when, what changed and why."""

    recorded_at: datetime
    actor: str
    action: str
    status_before: str | None
    status_after: str | None
    jp_before: str | None
    jp_after: str | None
    reason: str | None


@dataclass(frozen=True)
class EntryPage:
    """An entry's own page: the entry, whose it is, its evidence and its audit history."""

    item: QueueItem
    history: tuple[HistoryLine, ...]


def _scoped(query: SelectT, agencies: Collection[str] | None) -> SelectT:
    """Only entries of people in ``agencies`` (``None``: every agency)."""
    if agencies is None:
        return query
    return query.where(Person.agency.in_(list(agencies)))


def _filtered(query: EntryRows, filters: QueueFilter) -> EntryRows:
    conditions: list[ColumnElement[bool]] = [CreditEntry.status.in_(list(filters.statuses))]
    if filters.agency is not None:
        conditions.append(Person.agency == filters.agency)
    if filters.unit is not None:
        conditions.append(Person.unit == filters.unit)
    if filters.form is not None:
        conditions.append(CreditEntry.form == filters.form)
    if filters.rule_id is not None:
        conditions.append(CreditEntry.rule_id == filters.rule_id)
    if filters.date_from is not None:
        conditions.append(CreditEntry.local_date >= filters.date_from)
    if filters.date_to is not None:
        conditions.append(CreditEntry.local_date <= filters.date_to)
    if filters.client_id is not None:
        # The LMS is the client that stored an evidence statement of the entry's group.
        conditions.append(
            exists()
            .where(
                CreditEvidence.subject_key == CreditEntry.subject_key,
                CreditEvidence.activity_key == CreditEntry.activity_key,
                CreditEvidence.rule_id == CreditEntry.rule_id,
                CreditEvidence.voided.is_(False),
                Statement.pk == CreditEvidence.statement_pk,
                Statement.client_id == filters.client_id,
            )
            .correlate(CreditEntry)
        )
    return query.where(and_(*conditions))


def _cursor(entry: CreditEntry, sort: str) -> str:
    column, _ = SORTS[sort]
    value = getattr(entry, column.key)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"{text}~{entry.id}"


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a cursor's time carries its zone")
    return moment


def _after(sort: str, cursor: str) -> Any:
    """The keyset condition of "rows after this cursor" in the sort's direction."""
    column, descending = SORTS[sort]
    text, _, entry_id = cursor.rpartition("~")
    try:
        last_id = int(entry_id)
        value: Any = (
            _aware(datetime.fromisoformat(text))
            if column is CreditEntry.occurred_at
            else Decimal(text)
        )
    except (ValueError, InvalidOperation, TypeError) as error:
        raise QueueError(
            "penanda halaman tidak valid; mulai dari halaman pertama "
            "(the page marker is invalid; start from the first page)"
        ) from error
    if descending:
        return or_(column < value, and_(column == value, CreditEntry.id < last_id))
    return or_(column > value, and_(column == value, CreditEntry.id > last_id))


def _items(
    session: Session,
    rows: list[EntryRow],
    policy: Policy,
    language: str,
) -> list[QueueItem]:
    wanted = {statement_id for entry, *_ in rows for statement_id in entry.statement_ids}
    evidence = evidence_statements(session, wanted, language=language, time_zone=policy.time_zone)
    items = []
    for entry, name, agency, unit in rows:
        try:
            title = policy.rule(entry.rule_id).title
        except KeyError:
            title = entry.rule_id
        items.append(
            QueueItem(
                entry=entry_line(entry),
                name=name,
                agency=agency,
                unit=unit,
                rule_title=title,
                occurred_at=entry.occurred_at.astimezone(policy.time_zone),
                evidence=tuple(
                    evidence[statement_id]
                    for statement_id in entry.statement_ids
                    if statement_id in evidence
                ),
            )
        )
    return items


def queue_page(
    session: Session,
    policy: Policy,
    *,
    agencies: Collection[str] | None,
    filters: QueueFilter,
    sort: str = "oldest",
    after: str | None = None,
    limit: int = PAGE_SIZE,
    language: str = "id",
) -> QueuePage:
    """A page of open entries the reader may see, with their evidence.

    ``agencies``: the agencies the reader sees (``None``: all). ``after``: the previous
    page's ``next_after``. Raises :class:`QueueError` for an unknown sort or a bad cursor.
    """
    if sort not in SORTS:
        raise QueueError(f"urutan {sort!r} tidak dikenal (unknown sort order)")
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    column, descending = SORTS[sort]
    query = (
        select(CreditEntry, Person.name, Person.agency, Person.unit)
        .join(Person, Person.nip == CreditEntry.nip)
        .order_by(
            column.desc() if descending else column,
            CreditEntry.id.desc() if descending else CreditEntry.id,
        )
        .limit(limit + 1)
    )
    query = _filtered(_scoped(query, agencies), filters)
    if after:
        query = query.where(_after(sort, after))
    rows: list[EntryRow] = [(e, n, a, u) for e, n, a, u in session.execute(query).all()]
    page = rows[:limit]
    next_after = _cursor(page[-1][0], sort) if len(rows) > limit else None
    return QueuePage(
        items=tuple(_items(session, page, policy, language)),
        next_after=next_after,
        sort=sort,
    )


def queue_choices(
    session: Session, policy: Policy, *, agencies: Collection[str] | None
) -> QueueChoices:
    """The values the queue's filters offer to this reader."""
    people = select(Person.agency, Person.unit).distinct()
    if agencies is not None:
        people = people.where(Person.agency.in_(list(agencies)))
    pairs = session.execute(people).all()
    clients = session.execute(
        select(Client.id, Client.name).where(Client.revoked_at.is_(None)).order_by(Client.name)
    ).all()
    return QueueChoices(
        agencies=tuple(sorted({agency for agency, _ in pairs})),
        units=tuple(sorted({unit for _, unit in pairs})),
        forms=tuple(sorted({rule.form for rule in policy.rules})),
        rules=tuple((rule.id, rule.title) for rule in policy.rules),
        clients=tuple((int(client_id), str(name)) for client_id, name in clients),
    )


def entry_page(
    session: Session,
    policy: Policy,
    entry_id: int,
    *,
    agencies: Collection[str] | None,
    language: str = "id",
) -> EntryPage | None:
    """An entry of any status with its evidence, or ``None`` if the reader may not see it.

    Unmatched entries (nobody's yet) and entries of people outside the directory are seen
    only by readers of every agency (``agencies is None``).
    """
    query = (
        select(CreditEntry, Person.name, Person.agency, Person.unit)
        .outerjoin(Person, Person.nip == CreditEntry.nip)
        .where(CreditEntry.id == entry_id)
    )
    found = session.execute(_scoped(query, agencies)).first()
    if found is None:
        return None
    row: EntryRow = (found[0], found[1], found[2], found[3])
    [item] = _items(session, [row], policy, language)
    return EntryPage(item=item, history=tuple(_history_lines(session, entry_id)))


def _history_lines(session: Session, entry_id: int) -> list[HistoryLine]:
    lines = []
    for event in history(session, DECISION_SUBJECT, str(entry_id)):
        before, after = event.before or {}, event.after or {}
        lines.append(
            HistoryLine(
                recorded_at=event.recorded_at,
                actor=event.actor,
                action=event.action,
                status_before=_text(before.get("status")),
                status_after=_text(after.get("status")),
                jp_before=_text(before.get("jp")),
                jp_after=_text(after.get("jp")),
                reason=event.reason,
            )
        )
    return lines


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def evidence_attachment(
    session: Session, entry_id: int, sha2: str, *, agencies: Collection[str] | None
) -> AttachmentFile | None:
    """An attachment of one of the entry's evidence statements, if the reader sees the entry."""
    query = (
        select(CreditEntry.statement_ids)
        .outerjoin(Person, Person.nip == CreditEntry.nip)
        .where(CreditEntry.id == entry_id)
    )
    statement_ids = session.scalar(_scoped(query, agencies))
    if statement_ids is None:
        return None
    return attachment_file(session, statement_ids, sha2)


@dataclass(frozen=True)
class EntryEvidence:
    """An entry with its evidence statements as stored, for machines (the JSON API)."""

    entry: EntryLine
    statements: list[dict[str, Any]]


def entry_evidence(
    session: Session, entry_id: int, *, agencies: Collection[str] | None = None
) -> EntryEvidence | None:
    """The entry and the statements it points to, or ``None`` if the reader may not see it.

    Auditors decide on evidence: whoever may decide an entry may read its statements,
    whether or not their client may read the LRS itself.
    """
    query = (
        select(CreditEntry)
        .outerjoin(Person, Person.nip == CreditEntry.nip)
        .where(CreditEntry.id == entry_id)
    )
    entry = session.scalar(_scoped(query, agencies))
    if entry is None:
        return None
    return EntryEvidence(entry_line(entry), stored_statements(session, entry.statement_ids))
