"""The Activities resource: an activity's canonical definition (xAPI 1.0.3 Communication 2.5).

The definition is computed when asked for, from the statements that mention the activity, so
storing a statement (the hot path) does no extra work for it. Definitions are merged oldest
first, so newer statements win; language maps and extensions merge key by key, which is how
two statements naming the activity in two languages yield both names (conformance XAPI-00254).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from lms_bridge.models import Statement, StatementActivity
from lms_bridge.sql.keys import index_key, key_digest, matches_key

DEFINITION_SOURCES = 100
"""How many of the newest statements mentioning an activity its definition is built from."""
MERGED_BY_KEY = frozenset({"name", "description", "extensions"})
"""Definition properties that merge key by key; every other property is replaced whole."""


def get_activity(session: Session, activity_id: str) -> dict[str, Any]:
    """The Activity object with everything known of its definition.

    Communication 2.5: an LRS without a definition still returns an Activity object, so an
    activity no statement mentions is ``{"objectType": "Activity", "id": …}``.
    """
    key = index_key(activity_id)
    mentioned = or_(
        matches_key(Statement.object_activity_key, key),
        Statement.pk.in_(
            select(StatementActivity.statement_pk).where(
                StatementActivity.activity_digest == key_digest(key)
            )
        ),
    )
    payloads = session.scalars(
        select(Statement.payload)
        .where(mentioned, Statement.voided == false())
        .order_by(Statement.stored.desc(), Statement.pk.desc())
        .limit(DEFINITION_SOURCES)
    ).all()
    definition: dict[str, Any] = {}
    for payload in reversed(payloads):
        for activity in _mentions(orjson.loads(payload), activity_id):
            given = activity.get("definition")
            if isinstance(given, Mapping):
                _merge_definition(definition, given)
    activity_object: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity_object["definition"] = definition
    return activity_object


def _merge_definition(into: dict[str, Any], newer: Mapping[str, Any]) -> None:
    for name, value in newer.items():
        earlier = into.get(name)
        if name in MERGED_BY_KEY and isinstance(value, Mapping) and isinstance(earlier, dict):
            into[name] = {**earlier, **value}
        else:
            into[name] = value


def _mentions(statement: Mapping[str, Any], activity_id: str) -> Iterator[Mapping[str, Any]]:
    """Every Activity object with ``activity_id`` in a (sub-)statement: context activities
    first, the statement's object last, so the object's definition wins within a statement."""
    context = statement.get("context")
    if isinstance(context, Mapping):
        context_activities = context.get("contextActivities")
        if isinstance(context_activities, Mapping):
            for value in context_activities.values():
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, Mapping) and item.get("id") == activity_id:
                        yield item
    obj = statement.get("object")
    if isinstance(obj, Mapping):
        object_type = obj.get("objectType", "Activity")
        if object_type == "Activity" and obj.get("id") == activity_id:
            yield obj
        elif object_type == "SubStatement":
            yield from _mentions(obj, activity_id)
