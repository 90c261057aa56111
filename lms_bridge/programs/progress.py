"""Progress: statements in, evidence stored, module and program state derived, events queued.

:func:`record_progress` runs inside :func:`lms_bridge.ingest.record_statements`'s
transaction, after credit. It is on the hot path of every batch, so it first asks one
indexed question — do any of these statements name a program module's activity? — and
stops there when none does (the usual case for an LMS sending page views).

A statement moves a module of an enrollment when (a) its ``context.registration`` is the
enrollment's registration, or (b) its actor resolves to the participant's NIP and its
statement falls within the cohort's dates; in both cases its object, or a
``contextActivities`` parent or grouping, must be the module's activity.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import table_of, utcnow
from lms_bridge.driver import DriverQuery, driver_rows
from lms_bridge.lrs.bulk import insert_rows
from lms_bridge.lrs.keys import index_key
from lms_bridge.lrs.store import ReadAlong, StoredStatement, format_timestamp, store_batch
from lms_bridge.models.programs import (
    Cohort,
    Enrollment,
    ModuleProgress,
    OutboxEvent,
    Program,
    ProgramModule,
    ProgressEvidence,
    WebhookDelivery,
    WebhookSubscription,
)
from lms_bridge.people.identity import resolve_actors
from lms_bridge.people.records import chunked
from lms_bridge.programs.derive import (
    Evidence,
    ModuleRule,
    ModuleState,
    ProgramState,
    derive_module,
    derive_program,
    score_of,
)
from xapi.fields import parse_timestamp
from xapi.identifiers import VOIDED_VERB, agent_key
from xapi.versions import VERSION_1

SIASN = "https://siasn.bkn.go.id"
SYSTEM_AUTHORITY: dict[str, object] = {
    "objectType": "Agent",
    "name": "lms_bridge",
    "account": {"homePage": "urn:lms-bridge:system", "name": "lms_bridge"},
}
COHORT_ACTIVITY_TYPE = "urn:lms-bridge:activitytype:program-cohort"
"""A type no JP rule credits: the derived statement reports the program, it earns nothing."""
DERIVED_NAMESPACE = uuid.UUID("6f1c2b0e-7d0a-4c55-9b43-2f9c1a8e5d11")
COMPLETED_VERB = "http://adlnet.gov/expapi/verbs/completed"
PASSED_VERB = "http://adlnet.gov/expapi/verbs/passed"
MATCHED_CONTEXT = ("parent", "grouping")


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


def _activity_ids(statement: Mapping[str, Any]) -> Iterator[str]:
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and "id" in obj:
        yield str(obj["id"])
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in MATCHED_CONTEXT:
        value = activities.get(kind) or []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and "id" in item:
                yield str(item["id"])


MODULES_OF = DriverQuery(
    postgresql="SELECT id FROM program_modules WHERE activity_key = ANY(%(keys)s)",
    sqlite=(
        "SELECT id FROM program_modules WHERE activity_key IN (SELECT value FROM json_each(:keys))"
    ),
)
"""The program modules a batch's activities belong to; every statement POST asks."""

MODULES_ALONG = (
    "(SELECT COALESCE(json_agg(json_build_array(id, activity_key, CAST(nominal_jp AS text)) "
    "ORDER BY program_id, id), '[]') FROM program_modules "
    "WHERE activity_key = ANY(CAST(%s AS text[])))"
)
""":data:`MODULES_OF` and the nominal JP of the same modules as one value, to ride on a single
statement's insert (ReadAlong); oldest program first, as the nominal JP lookup wants."""


def _activity_keys(statement: Mapping[str, Any]) -> set[str]:
    if statement["verb"]["id"] == VOIDED_VERB:
        return set()
    return {index_key(activity_id) for activity_id in _activity_ids(statement)}


@dataclass(frozen=True)
class ModulesRead:
    """The program modules of some activity keys, read once for progress and nominal JP."""

    keys: frozenset[str]
    """Every activity key the read covered (those without a module included)."""
    rows: tuple[tuple[int, str, Decimal], ...]
    """(module id, activity key, nominal JP), the oldest program's first."""

    @property
    def module_ids(self) -> list[int]:
        return [module_id for module_id, _key, _jp in self.rows]

    @property
    def nominal_jp(self) -> dict[str, Decimal]:
        """Activity key → nominal JP; where programs share an activity, the newest wins."""
        return {key: jp for _id, key, jp in self.rows}


def modules_read_along(statement: Mapping[str, Any]) -> ReadAlong:
    """The program-module read a single statement needs, for the store to carry."""
    return ReadAlong(MODULES_ALONG, (sorted(_activity_keys(statement)),))


def modules_read(read_along: ReadAlong, answer: Any) -> ModulesRead:
    """What :func:`modules_read_along` read, from the store's answer (a JSON array)."""
    [keys] = read_along.values
    rows = tuple((int(id_), str(key), Decimal(jp)) for id_, key, jp in answer)
    return ModulesRead(frozenset(keys), rows)


@dataclass
class ProgressUpdate:
    """What one batch changed: evidence rows and the events it queued."""

    evidence: int = 0
    events: list[str] = field(default_factory=list)


def record_progress(
    session: Session,
    new: Sequence[StoredStatement],
    voided_targets: Collection[str],
    *,
    nip_home_pages: Collection[str],
    time_zone: ZoneInfo,
    client: AuthenticatedClient,
    module_ids: Sequence[int] | None = None,
) -> ProgressUpdate:
    """Store the batch's progress evidence and re-derive what it touched (flushes only).

    ``module_ids``: what :func:`modules_read_along` read for the batch, when it was read.
    """
    update_ = ProgressUpdate()
    keys_of: dict[int, set[str]] = {}
    for position, item in enumerate(new):
        keys = _activity_keys(item.statement)
        if keys:
            keys_of[position] = keys
    all_keys = set().union(*keys_of.values()) if keys_of else set()
    modules: list[ProgramModule] = []
    if module_ids is None:
        module_ids = (
            [id_ for (id_,) in driver_rows(session, MODULES_OF, {"keys": sorted(all_keys)})]
            if all_keys
            else []
        )
    for chunk in chunked(module_ids):  # most batches touch no module: one cheap read
        modules += session.scalars(select(ProgramModule).where(ProgramModule.id.in_(chunk)))
    touched: set[int] = set()
    if modules:
        rows = _evidence_rows(
            session, new, keys_of, modules, nip_home_pages=nip_home_pages, time_zone=time_zone
        )
        insert_rows(session, table_of(ProgressEvidence), EVIDENCE_COLUMNS, rows)
        update_.evidence = len(rows)
        touched |= {row[0] for row in rows}
    if voided_targets:
        hit = set(
            session.scalars(
                select(ProgressEvidence.enrollment_id).where(
                    ProgressEvidence.statement_id.in_(list(voided_targets))
                )
            )
        )
        if hit:
            session.execute(
                update(ProgressEvidence)
                .where(ProgressEvidence.statement_id.in_(list(voided_targets)))
                .values(voided=True)
            )
            touched |= hit
    if touched:
        update_.events = _rederive(session, touched, client)
    session.flush()
    return update_


EVIDENCE_COLUMNS = (
    "enrollment_id",
    "module_id",
    "statement_pk",
    "statement_id",
    "verb_id",
    "score",
    "success",
    "completion",
    "occurred_at",
    "voided",
)


def _evidence_rows(
    session: Session,
    new: Sequence[StoredStatement],
    keys_of: Mapping[int, set[str]],
    modules: Sequence[ProgramModule],
    *,
    nip_home_pages: Collection[str],
    time_zone: ZoneInfo,
) -> list[tuple[Any, ...]]:
    by_key: dict[str, list[ProgramModule]] = defaultdict(list)
    for module in modules:
        by_key[module.activity_key].append(module)
    candidates = [
        (new[position], [m for key in keys for m in by_key.get(key, ())])
        for position, keys in keys_of.items()
        if keys & by_key.keys()
    ]
    registrations = {
        str(item.index.registration).lower() for item, _ in candidates if item.index.registration
    }
    actors = {
        actor for item, _ in candidates if (actor := agent_key(item.statement["actor"])) is not None
    }
    nips = resolve_actors(actors, nip_home_pages) if actors else {}
    program_ids = {module.program_id for module in modules}
    conditions: list[ColumnElement[bool]] = []
    if registrations:
        conditions.append(Enrollment.registration.in_(registrations))
    if nips:
        conditions.append(
            Enrollment.nip.in_(set(nips.values())) & Cohort.program_id.in_(program_ids)
        )
    if not conditions:
        return []
    enrollments = session.execute(
        select(
            Enrollment.id,
            Enrollment.nip,
            Enrollment.registration,
            Cohort.program_id,
            Cohort.starts_on,
            Cohort.ends_on,
        )
        .join(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(or_(*conditions))
    ).all()
    by_registration = {row.registration: row for row in enrollments}
    by_nip: dict[str, list[Any]] = defaultdict(list)
    for row in enrollments:
        by_nip[row.nip].append(row)
    rows: list[tuple[Any, ...]] = []
    seen: set[tuple[int, int, str]] = set()
    for item, matched in candidates:
        statement = item.statement
        occurred = parse_timestamp(str(statement["timestamp"]))
        local_day = occurred.astimezone(time_zone).date()
        registration = str(item.index.registration).lower() if item.index.registration else None
        actor = agent_key(statement["actor"])
        nip = nips.get(actor) if actor else None
        result = statement.get("result") or {}
        for module in matched:
            targets = []
            by_reg = by_registration.get(registration) if registration else None
            if by_reg is not None and by_reg.program_id == module.program_id:
                targets.append(by_reg)
            targets += [
                row
                for row in by_nip.get(nip or "", ())
                if row.program_id == module.program_id
                and _within(local_day, row.starts_on, row.ends_on)
            ]
            for row in targets:
                key = (row.id, module.id, item.statement_id)
                if key in seen:
                    continue
                seen.add(key)
                rows.append(
                    (
                        row.id,
                        module.id,
                        item.pk,
                        item.statement_id,
                        statement["verb"]["id"],
                        score_of(result),
                        result.get("success"),
                        result.get("completion"),
                        occurred,
                        item.voided,
                    )
                )
    return rows


def _within(day: date, starts_on: date, ends_on: date) -> bool:
    return starts_on <= day <= ends_on


def _rederive(session: Session, enrollment_ids: set[int], client: AuthenticatedClient) -> list[str]:
    """Re-derive every module and the program of the touched enrollments; queue transitions."""
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
    return _queue_events(session, events, programs, client, now)


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


def _jp(value: Decimal) -> str:
    return f"{value.normalize():f}"


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


def _queue_events(
    session: Session,
    events: list[tuple[str, Enrollment, Cohort, dict[str, Any], int | None]],
    programs: Mapping[int, Program],
    client: AuthenticatedClient,
    now: datetime,
) -> list[str]:
    """One outbox row per transition (``dedupe_key`` is unique), deliveries per subscriber."""
    if not events:
        return []
    keyed = {
        f"{kind}:{enrollment.id}:{module_id if module_id is not None else '-'}": (
            kind,
            enrollment,
            cohort,
            payload,
        )
        for kind, enrollment, cohort, payload, module_id in events
    }
    known = set(
        session.scalars(select(OutboxEvent.dedupe_key).where(OutboxEvent.dedupe_key.in_(keyed)))
    )
    fresh = [(key, value) for key, value in keyed.items() if key not in known]
    if not fresh:
        return []
    cohort_ids = {cohort.id for _, (_, _, cohort, _) in fresh}
    subscriptions = list(
        session.execute(
            select(WebhookSubscription.id, WebhookSubscription.cohort_id).where(
                WebhookSubscription.active.is_(True),
                or_(
                    WebhookSubscription.cohort_id.is_(None),
                    WebhookSubscription.cohort_id.in_(cohort_ids),
                ),
            )
        )
    )
    derived: list[dict[str, Any]] = []
    created: list[str] = []
    for key, (kind, enrollment, cohort, payload) in fresh:
        program = programs[cohort.program_id]
        event_id = str(uuid.uuid4())
        body = {
            "id": event_id,
            "type": kind,
            "occurred_at": format_timestamp(now),
            "program": {"code": program.code, "version": program.version},
            "cohort": {"id": cohort.id, "name": cohort.name, "activity_id": cohort.activity_id},
            "participant": {"nip": enrollment.nip, "registration": enrollment.registration},
            **payload,
        }
        event = OutboxEvent(
            event_id=event_id,
            event_type=kind,
            dedupe_key=key,
            cohort_id=cohort.id,
            enrollment_id=enrollment.id,
            payload=body,
            created_at=now,
        )
        session.add(event)
        session.flush()
        session.add_all(
            WebhookDelivery(
                event_id=event.id,
                subscription_id=subscription_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
            for subscription_id, subscription_cohort in subscriptions
            if subscription_cohort in (None, cohort.id)
        )
        created.append(kind)
        if kind.startswith("program."):
            derived.append(_derived_statement(kind, enrollment, cohort, payload, now))
    if derived:
        system = AuthenticatedClient(
            id=client.id,
            name="lms_bridge",
            scopes=frozenset(),
            authority=SYSTEM_AUTHORITY,
            authority_key="account:urn:lms-bridge:system lms_bridge",
        )
        store_batch(session, derived, client=system, version=VERSION_1)
    return created


def _derived_statement(
    kind: str, enrollment: Enrollment, cohort: Cohort, payload: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The xAPI statement lms_bridge itself asserts when a participant completes or passes."""
    passed = kind == "program.passed"
    verb = PASSED_VERB if passed else COMPLETED_VERB
    result: dict[str, Any] = {"completion": True}
    if passed:
        result["success"] = True
    final = payload.get("final_score")
    if final is not None:
        result["score"] = {"raw": final, "min": 0, "max": 100, "scaled": round(final / 100, 4)}
    return {
        "id": str(uuid.uuid5(DERIVED_NAMESPACE, f"{enrollment.registration}:{kind}")),
        "actor": {
            "objectType": "Agent",
            "name": enrollment.name or enrollment.nip,
            "account": {"homePage": SIASN, "name": enrollment.nip},
        },
        "verb": {
            "id": verb,
            "display": {
                "id-ID": "lulus" if passed else "menyelesaikan",
                "en-US": "passed" if passed else "completed",
            },
        },
        "object": {
            "objectType": "Activity",
            "id": cohort.activity_id,
            "definition": {
                "type": COHORT_ACTIVITY_TYPE,
                "name": {"id-ID": cohort.name},
            },
        },
        "result": result,
        "context": {"registration": enrollment.registration},
        "timestamp": format_timestamp(now),
    }
