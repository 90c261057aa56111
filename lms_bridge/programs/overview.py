"""Reading progress back: the cohort matrix and one participant's progress.

Set-based on purpose: the whole cohort is four queries (cohort with program, modules,
enrollments, module states), never one per participant, so the matrix of a 300-person
cohort costs the same number of round trips as that of a 3-person one.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.credit.policy import Policy
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.exports.tables import Cell, Table
from lms_bridge.models.lrs import Statement
from lms_bridge.models.people import Person
from lms_bridge.models.programs import (
    Cohort,
    Enrollment,
    ModuleProgress,
    Program,
    ProgramModule,
    ProgressEvidence,
)
from lms_bridge.people.nip import InvalidNip, is_nip_shaped, parse_nip
from lms_bridge.programs.catalog import program_modules
from lms_bridge.programs.cohorts import get_cohort
from lms_bridge.programs.derive import NOT_STARTED, ModuleRule, ModuleState, derive_program
from lms_bridge.programs.errors import EnrollmentNotFound
from lms_bridge.programs.rederive import module_rule
from lms_bridge.programs.template import MODES

PAGES_AUTHORITY = "account:urn:lms-bridge:users "
"""The authority key prefix of statements recorded on the pages (see fieldwork)."""


@dataclass(frozen=True)
class ModuleInfo:
    """A module as the matrix shows it."""

    code: str
    title: str
    mode: str
    nominal_jp: Decimal
    mandatory: bool


@dataclass(frozen=True)
class ParticipantProgress:
    """One row of the matrix."""

    nip: str
    name: str | None
    registration: str
    modules: dict[str, ModuleState]
    jp_done: dict[str, Decimal]
    jp_required: dict[str, Decimal]
    completed: bool
    passed: bool
    final_score: Decimal | None


@dataclass(frozen=True)
class CohortProgress:
    """The cohort, its program's modules, and one row per participant (by NIP)."""

    cohort: Cohort
    program: Program
    modules: list[ModuleInfo]
    participants: list[ParticipantProgress]


def _progress(
    session: Session, cohort_id: int, nip: str | None
) -> tuple[Cohort, Program, list[ModuleRule], list[ModuleInfo], list[ParticipantProgress]]:
    cohort = get_cohort(session, cohort_id)
    program = session.get_one(Program, cohort.program_id)
    modules = program_modules(session, program.id)
    rules = [module_rule(module) for module in modules]
    code_of = {module.id: module.module_code for module in modules}
    # Plain rows, not ORM objects: the matrix reads thousands of cells and changes none.
    query = select(Enrollment.id, Enrollment.nip, Enrollment.name, Enrollment.registration).where(
        Enrollment.cohort_id == cohort_id
    )
    states_query = (
        select(
            ModuleProgress.enrollment_id,
            ModuleProgress.module_id,
            ModuleProgress.status,
            ModuleProgress.best_score,
            ModuleProgress.jp,
        )
        .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
        .where(Enrollment.cohort_id == cohort_id)
    )
    if nip is not None:
        query = query.where(Enrollment.nip == nip)
        states_query = states_query.where(Enrollment.nip == nip)
    enrollments = session.execute(query.order_by(Enrollment.nip)).all()
    if nip is not None and not enrollments:
        raise EnrollmentNotFound(
            f"NIP {nip} bukan peserta angkatan {cohort_id} (not a participant of this cohort)"
        )
    states: dict[int, dict[int, ModuleState]] = {enrollment.id: {} for enrollment in enrollments}
    for enrollment_id, module_id, status, best_score, jp in session.execute(states_query):
        states[enrollment_id][module_id] = ModuleState(status, best_score, jp)
    rows = []
    for enrollment in enrollments:
        own = states[enrollment.id]
        derived = derive_program(rules, own, program.pass_threshold)
        rows.append(
            ParticipantProgress(
                nip=enrollment.nip,
                name=enrollment.name,
                registration=enrollment.registration,
                modules={code_of[rule.id]: own.get(rule.id, NOT_STARTED) for rule in rules},
                jp_done=derived.jp_done,
                jp_required=derived.jp_required,
                completed=derived.completed,
                passed=derived.passed,
                final_score=derived.final_score,
            )
        )
    infos = [ModuleInfo(m.module_code, m.title, m.mode, m.nominal_jp, m.mandatory) for m in modules]
    return cohort, program, rules, infos, rows


def cohort_progress(session: Session, cohort_id: int) -> CohortProgress:
    """The progress matrix of a cohort: participants by modules, JP per mode, completion."""
    cohort, program, _, infos, rows = _progress(session, cohort_id, None)
    return CohortProgress(cohort, program, infos, rows)


def participant_progress(session: Session, cohort_id: int, nip: str) -> CohortProgress:
    """The same for one participant (a matrix of one row)."""
    cohort, program, _, infos, rows = _progress(session, cohort_id, nip)
    return CohortProgress(cohort, program, infos, rows)


def as_json(progress: CohortProgress) -> dict[str, object]:
    """The JSON the API (and the webhook consumers' dashboards) read."""

    def number(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "cohort": {
            "id": progress.cohort.id,
            "name": progress.cohort.name,
            "year": progress.cohort.year,
            "number": progress.cohort.number,
            "starts_on": progress.cohort.starts_on.isoformat(),
            "ends_on": progress.cohort.ends_on.isoformat(),
            "organiser": progress.cohort.organiser,
            "activity_id": progress.cohort.activity_id,
        },
        "program": {
            "code": progress.program.code,
            "version": progress.program.version,
            "name": progress.program.name,
            "pass_threshold": float(progress.program.pass_threshold),
        },
        "modules": [
            {
                "id": module.code,
                "title": module.title,
                "mode": module.mode,
                "nominal_jp": float(module.nominal_jp),
                "mandatory": module.mandatory,
            }
            for module in progress.modules
        ],
        "participants": [
            {
                "nip": row.nip,
                "name": row.name,
                "registration": row.registration,
                "modules": {
                    code: {
                        "status": state.status,
                        "best_score": number(state.best_score),
                        "jp": float(state.jp),
                    }
                    for code, state in row.modules.items()
                },
                "jp": {
                    mode: {
                        "done": float(row.jp_done[mode]),
                        "required": float(row.jp_required[mode]),
                    }
                    for mode in row.jp_done
                },
                "completed": row.completed,
                "passed": row.passed,
                "final_score": number(row.final_score),
            }
            for row in progress.participants
        ],
    }


def read_cohort_progress(cohort_id: int) -> dict[str, object]:
    """The cohort matrix as JSON, in its own read-only unit of work (for the API)."""
    with unit_of_work(writes=False) as session:
        return as_json(cohort_progress(session, cohort_id))


CACHED_COHORTS = 64
_encoded: OrderedDict[tuple[str, int, datetime, int], bytes] = OrderedDict()
_encoded_lock = threading.Lock()


def read_cohort_progress_json(cohort_id: int) -> bytes:
    """The cohort matrix encoded as JSON, reused while the cohort's progress is unchanged.

    Dashboards reload a matrix far more often than it changes. Every transaction that
    changes it raises ``cohorts.progress_version`` (under the cohort's row lock, so versions
    follow commit order); a matrix encoded at version V is served again until the version
    moves. The key also holds the database and the cohort's creation time, so a recreated
    cohort that reuses an id is never served another's matrix. Costs one primary-key read
    when current; per process, at most :data:`CACHED_COHORTS` cohorts.
    """
    with unit_of_work(writes=False) as session:
        cohort = get_cohort(session, cohort_id)
        key = (
            session.get_bind().engine.url.render_as_string(hide_password=True),
            cohort.id,
            cohort.created_at,
            cohort.progress_version,
        )
        with _encoded_lock:
            cached = _encoded.get(key)
            if cached is not None:
                _encoded.move_to_end(key)
                return cached
        encoded = orjson.dumps(as_json(cohort_progress(session, cohort_id)))
    with _encoded_lock:
        for stale in [k for k in _encoded if k[:3] == key[:3]]:
            del _encoded[stale]
        _encoded[key] = encoded
        while len(_encoded) > CACHED_COHORTS:
            _encoded.popitem(last=False)
    return encoded


def read_participant_progress(cohort_id: int, nip: str) -> dict[str, object]:
    """One participant's progress as JSON (``nip`` in printed or plain form)."""
    try:
        normalised = str(parse_nip(nip))
    except InvalidNip as error:
        raise EnrollmentNotFound(str(error)) from error
    with unit_of_work(writes=False) as session:
        progress = as_json(participant_progress(session, cohort_id, normalised))
    participants = progress.pop("participants")
    assert isinstance(participants, list)
    progress["participant"] = participants[0]
    return progress


# --- The pages' view of the matrix: schedule, scope, search, and one participant's evidence.

PARTICIPANT_STATUSES = ("passed", "completed", "behind", "on_track")
"""A participant's state on the cohort page, in the order a filter offers them."""
SORTS = ("name", "nip", "jp", "score", "behind")


def scheduled_ends(cohort: Cohort, modules: list[ModuleInfo]) -> dict[str, date]:
    """When each module is due: the cohort's days shared out in template order by JP.

    A template carries no dates of its own, so module *k* is due on the day the cohort's
    span (``starts_on`` to ``ends_on``, inclusive) has used the share of days that the
    modules up to *k* have of the program's nominal JP; the last is due on ``ends_on``.
    """
    days = (cohort.ends_on - cohort.starts_on).days + 1
    total = sum((module.nominal_jp for module in modules), Decimal(0))
    ends: dict[str, date] = {}
    done = Decimal(0)
    for index, module in enumerate(modules, start=1):
        done += module.nominal_jp
        share = done / total if total else Decimal(index) / len(modules)
        used = max(1, math.ceil(share * days))
        ends[module.code] = cohort.starts_on + timedelta(days=used - 1)
    return ends


def behind_modules(progress: CohortProgress, today: date) -> dict[str, list[str]]:
    """Per NIP, the mandatory modules already due (due day before ``today``) yet unsatisfied."""
    ends = scheduled_ends(progress.cohort, progress.modules)
    due = [m.code for m in progress.modules if m.mandatory and ends[m.code] < today]
    return {
        row.nip: [code for code in due if not row.modules[code].satisfied]
        for row in progress.participants
    }


@dataclass(frozen=True)
class OverviewRow:
    """A participant as the cohort page lists them."""

    participant: ParticipantProgress
    unit: str | None
    behind: list[str]
    status: str
    """passed | completed | behind | on_track"""

    @property
    def jp_total(self) -> Decimal:
        """JP done over every mode."""
        return sum(self.participant.jp_done.values(), Decimal(0))


@dataclass(frozen=True)
class CohortOverview:
    """The cohort page: the matrix (scoped), its rows filtered and sorted, and the schedule."""

    progress: CohortProgress
    rows: list[OverviewRow]
    total: int
    """Participants this person sees before search and filters."""
    units: list[str]
    scheduled: dict[str, date]
    modes: list[tuple[str, list[ModuleInfo]]]


def _status(row: ParticipantProgress, behind: list[str]) -> str:
    if row.passed:
        return "passed"
    if row.completed:
        return "completed"
    return "behind" if behind else "on_track"


def scoped(progress: CohortProgress, only: frozenset[str] | None) -> CohortProgress:
    """The matrix with only the participants in ``only`` (a coach's); None keeps everyone."""
    if only is None:
        return progress
    rows = [row for row in progress.participants if row.nip in only]
    return CohortProgress(progress.cohort, progress.program, progress.modules, rows)


def _sort_key(sort: str) -> Callable[[OverviewRow], tuple[Any, ...]]:
    keys: dict[str, Callable[[OverviewRow], tuple[Any, ...]]] = {
        "nip": lambda row: (row.participant.nip,),
        "jp": lambda row: (-row.jp_total, row.participant.nip),
        "score": lambda row: (-(row.participant.final_score or -1), row.participant.nip),
        "behind": lambda row: (-len(row.behind), row.participant.nip),
    }
    return keys.get(
        sort, lambda row: ((row.participant.name or "").casefold(), row.participant.nip)
    )


def cohort_progress_for(cohort_id: int, *, only: frozenset[str] | None) -> CohortProgress:
    """The matrix limited to ``only`` (a coach's participants), in a read-only unit of work."""
    with unit_of_work(writes=False) as session:
        return scoped(cohort_progress(session, cohort_id), only)


def read_cohort_overview(
    cohort_id: int,
    *,
    only: frozenset[str] | None,
    today: date,
    search: str = "",
    status: str = "",
    unit: str = "",
    sort: str = "name",
) -> CohortOverview:
    """The cohort page's data in one read-only unit of work (six queries for any size)."""
    with unit_of_work(writes=False) as session:
        progress = scoped(cohort_progress(session, cohort_id), only)
        units = dict(
            session.execute(
                select(Person.nip, Person.unit).where(
                    Person.nip.in_([row.nip for row in progress.participants])
                )
            ).all()
        )
    behind = behind_modules(progress, today)
    rows = [
        OverviewRow(row, units.get(row.nip), behind[row.nip], _status(row, behind[row.nip]))
        for row in progress.participants
    ]
    text = search.strip().casefold()
    digits = "".join(text.split())
    shown = [
        row
        for row in rows
        if (
            not text
            or text in (row.participant.name or "").casefold()
            or (digits and digits in row.participant.nip)
        )
        and (not status or row.status == status)
        and (not unit or row.unit == unit)
    ]
    shown.sort(key=_sort_key(sort))
    modes = [
        (mode, [m for m in progress.modules if m.mode == mode])
        for mode in MODES
        if any(m.mode == mode for m in progress.modules)
    ]
    return CohortOverview(
        progress,
        shown,
        len(rows),
        sorted({u for u in units.values() if u}),
        scheduled_ends(progress.cohort, progress.modules),
        modes,
    )


def matrix_table(progress: CohortProgress, heading: Callable[[str, str], str]) -> Table:
    """The matrix as a download, cell for cell the API's JSON (:func:`as_json`).

    ``heading(kind, code)`` names a column in the reader's language: kinds ``nip``, ``name``,
    ``registration``, ``status``/``score``/``jp`` (of module ``code``), ``jp_done`` and
    ``jp_required`` (of mode ``code``), ``completed``, ``passed``, ``final_score``; and
    ``heading("boolean", "true"/"false")`` writes a yes or no.
    """
    document = as_json(progress)
    modules = [str(module["id"]) for module in document["modules"]]  # type: ignore[attr-defined]
    participants: list[dict[str, Any]] = document["participants"]  # type: ignore[assignment]
    modes = list(participants[0]["jp"]) if participants else list(MODES)
    headers = [heading("nip", ""), heading("name", ""), heading("registration", "")]
    for code in modules:
        headers += [heading("status", code), heading("score", code), heading("jp", code)]
    for mode in modes:
        headers += [heading("jp_done", mode), heading("jp_required", mode)]
    headers += [heading("completed", ""), heading("passed", ""), heading("final_score", "")]

    def yes_no(value: bool) -> str:
        return heading("boolean", "true" if value else "false")

    rows: list[list[Cell]] = []
    for item in participants:
        row: list[Cell] = [item["nip"], item["name"], item["registration"]]
        for code in modules:
            cell = item["modules"][code]
            row += [heading("module_status", cell["status"]), cell["best_score"], cell["jp"]]
        for mode in modes:
            row += [item["jp"][mode]["done"], item["jp"][mode]["required"]]
        row += [yes_no(item["completed"]), yes_no(item["passed"]), item["final_score"]]
        rows.append(row)
    return Table(headers, rows)


@dataclass(frozen=True)
class EvidenceItem:
    """One statement about a module of a participant, as the timeline shows it."""

    statement_id: str
    verb_id: str
    occurred_at: datetime
    score: Decimal | None
    success: bool | None
    completion: bool | None
    voided: bool
    recorded_by: str | None
    """The account that recorded it on the pages (None: it came from an LMS)."""
    note: str | None

    @property
    def voidable(self) -> bool:
        """Records made on the pages may be voided there, once."""
        return self.recorded_by is not None and not self.voided


@dataclass(frozen=True)
class ModuleTimeline:
    """A module of a participant: its state, its due day and its evidence, oldest first."""

    module: ModuleInfo
    state: ModuleState
    due_on: date
    behind: bool
    evidence: list[EvidenceItem]


@dataclass(frozen=True)
class ParticipantTimeline:
    """One participant's row of the matrix and the evidence behind every module."""

    progress: CohortProgress
    participant: ParticipantProgress
    unit: str | None
    modules: list[ModuleTimeline]


def read_participant_timeline(cohort_id: int, nip: str, *, today: date) -> ParticipantTimeline:
    """A participant's evidence per module (EnrollmentNotFound when not in the cohort)."""
    if not is_nip_shaped(nip):
        raise EnrollmentNotFound(f"NIP {nip!r} bukan peserta angkatan ini (not a participant)")
    with unit_of_work(writes=False) as session:
        progress = participant_progress(session, cohort_id, nip)
        unit = session.scalar(select(Person.unit).where(Person.nip == nip))
        code_of = dict(
            session.execute(
                select(ProgramModule.id, ProgramModule.module_code).where(
                    ProgramModule.program_id == progress.program.id
                )
            ).all()
        )
        rows = session.execute(
            select(
                ProgressEvidence.module_id,
                ProgressEvidence.statement_id,
                ProgressEvidence.verb_id,
                ProgressEvidence.score,
                ProgressEvidence.success,
                ProgressEvidence.completion,
                ProgressEvidence.occurred_at,
                ProgressEvidence.voided,
                Statement.authority_key,
                Statement.payload,
            )
            .join(Enrollment, Enrollment.id == ProgressEvidence.enrollment_id)
            .join(Statement, Statement.pk == ProgressEvidence.statement_pk)
            .where(Enrollment.cohort_id == cohort_id, Enrollment.nip == nip)
            .order_by(ProgressEvidence.occurred_at, ProgressEvidence.id)
        ).all()
    evidence: dict[str, list[EvidenceItem]] = {module.code: [] for module in progress.modules}
    for row in rows:
        recorded_by = note = None
        if row.authority_key is not None and row.authority_key.startswith(PAGES_AUTHORITY):
            payload = orjson.loads(row.payload)
            recorded_by = str(payload["authority"].get("name") or row.authority_key)
            response = (payload.get("result") or {}).get("response")
            note = str(response) if response else None
        evidence[code_of[row.module_id]].append(
            EvidenceItem(
                row.statement_id,
                row.verb_id,
                row.occurred_at,
                row.score,
                row.success,
                row.completion,
                row.voided,
                recorded_by,
                note,
            )
        )
    participant = progress.participants[0]
    ends = scheduled_ends(progress.cohort, progress.modules)
    late = set(behind_modules(progress, today)[participant.nip])
    modules = [
        ModuleTimeline(
            module,
            participant.modules[module.code],
            ends[module.code],
            module.code in late,
            evidence[module.code],
        )
        for module in progress.modules
    ]
    return ParticipantTimeline(progress, participant, unit, modules)


@dataclass(frozen=True)
class FollowedCohort:
    """A line of "my cohorts"."""

    id: int
    name: str
    program: str
    starts_on: date
    ends_on: date
    organiser: str
    participants: int
    """Participants this person follows in it (all of them for an instructor)."""


def followed_cohorts(
    cohorts: frozenset[int] | None, participants: frozenset[str] | None
) -> list[FollowedCohort]:
    """The cohorts a person follows, newest first (None: no limit, as for an admin)."""
    joined = Enrollment.cohort_id == Cohort.id
    if participants is not None:
        joined = joined & Enrollment.nip.in_(sorted(participants))
    query = (
        select(
            Cohort.id,
            Cohort.name,
            Program.name,
            Cohort.starts_on,
            Cohort.ends_on,
            Cohort.organiser,
            func.count(Enrollment.id),
        )
        .join(Program, Program.id == Cohort.program_id)
        .outerjoin(Enrollment, joined)
        .group_by(Cohort.id, Program.name)
        .order_by(Cohort.year.desc(), Cohort.id.desc())
    )
    if cohorts is not None:
        query = query.where(Cohort.id.in_(sorted(cohorts)))
    with unit_of_work(writes=False) as session:
        return [FollowedCohort(*row) for row in session.execute(query)]


def local_today(policy: Policy) -> date:
    """Today in the policy's time zone: the day "behind schedule" is judged on."""
    return utcnow().astimezone(policy.time_zone).date()
