"""Which program modules a batch's activities belong to, read once per batch.

Progress needs the modules to match evidence; credit needs their nominal JP (``nominal``
rules credit distance and classical sessions by it). The statement use case reads them once,
by the activities the batch names, and hands the same :class:`ModulesRead` to both; for a
single statement the read rides on its insert (:func:`modules_along`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from lms_bridge.programs.queries import EVERY_MODULE, MODULES_ALONG, MODULES_OF_ACTIVITIES
from lms_bridge.sql.driver import driver_rows
from lms_bridge.sql.keys import index_key
from lms_bridge.sql.read_along import ReadAlong
from xapi.identifiers import VOIDED_VERB

MATCHED_CONTEXT = ("parent", "grouping")
"""Where besides the object a statement may name a module's activity."""


@dataclass(frozen=True)
class ModuleRow:
    """A program module as matching and nominal JP need it."""

    id: int
    program_id: int
    activity_key: str
    nominal_jp: Decimal


@dataclass(frozen=True)
class ModulesRead:
    """The program modules of some activity keys (oldest program first)."""

    rows: tuple[ModuleRow, ...]

    @property
    def nominal_jp(self) -> dict[str, Decimal]:
        """Activity key → nominal JP; where programs share an activity, the newest wins."""
        return {row.activity_key: row.nominal_jp for row in self.rows}


NO_MODULES = ModulesRead(())


def activity_ids(statement: Mapping[str, Any]) -> Iterator[str]:
    """The activities a statement may move a module by: its object, and its context's
    parents and groupings."""
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity" and "id" in obj:
        yield str(obj["id"])
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in MATCHED_CONTEXT:
        value = activities.get(kind) or []
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and "id" in item:
                yield str(item["id"])


def activity_keys(statement: Mapping[str, Any]) -> set[str]:
    """Index keys of :func:`activity_ids`; none for a voiding statement (it moves nothing)."""
    if statement["verb"]["id"] == VOIDED_VERB:
        return set()
    return {index_key(activity_id) for activity_id in activity_ids(statement)}


def read_modules(session: Session, keys: Collection[str]) -> ModulesRead:
    """The modules of these activity keys (no query when there are none)."""
    if not keys:
        return NO_MODULES
    rows = driver_rows(session, MODULES_OF_ACTIVITIES, {"keys": sorted(keys)})
    return ModulesRead(tuple(ModuleRow(*row) for row in rows))


def every_module(session: Session) -> ModulesRead:
    """Every module (a recompute credits every activity)."""
    return ModulesRead(tuple(ModuleRow(*row) for row in driver_rows(session, EVERY_MODULE, {})))


def nominal_jp_of_every_module(session: Session) -> dict[str, Decimal]:
    """Activity key → nominal JP of every module (what a recompute's ``nominal`` rules use)."""
    return every_module(session).nominal_jp


def modules_along(keys: Collection[str], name: str = "modules") -> ReadAlong:
    """:func:`read_modules` as a read for a single statement's insert to carry."""
    return ReadAlong(name, MODULES_ALONG, (sorted(keys),))


def modules_from_answer(answer: Any) -> ModulesRead:
    """What :func:`modules_along` read, from the insert's answer (a JSON array)."""
    rows = tuple(
        ModuleRow(int(id_), int(program_id), str(key), Decimal(jp))
        for id_, program_id, key, jp in answer
    )
    return ModulesRead(rows)
