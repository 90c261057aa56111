"""The name a person reads for an activity: from its statements' ``definition.name``.

A credit entry keeps the activity's IRI; pages and the SIASN export show its name instead.
The name is taken from one statement per activity (the entry's first evidence), so naming a
whole agency's year reads as many statements as it has distinct activities, not entries.
Names are attacker-controlled text (an LMS user can name an activity anything): callers
render them escaped and export them with formula cells neutralised.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.models import Statement

PREFERRED_LANGUAGES = ("id-ID", "id", "en-US", "en-GB", "en")
CHUNK = 500


def name_of(definition_name: Any) -> str | None:
    """A language map's best name for an Indonesian reader (Indonesian, then English, then any)."""
    if not isinstance(definition_name, Mapping) or not definition_name:
        return None
    for language in PREFERRED_LANGUAGES:
        value = definition_name.get(language)
        if isinstance(value, str) and value.strip():
            return value.strip()
    for value in definition_name.values():
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _object_name(payload: str, activity_id: str) -> str | None:
    statement = orjson.loads(payload)
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("id") == activity_id:
        definition = obj.get("definition")
        if isinstance(definition, Mapping):
            return name_of(definition.get("name"))
    return None


def activity_names(
    session: Session, evidence: Iterable[tuple[str, Iterable[str]]]
) -> dict[str, str]:
    """``{activity_id: name}`` for ``(activity_id, statement_ids)`` pairs that have a name.

    An activity whose statement carries no name is left out: the caller shows its IRI.
    """
    wanted: dict[str, str] = {}
    for activity_id, statement_ids in evidence:
        if activity_id not in wanted:
            first = next(iter(statement_ids), None)
            if first is not None:
                wanted[activity_id] = first
    by_statement = {statement_id: activity for activity, statement_id in wanted.items()}
    ids = list(by_statement)
    names: dict[str, str] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(Statement.statement_id, Statement.payload).where(
                Statement.statement_id.in_(ids[start : start + CHUNK])
            )
        ).all()
        for statement_id, payload in rows:
            activity_id = by_statement[statement_id]
            name = _object_name(payload, activity_id)
            if name is not None:
                names[activity_id] = name
    return names
