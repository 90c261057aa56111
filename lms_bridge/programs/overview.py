"""Reading progress back: the cohort matrix and one participant's progress.

Set-based on purpose: the whole cohort is four queries (cohort with program, modules,
enrollments, module states), never one per participant, so the matrix of a 300-person
cohort costs the same number of round trips as that of a 3-person one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.db import unit_of_work
from lms_bridge.models.programs import Cohort, Enrollment, ModuleProgress, Program
from lms_bridge.people.nip import InvalidNip, parse_nip
from lms_bridge.programs.catalog import program_modules
from lms_bridge.programs.cohorts import get_cohort
from lms_bridge.programs.derive import NOT_STARTED, ModuleRule, ModuleState, derive_program
from lms_bridge.programs.errors import EnrollmentNotFound
from lms_bridge.programs.progress import module_rule


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
