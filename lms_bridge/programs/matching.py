"""Matching: which enrollments' modules a batch of statements moves, as evidence rows.

A statement moves a module of an enrollment when (a) its ``context.registration`` is the
enrollment's registration, or (b) its actor resolves to the participant's NIP and its
statement falls within the cohort's dates; in both cases its object, or a
``contextActivities`` parent or grouping, must be the module's activity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from lms_bridge.lrs.store import StoredStatement
from lms_bridge.models.programs import Cohort, Enrollment
from lms_bridge.programs.derive import score_of
from lms_bridge.programs.modules import ModuleRow, ModulesRead
from xapi.fields import parse_timestamp
from xapi.identifiers import agent_key

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


def evidence_rows(
    session: Session,
    new: Sequence[StoredStatement],
    keys_of: Mapping[str, Collection[str]],
    modules: ModulesRead,
    people: Mapping[str, str],
    *,
    time_zone: ZoneInfo,
) -> list[tuple[Any, ...]]:
    """One evidence row per (enrollment, module, statement) the batch moves.

    ``keys_of``: each new statement's activity keys (by statement id); ``people``: the
    batch's actors resolved to NIPs (the use case resolved them once, for credit too).
    """
    by_key: dict[str, list[ModuleRow]] = defaultdict(list)
    for module in modules.rows:
        by_key[module.activity_key].append(module)
    candidates = [
        (item, [m for key in keys for m in by_key.get(key, ())])
        for item in new
        if (keys := keys_of.get(item.statement_id, ())) and not by_key.keys().isdisjoint(keys)
    ]
    registrations = {
        str(item.index.registration).lower() for item, _ in candidates if item.index.registration
    }
    nips = {
        actor: people[actor]
        for item, _ in candidates
        if (actor := agent_key(item.statement["actor"])) is not None and actor in people
    }
    program_ids = {module.program_id for module in modules.rows}
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
