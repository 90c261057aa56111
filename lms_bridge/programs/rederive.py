"""Deriving: the module and program state of the enrollments a batch touched, from all their
evidence, and the transitions it made (completed, passed) for the outbox."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import utcnow
from lms_bridge.models.programs import (
    Cohort,
    Enrollment,
    ModuleProgress,
    Program,
    ProgramModule,
    ProgressEvidence,
)
from lms_bridge.programs.derive import (
    Evidence,
    ModuleRule,
    ModuleState,
    ProgramState,
    derive_module,
    derive_program,
)
from lms_bridge.programs.outbox import queue_events


def module_rule(module: ProgramModule) -> ModuleRule:
    """The rule a stored module derives its state by."""
    return ModuleRule(
        id=module.id,
        code=module.module_code,
        mode=module.mode,
        nominal_jp=module.nominal_jp,
        mandatory=module.mandatory,
        verbs=frozenset(module.verbs),
        min_score=module.min_score,
        weight=module.weight,
    )


def rederive(session: Session, enrollment_ids: set[int], client: AuthenticatedClient) -> list[str]:
    """Re-derive every module and the program of the touched enrollments; queue the
    transitions (lms_bridge.programs.outbox) and return their kinds."""
    ids = sorted(enrollment_ids)
    # Two batches about one participant must not derive from each other's missing evidence:
    # the enrollment rows are locked (in id order, so batches cannot deadlock) before the
    # evidence is read; a concurrent batch waits, then reads this one's committed evidence.
    # (SQLite needs nothing: its write lock already serialises whole batches.)
    enrollments = {
        enrollment.id: enrollment
        for enrollment in session.scalars(
            select(Enrollment)
            .where(Enrollment.id.in_(ids))
            .order_by(Enrollment.id)
            .with_for_update()
        )
    }
    cohorts = {
        cohort.id: cohort
        for cohort in session.scalars(
            select(Cohort).where(Cohort.id.in_({e.cohort_id for e in enrollments.values()}))
        )
    }
    program_ids = {cohort.program_id for cohort in cohorts.values()}
    programs = {
        program.id: program
        for program in session.scalars(select(Program).where(Program.id.in_(program_ids)))
    }
    rules_of: dict[int, list[ModuleRule]] = defaultdict(list)
    for module in session.scalars(
        select(ProgramModule)
        .where(ProgramModule.program_id.in_(program_ids))
        .order_by(ProgramModule.position)
    ):
        rules_of[module.program_id].append(module_rule(module))
    evidence: dict[tuple[int, int], list[Evidence]] = defaultdict(list)
    for row in session.execute(
        select(
            ProgressEvidence.enrollment_id,
            ProgressEvidence.module_id,
            ProgressEvidence.verb_id,
            ProgressEvidence.score,
            ProgressEvidence.success,
            ProgressEvidence.completion,
        ).where(ProgressEvidence.enrollment_id.in_(ids), ProgressEvidence.voided.is_(False))
    ):
        evidence[(row.enrollment_id, row.module_id)].append(
            Evidence(row.verb_id, row.score, row.success, row.completion)
        )
    stored = {
        (progress.enrollment_id, progress.module_id): progress
        for progress in session.scalars(
            select(ModuleProgress).where(ModuleProgress.enrollment_id.in_(ids))
        )
    }
    now = utcnow()
    events: list[tuple[str, Enrollment, Cohort, dict[str, Any], int | None]] = []
    for enrollment in enrollments.values():
        cohort = cohorts[enrollment.cohort_id]
        program = programs[cohort.program_id]
        rules = rules_of[program.id]
        states: dict[int, ModuleState] = {}
        for rule in rules:
            state = derive_module(rule, evidence.get((enrollment.id, rule.id), ()))
            states[rule.id] = state
            before = stored.get((enrollment.id, rule.id))
            was_satisfied = before is not None and before.status in ("completed", "passed")
            if state.satisfied and not was_satisfied:
                events.append(
                    ("module.completed", enrollment, cohort, _module_payload(rule, state), rule.id)
                )
            if state.status == "passed" and (before is None or before.status != "passed"):
                events.append(
                    ("module.passed", enrollment, cohort, _module_payload(rule, state), rule.id)
                )
            _store_state(
                session,
                stored=stored,
                key=(enrollment.id, rule.id),
                state=state,
                now=now,
            )
        program_state = derive_program(rules, states, program.pass_threshold)
        if program_state.completed and not enrollment.completed:
            events.append(
                ("program.completed", enrollment, cohort, _program_payload(program_state), None)
            )
        if program_state.passed and not enrollment.passed:
            events.append(
                ("program.passed", enrollment, cohort, _program_payload(program_state), None)
            )
        enrollment.completed = program_state.completed
        enrollment.passed = program_state.passed
        enrollment.final_score = program_state.final_score
    session.flush()
    bump_progress_version(session, cohorts)
    return queue_events(session, events, programs, client, now)


def bump_progress_version(session: Session, cohort_ids: Collection[int]) -> None:
    """Mark the cohorts' matrices changed (one UPDATE each, in id order: no deadlocks)."""
    for cohort_id in sorted(cohort_ids):
        session.execute(
            update(Cohort)
            .where(Cohort.id == cohort_id)
            .values(progress_version=Cohort.progress_version + 1)
        )


def _store_state(
    session: Session,
    *,
    stored: dict[tuple[int, int], ModuleProgress],
    key: tuple[int, int],
    state: ModuleState,
    now: datetime,
) -> None:
    enrollment_id, module_id = key
    current = stored.get(key)
    if current is None:
        if state.status == "not_started":
            return
        session.add(
            ModuleProgress(
                enrollment_id=enrollment_id,
                module_id=module_id,
                status=state.status,
                best_score=state.best_score,
                jp=state.jp,
                updated_at=now,
            )
        )
        return
    if (current.status, current.best_score, current.jp) != (
        state.status,
        state.best_score,
        state.jp,
    ):
        current.status = state.status
        current.best_score = state.best_score
        current.jp = state.jp
        current.updated_at = now


def _module_payload(rule: ModuleRule, state: ModuleState) -> dict[str, Any]:
    return {
        "module": rule.code,
        "mode": rule.mode,
        "status": state.status,
        "best_score": None if state.best_score is None else float(state.best_score),
        "jp": float(state.jp),
    }


def _program_payload(state: ProgramState) -> dict[str, Any]:
    return {
        "completed": state.completed,
        "passed": state.passed,
        "final_score": None if state.final_score is None else float(state.final_score),
        "jp": {
            mode: {"done": float(state.jp_done[mode]), "required": float(state.jp_required[mode])}
            for mode in state.jp_done
        },
    }
