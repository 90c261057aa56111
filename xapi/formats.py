"""The ``format`` parameter of GET statements (xAPI 1.0.3 Communication 2.1.3).

``exact`` returns statements as stored; ``ids`` keeps only identifiers of agents, groups,
activities and verbs; ``canonical`` keeps one language per language map, the one the
request's ``Accept-Language`` prefers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")
LANGUAGE_MAP_PROPERTIES = frozenset({"display", "name", "description"})


def _agent_ids(agent: Mapping[str, Any]) -> dict[str, Any]:
    reduced: dict[str, Any] = {}
    if "objectType" in agent:
        reduced["objectType"] = agent["objectType"]
    for ifi in IFI_PROPERTIES:
        if ifi in agent:
            reduced[ifi] = agent[ifi]
            break
    if (
        agent.get("objectType") == "Group"
        and "member" in agent
        and not any(ifi in agent for ifi in IFI_PROPERTIES)
    ):
        reduced["member"] = [_agent_ids(member) for member in agent["member"]]
    return reduced


def _object_ids(obj: Mapping[str, Any]) -> dict[str, Any]:
    object_type = obj.get("objectType", "Activity")
    if object_type in ("Agent", "Group"):
        return _agent_ids(obj)
    if object_type == "SubStatement":
        return _statement_ids(obj)
    if object_type == "StatementRef":
        return {"objectType": "StatementRef", "id": obj["id"]}
    return {"id": obj["id"]}


def _context_ids(context: Mapping[str, Any]) -> dict[str, Any]:
    reduced = dict(context)
    for role in ("instructor", "team"):
        if role in reduced:
            reduced[role] = _agent_ids(reduced[role])
    if "contextActivities" in reduced:
        reduced["contextActivities"] = {
            kind: [_object_ids(item) for item in value]
            if isinstance(value, list)
            else _object_ids(value)
            for kind, value in reduced["contextActivities"].items()
        }
    if "contextAgents" in reduced:
        reduced["contextAgents"] = [
            {**entry, "agent": _agent_ids(entry["agent"])} for entry in reduced["contextAgents"]
        ]
    if "contextGroups" in reduced:
        reduced["contextGroups"] = [
            {**entry, "group": _agent_ids(entry["group"])} for entry in reduced["contextGroups"]
        ]
    return reduced


def _statement_ids(statement: Mapping[str, Any]) -> dict[str, Any]:
    reduced = dict(statement)
    reduced["actor"] = _agent_ids(statement["actor"])
    reduced["verb"] = {"id": statement["verb"]["id"]}
    reduced["object"] = _object_ids(statement["object"])
    if "context" in statement:
        reduced["context"] = _context_ids(statement["context"])
    if "authority" in statement:
        reduced["authority"] = _agent_ids(statement["authority"])
    return reduced


def to_ids(statement: Mapping[str, Any]) -> dict[str, Any]:
    """``format=ids``: identifiers only for Agents, Groups, Activities and Verbs."""
    return _statement_ids(statement)


def parse_accept_language(header: str | None) -> list[str]:
    """Language ranges of an ``Accept-Language`` header, most preferred first (RFC 9110)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip()
        if not tag:
            continue
        quality = 1.0
        for parameter in parts[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag.lower()))
    return [tag for _, _, tag in sorted(ranked)]


def _choose(language_map: Mapping[str, Any], preferred: list[str]) -> dict[str, Any]:
    if not language_map:
        return {}
    lowered = {tag.lower(): tag for tag in language_map}
    for wanted in preferred:
        if wanted == "*":
            break
        if wanted in lowered:
            tag = lowered[wanted]
            return {tag: language_map[tag]}
        for candidate_lower, tag in lowered.items():
            if candidate_lower.split("-")[0] == wanted.split("-")[0]:
                return {tag: language_map[tag]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def _walk(value: Any, on_language_map: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Any:
    if isinstance(value, list):
        return [_walk(item, on_language_map) for item in value]
    if not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for name, item in value.items():
        if name == "extensions":
            result[name] = item
        elif name in LANGUAGE_MAP_PROPERTIES and isinstance(item, Mapping):
            result[name] = on_language_map(item)
        else:
            result[name] = _walk(item, on_language_map)
    return result


def to_canonical(statement: Mapping[str, Any], accept_language: str | None) -> dict[str, Any]:
    """``format=canonical``: one language per language map, by ``Accept-Language``."""
    preferred = parse_accept_language(accept_language)
    walked: dict[str, Any] = _walk(statement, lambda language_map: _choose(language_map, preferred))
    return walked


def _context_with_arrays(context: Mapping[str, Any]) -> dict[str, Any]:
    activities = context.get("contextActivities")
    if not isinstance(activities, Mapping) or all(
        isinstance(value, list) for value in activities.values()
    ):
        return dict(context)
    return {
        **context,
        "contextActivities": {
            kind: value if isinstance(value, list) else [value]
            for kind, value in activities.items()
        },
    }


def with_context_activity_arrays(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement as the LRS keeps it: every context activity list an array.

    xAPI 1.0.3 Data 2.4.6.2: a client may send a single Activity under a contextActivities
    key, but the LRS MUST return it as an array of one, in every format, exact included.
    Applies to a SubStatement's context too. Copies only what changes.
    """
    result = dict(statement)
    if isinstance(statement.get("context"), Mapping):
        result["context"] = _context_with_arrays(statement["context"])
    obj = statement.get("object")
    if isinstance(obj, Mapping) and obj.get("objectType") == "SubStatement":
        result["object"] = with_context_activity_arrays(obj)
    return result
