"""The agency's year as its page shows it: the summary, the spread of JP, units, who is short.

Built on :func:`lms_bridge.credit.reports.summarise_agency` (the figures /api/v1 answers with)
plus one grouped query that gives every person of the agency their counted JP for the year.
A province has ~10,000 ASN: one row per person is cheap to fold in Python, while per-person
queries would not be; the page shows the distribution (a histogram reads at that size where
one bar per person does not) and the share reaching the target per unit kerja.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from lms_bridge.credit.ledger import COUNTING
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.reports import AgencySummary, summarise_agency
from lms_bridge.db import unit_of_work
from lms_bridge.models import CreditEntry, CreditRecomputation, Person

BINS_PER_TARGET = 4
"""The histogram's bins are a quarter of the target wide (5 JP for 20)."""
TOP_BIN_TARGETS = 2
"""Everything at or above twice the target shares the last bin."""


@dataclass(frozen=True)
class PersonYear:
    """One person of the agency and their counted JP for the year."""

    nip: str
    name: str
    unit: str
    employment: str
    total_jp: Decimal


@dataclass(frozen=True)
class JpBin:
    """People whose JP fall in ``[low, high)`` (``high`` None: at or above ``low``)."""

    low: Decimal
    high: Decimal | None
    people: int
    reaches_target: bool


@dataclass(frozen=True)
class UnitYear:
    """A unit kerja's share of staff reaching the target."""

    unit: str
    staff: int
    reached_target: int
    share: Decimal
    below_target: tuple[PersonYear, ...]


@dataclass(frozen=True)
class AgencyYear:
    """Everything the agency page shows, for one agency and year."""

    summary: AgencySummary
    distribution: tuple[JpBin, ...]
    units: tuple[UnitYear, ...]
    pppk_over_ceiling: tuple[PersonYear, ...]
    pppk_ceiling_jp: Decimal | None
    people: tuple[PersonYear, ...]
    """Everyone of the agency, by unit and name (the downloads' full list)."""

    @property
    def below_target(self) -> int:
        """How many people have not reached the target yet."""
        return self.summary.staff - self.summary.reached_target


def people_of_agency_year(session: Session, *, agency: str, year: int) -> Sequence[PersonYear]:
    """Every person of the agency with their counted JP for ``year`` (0 when none), by unit."""
    counted = and_(
        CreditEntry.nip == Person.nip,
        CreditEntry.year == year,
        CreditEntry.status.in_(COUNTING),
    )
    rows = session.execute(
        select(
            Person.nip,
            Person.name,
            Person.unit,
            Person.employment,
            func.coalesce(func.sum(CreditEntry.jp), 0),
        )
        .outerjoin(CreditEntry, counted)
        .where(Person.agency == agency)
        .group_by(Person.nip, Person.name, Person.unit, Person.employment)
        .order_by(Person.unit, Person.name, Person.nip)
    ).all()
    return [
        PersonYear(nip, name, unit, employment, Decimal(jp).quantize(Decimal("0.01")))
        for nip, name, unit, employment, jp in rows
    ]


def distribution(people: Sequence[PersonYear], target: Decimal) -> tuple[JpBin, ...]:
    """A histogram of JP per person: bins a quarter of the target wide, the last open."""
    width = target / BINS_PER_TARGET
    edges = [width * step for step in range(BINS_PER_TARGET * TOP_BIN_TARGETS + 1)]
    counts = [0] * len(edges)
    for person in people:
        index = min(int(person.total_jp / width), len(edges) - 1) if width > 0 else 0
        counts[index] += 1
    return tuple(
        JpBin(
            low=edges[i],
            high=edges[i + 1] if i + 1 < len(edges) else None,
            people=counts[i],
            reaches_target=edges[i] >= target,
        )
        for i in range(len(edges))
    )


def agency_year(session: Session, policy: Policy, *, agency: str, year: int) -> AgencyYear:
    """The agency page's figures (AgencyUnknown for an agency nobody works in)."""
    summary = summarise_agency(session, policy, agency, year)
    people = people_of_agency_year(session, agency=agency, year=year)
    target = policy.yearly_target_jp
    by_unit: dict[str, list[PersonYear]] = {}
    for person in people:
        by_unit.setdefault(person.unit, []).append(person)
    units = []
    for unit, staff in by_unit.items():
        reached = sum(1 for person in staff if person.total_jp >= target)
        units.append(
            UnitYear(
                unit=unit,
                staff=len(staff),
                reached_target=reached,
                share=(Decimal(reached) / len(staff)).quantize(Decimal("0.0001")),
                below_target=tuple(p for p in staff if p.total_jp < target),
            )
        )
    ceiling = policy.pppk_ceiling_jp
    over = tuple(
        person
        for person in people
        if ceiling is not None and person.employment == "PPPK" and person.total_jp > ceiling
    )
    return AgencyYear(
        summary=summary,
        distribution=distribution(people, target),
        units=tuple(units),
        pppk_over_ceiling=over,
        pppk_ceiling_jp=ceiling,
        people=tuple(people),
    )


LedgerState = tuple[object, ...]


def ledger_state(session: Session) -> LedgerState:
    """What changes whenever an agency's figures may: cheap to read (index probes, people).

    A new entry raises the newest id; a decision, a void, a rebuild of an entry or a moved
    identity sets its ``updated_at`` (caps settled on the same day ride with the entry that
    caused them); a recompute leaves a row in ``credit_recomputations``; the directory
    changes its own ``updated_at`` or its count.
    """
    entries = session.execute(
        select(func.max(CreditEntry.id), func.max(CreditEntry.updated_at))
    ).one()
    people = session.execute(
        select(func.count(), func.max(Person.updated_at)).select_from(Person)
    ).one()
    recomputed = session.scalar(select(func.max(CreditRecomputation.id)))
    return (*entries, *people, recomputed)


CACHED_YEARS = 32
"""Agency years kept per process (the most recently read)."""
KEPT_SECONDS = 60.0
"""The longest a kept year is used, even when the ledger state has not moved: two writers
can commit out of the order of their ids and times, so the last of a burst of changes may
not move the newest id or ``updated_at``; this bounds how long such a change can hide."""
_cache: OrderedDict[tuple[str, str, str, int], tuple[LedgerState, float, AgencyYear]] = (
    OrderedDict()
)
_cache_lock = threading.Lock()


def read_agency_year(policy: Policy, *, agency: str, year: int) -> AgencyYear:
    """The agency page's figures in one read-only unit of work (what views call).

    Summing a province's ledger takes a few hundred milliseconds at 10,000 people, and the
    page is opened far more often than the ledger of a whole agency changes in a way that
    matters, so each process keeps the figures it computed with the ledger state they
    reflect (:func:`ledger_state`, three index probes) and computes them again when that
    state has moved, or after :data:`KEPT_SECONDS` at most.
    """
    with unit_of_work(writes=False) as session:
        bind = session.get_bind()
        key = (str(bind.engine.url), policy.version, agency, year)
        state = ledger_state(session)
        now = time.monotonic()
        with _cache_lock:
            cached = _cache.get(key)
            if cached is not None and cached[0] == state and now - cached[1] < KEPT_SECONDS:
                _cache.move_to_end(key)
                return cached[2]
        figures = agency_year(session, policy, agency=agency, year=year)
    with _cache_lock:
        _cache[key] = (state, now, figures)
        _cache.move_to_end(key)
        while len(_cache) > CACHED_YEARS:
            _cache.popitem(last=False)
    return figures
