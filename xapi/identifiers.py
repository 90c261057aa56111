"""Who and what a statement is about: inverse functional identifiers and related objects.

xAPI 1.0.3 Data 2.4.2.3: an Agent or identified Group is identified by exactly one IFI
(mbox, mbox_sha1sum, openid, account); two agents are the same when they use the same IFI
with the same value. Queries match on that identity, so it is computed once, here, as a
string key.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

STATEMENT_REF = "StatementRef"
SUB_STATEMENT = "SubStatement"
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"


def agent_key(agent: Mapping[str, Any]) -> str | None:
    """The identity of an Agent or identified Group; ``None`` for an anonymous Group."""
    if "mbox" in agent:
        return f"mbox:{agent['mbox']}"
    if "mbox_sha1sum" in agent:
        return f"mbox_sha1sum:{str(agent['mbox_sha1sum']).lower()}"
    if "openid" in agent:
        return f"openid:{agent['openid']}"
    account = agent.get("account")
    if isinstance(account, Mapping):
        # An IRL cannot contain a space, so "homePage name" is unambiguous.
        return f"account:{account.get('homePage')} {account.get('name')}"
    return None


def is_agent_object(obj: Mapping[str, Any]) -> bool:
    """Whether a statement object is an Agent or Group (not an Activity or statement)."""
    return obj.get("objectType") in ("Agent", "Group")


@dataclass
class StatementIndex:
    """The values a statement is found by, in the terms of the query parameters."""

    actor_key: str | None
    verb_id: str
    object_type: str
    object_activity_id: str | None
    object_agent_key: str | None
    target_statement_id: str | None
    registration: str | None
    authority_key: str | None
    related_agent_keys: set[str] = field(default_factory=set)
    related_activity_ids: set[str] = field(default_factory=set)


def _members_keys(group: Mapping[str, Any]) -> Iterator[str]:
    for member in group.get("member") or ():
        if isinstance(member, Mapping):
            key = agent_key(member)
            if key is not None:
                yield key


def _context_activity_ids(context: Mapping[str, Any]) -> Iterator[str]:
    activities = context.get("contextActivities") or {}
    for value in activities.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping) and "id" in item:
                yield str(item["id"])


def _context_agent_keys(context: Mapping[str, Any]) -> Iterator[str]:
    for role in ("instructor", "team"):
        agent = context.get(role)
        if isinstance(agent, Mapping):
            key = agent_key(agent)
            if key is not None:
                yield key
            yield from _members_keys(agent)
    # xAPI 2.0.0 Data 2.4.6.2: contextAgents / contextGroups count as related agents.
    for entry in context.get("contextAgents") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("agent"), Mapping):
            key = agent_key(entry["agent"])
            if key is not None:
                yield key
    for entry in context.get("contextGroups") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("group"), Mapping):
            group = entry["group"]
            key = agent_key(group)
            if key is not None:
                yield key
            yield from _members_keys(group)


def _parts_of(statement: Mapping[str, Any], index: StatementIndex) -> None:
    """Add everything a (sub-)statement mentions to the related sets."""
    actor = statement.get("actor") or {}
    key = agent_key(actor)
    if key is not None:
        index.related_agent_keys.add(key)
    index.related_agent_keys.update(_members_keys(actor))
    obj = statement.get("object") or {}
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity" and "id" in obj:
        index.related_activity_ids.add(str(obj["id"]))
    elif object_type in ("Agent", "Group"):
        key = agent_key(obj)
        if key is not None:
            index.related_agent_keys.add(key)
        index.related_agent_keys.update(_members_keys(obj))
    elif object_type == SUB_STATEMENT:
        _parts_of(obj, index)
    context = statement.get("context")
    if isinstance(context, Mapping):
        index.related_activity_ids.update(_context_activity_ids(context))
        index.related_agent_keys.update(_context_agent_keys(context))


def index_statement(statement: Mapping[str, Any]) -> StatementIndex:
    """Compute the query keys of a validated statement.

    ``actor_key`` / ``object_*`` serve the plain ``agent`` and ``activity`` filters; the
    related sets serve ``related_agents`` / ``related_activities`` (Communication 2.1.3) and
    already exclude what the plain columns hold.
    """
    actor = statement["actor"]
    obj = statement["object"]
    object_type = obj.get("objectType", "Activity")
    context = statement.get("context") or {}
    authority = statement.get("authority")
    index = StatementIndex(
        actor_key=agent_key(actor),
        verb_id=statement["verb"]["id"],
        object_type=object_type,
        object_activity_id=obj["id"] if object_type == "Activity" else None,
        object_agent_key=agent_key(obj) if object_type in ("Agent", "Group") else None,
        target_statement_id=obj["id"].lower() if object_type == STATEMENT_REF else None,
        registration=context.get("registration", "").lower() or None,
        authority_key=agent_key(authority) if isinstance(authority, Mapping) else None,
    )
    _parts_of(statement, index)
    if isinstance(authority, Mapping):
        index.related_agent_keys.update(_members_keys(authority))
    index.related_agent_keys.discard(index.actor_key or "")
    index.related_agent_keys.discard(index.object_agent_key or "")
    index.related_agent_keys.discard(index.authority_key or "")
    index.related_activity_ids.discard(index.object_activity_id or "")
    return index
