"""What auditors and dashboards read from the ledger: a person's year, an agency's year, the queue.

docs/domain.md ("What auditors need"): per person, per agency and per year, total JP, JP by path
and by form, the share of staff reaching the yearly target, and the pending items to verify
with their evidence. Only ``pending`` and ``verified`` entries count (``jp`` is already 0 for
the others, but the status filter keeps a rejected entry from counting even while its row is
being settled).

A year is the year of the activity in the policy's time zone (``CreditEntry.year``), so a
report agrees with the entries it sums. An agency is the agency a person has in the directory
*now*: moving someone moves their credit with them, which is what an agency's auditor expects
when they look at their current staff.

Agency totals are aggregated by the database (``GROUP BY``) in a fixed number of queries,
whatever the size of the agency: a province has tens of thousands of ASN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.credit.ledger import COUNTING
from lms_bridge.credit.policy import Policy
from lms_bridge.db import utcnow
from lms_bridge.models import CreditEntry, Person
from lms_bridge.people.nip import normalise_nip

PATHS = ("klasikal", "nonklasikal")
CENT = Decimal("0.01")
PROGRESS_STEP = Decimal("0.0001")
MAX_PAGE = 1000


class ReportError(LookupError):
    """A report cannot be made; ``message`` is safe to show (Bahasa Indonesia first)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PersonUnknown(ReportError):
    """No person with this NIP in the directory, and no credit for it either."""


class AgencyUnknown(ReportError):
    """No person of the directory works in this agency: a misspelling, not an empty year."""

    def __init__(self, agency: str) -> None:
        super().__init__(
            f"instansi {agency!r} tidak ada di direktori (no such agency in the directory)"
        )
        self.agency = agency


@dataclass(frozen=True)
class EntryLine:
    """One credit entry as a report shows it, decisions included."""

    id: int
    nip: str | None
    activity_id: str
    rule_id: str
    policy_version: str
    form: str
    path: str
    jp: Decimal
    """JP that count (after caps and corrections); 0 unless pending or verified."""
    jp_raw: Decimal
    """JP the rule gave, before caps and corrections."""
    jp_corrected: Decimal | None
    status: str
    date: date
    """The day of the activity in the policy's time zone."""
    statement_ids: tuple[str, ...]
    """The evidence: the statements that support this entry."""
    explanation: str
    decided_by: str | None
    decision_reason: str | None
    decided_at: datetime | None


@dataclass(frozen=True)
class PersonCredit:
    """A person's JP for one year, against the yearly target."""

    nip: str
    name: str | None
    agency: str | None
    unit: str | None
    employment: str | None
    year: int
    target_jp: Decimal
    total_jp: Decimal
    verified_jp: Decimal
    pending_jp: Decimal
    progress: Decimal
    """total / target, at most 1."""
    reached_target: bool
    by_path: dict[str, Decimal]
    by_form: dict[str, Decimal]
    entries: tuple[EntryLine, ...]
    pppk_ceiling_jp: Decimal | None
    pppk_ceiling_exceeded: bool
    """PPPK staff over the policy's ceiling (PP 49/2018 art. 40): a flag for review."""


@dataclass(frozen=True)
class AgencySummary:
    """An agency's year: how many of its staff reached the target, and where JP came from."""

    agency: str
    year: int
    target_jp: Decimal
    staff: int
    reached_target: int
    reached_target_share: Decimal
    total_jp: Decimal
    jp_by_form: dict[str, Decimal]
    jp_by_path: dict[str, Decimal]
    pending_entries: int


@dataclass(frozen=True)
class PendingEntry(EntryLine):
    """An entry waiting for an auditor, with whose it is (its evidence is ``statement_ids``)."""

    name: str | None
    agency: str | None
    unit: str | None


@dataclass(frozen=True)
class PendingPage:
    """A page of the auditors' queue; ``next_after`` continues it (``None`` at the end)."""

    entries: tuple[PendingEntry, ...]
    next_after: int | None


def current_year(policy: Policy) -> int:
    """This year in the policy's time zone: the year credit is being earned in now."""
    return utcnow().astimezone(policy.time_zone).year


def entry_line(entry: CreditEntry) -> EntryLine:
    """The report's view of a ledger row."""
    return EntryLine(
        id=entry.id,
        nip=entry.nip,
        activity_id=entry.activity_id,
        rule_id=entry.rule_id,
        policy_version=entry.policy_version,
        form=entry.form,
        path=entry.path,
        jp=entry.jp,
        jp_raw=entry.jp_raw,
        jp_corrected=entry.jp_corrected,
        status=entry.status,
        date=entry.local_date,
        statement_ids=tuple(entry.statement_ids),
        explanation=entry.explanation,
        decided_by=entry.decided_by,
        decision_reason=entry.decision_reason,
        decided_at=entry.decided_at,
    )


def _values(line: EntryLine) -> dict[str, Any]:
    return {field.name: getattr(line, field.name) for field in fields(line)}


def _jp(value: Any) -> Decimal:
    """A JP sum as the ledger keeps it (two places); SQL gives NULL for an empty sum."""
    return Decimal(value if value is not None else 0).quantize(CENT)


def _share(part: Decimal, whole: Decimal) -> Decimal:
    if whole <= 0:
        return Decimal(0)
    return min(part / whole, Decimal(1)).quantize(PROGRESS_STEP)


def person_credit(
    session: Session, policy: Policy, nip: str, year: int | None = None
) -> PersonCredit:
    """A person's credit for ``year`` (default: this year; see :func:`credit_of_person`)."""
    return credit_of_person(
        session, policy, nip, year if year is not None else current_year(policy)
    )


def credit_of_person(session: Session, policy: Policy, nip: str, year: int) -> PersonCredit:
    """A person's credit for ``year``.

    Someone credited through a NIP account may not be in the directory yet: their credit is
    reported with name and agency unknown rather than hidden. Raises :class:`PersonUnknown`
    when the NIP is neither in the directory nor credited ever.
    """
    nip = normalise_nip(nip)
    person = session.get(Person, nip)
    rows: Sequence[CreditEntry] = session.scalars(
        select(CreditEntry)
        .where(CreditEntry.nip == nip, CreditEntry.year == year)
        .order_by(CreditEntry.local_date, CreditEntry.occurred_at, CreditEntry.id)
    ).all()
    if person is None and not rows:
        credited = session.scalar(select(CreditEntry.id).where(CreditEntry.nip == nip).limit(1))
        if credited is None:
            raise PersonUnknown(
                f"NIP {nip} tidak ada di direktori dan belum punya kredit "
                "(no such NIP in the directory, and no credit for it)"
            )
    verified = pending = Decimal(0)
    by_path = dict.fromkeys(PATHS, Decimal(0))
    by_form: dict[str, Decimal] = {}
    for entry in rows:
        if entry.status not in COUNTING:
            continue
        if entry.status == "verified":
            verified += entry.jp
        else:
            pending += entry.jp
        by_path[entry.path] = by_path.get(entry.path, Decimal(0)) + entry.jp
        by_form[entry.form] = by_form.get(entry.form, Decimal(0)) + entry.jp
    total = verified + pending
    ceiling = policy.pppk_ceiling_jp
    is_pppk = person is not None and person.employment == "PPPK"
    return PersonCredit(
        nip=nip,
        name=person.name if person else None,
        agency=person.agency if person else None,
        unit=person.unit if person else None,
        employment=person.employment if person else None,
        year=year,
        target_jp=policy.yearly_target_jp,
        total_jp=_jp(total),
        verified_jp=_jp(verified),
        pending_jp=_jp(pending),
        progress=_share(total, policy.yearly_target_jp),
        reached_target=total >= policy.yearly_target_jp,
        by_path={path: _jp(jp) for path, jp in by_path.items()},
        by_form={form: _jp(jp) for form, jp in sorted(by_form.items())},
        entries=tuple(entry_line(entry) for entry in rows),
        pppk_ceiling_jp=ceiling if is_pppk else None,
        pppk_ceiling_exceeded=bool(is_pppk and ceiling is not None and total > ceiling),
    )


def agency_summary(
    session: Session, policy: Policy, agency: str, year: int | None = None
) -> AgencySummary:
    """An agency's year (default: this year; see :func:`summarise_agency`)."""
    return summarise_agency(
        session, policy, agency, year if year is not None else current_year(policy)
    )


def summarise_agency(session: Session, policy: Policy, agency: str, year: int) -> AgencySummary:
    """An agency's year in two queries, however many staff it has.

    The first counts the staff and those whose counted JP reach the target (a grouped
    subquery with ``HAVING``); the second sums JP and counts pending entries per (form,
    path, status), which is a handful of rows that Python folds into the totals. An agency
    nobody in the directory works in raises :class:`AgencyUnknown`: answering zeros would
    make a misspelt name look like an agency where nobody trained.
    """
    target = policy.yearly_target_jp
    in_agency = (
        select(CreditEntry.nip)
        .join(Person, Person.nip == CreditEntry.nip)
        .where(
            Person.agency == agency,
            CreditEntry.year == year,
            CreditEntry.status.in_(COUNTING),
        )
    )
    reaching = in_agency.group_by(CreditEntry.nip).having(func.sum(CreditEntry.jp) >= target)
    staff_count = select(func.count()).select_from(Person).where(Person.agency == agency)
    reached_count = select(func.count()).select_from(reaching.subquery())
    staff, reached = session.execute(
        select(staff_count.scalar_subquery(), reached_count.scalar_subquery())
    ).one()
    if not staff:
        raise AgencyUnknown(agency)

    grouped = session.execute(
        select(
            CreditEntry.form,
            CreditEntry.path,
            CreditEntry.status,
            func.sum(CreditEntry.jp),
            func.count(),
        )
        .join(Person, Person.nip == CreditEntry.nip)
        .where(
            Person.agency == agency,
            CreditEntry.year == year,
            CreditEntry.status.in_(COUNTING),
        )
        .group_by(CreditEntry.form, CreditEntry.path, CreditEntry.status)
    ).all()
    total = Decimal(0)
    by_form: dict[str, Decimal] = {}
    by_path = dict.fromkeys(PATHS, Decimal(0))
    pending_entries = 0
    for form, path, status, jp_sum, count in grouped:
        jp = _jp(jp_sum)
        total += jp
        by_form[form] = by_form.get(form, Decimal(0)) + jp
        by_path[path] = by_path.get(path, Decimal(0)) + jp
        if status == "pending":
            pending_entries += int(count)
    staff = int(staff or 0)
    reached = int(reached or 0)
    return AgencySummary(
        agency=agency,
        year=year,
        target_jp=target,
        staff=staff,
        reached_target=reached,
        reached_target_share=_share(Decimal(reached), Decimal(staff)),
        total_jp=_jp(total),
        jp_by_form=dict(sorted(by_form.items())),
        jp_by_path=by_path,
        pending_entries=pending_entries,
    )


def pending_entries(
    session: Session,
    *,
    agency: str | None = None,
    year: int | None = None,
    after: int | None = None,
    limit: int = 100,
) -> PendingPage:
    """The auditors' queue: pending entries of known people, oldest entry first.

    Paged by entry id (``after`` = the last id of the previous page): a keyset page stays
    fast however deep the queue, and entries decided meanwhile simply drop out of it.
    """
    limit = max(1, min(limit, MAX_PAGE))
    query = (
        select(CreditEntry, Person.name, Person.agency, Person.unit)
        .outerjoin(Person, Person.nip == CreditEntry.nip)
        .where(CreditEntry.status == "pending", CreditEntry.nip.is_not(None))
        .order_by(CreditEntry.id)
        .limit(limit + 1)
    )
    if agency is not None:
        query = query.where(Person.agency == agency)
    if year is not None:
        query = query.where(CreditEntry.year == year)
    if after is not None:
        query = query.where(CreditEntry.id > after)
    rows = session.execute(query).all()
    page = [
        PendingEntry(**_values(entry_line(entry)), name=name, agency=agency_, unit=unit)
        for entry, name, agency_, unit in rows[:limit]
    ]
    next_after = page[-1].id if len(rows) > limit else None
    return PendingPage(entries=tuple(page), next_after=next_after)
