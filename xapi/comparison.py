"""Statement comparison: are two statements with the same id "the same statement"?

An LRS that receives a statement id it already holds answers 204/200 when the two match and
409 Conflict when they do not (Communication 2.1.1), and it needs the same judgement to check a
signed statement against its JWS payload (Data 2.6). The rule (xAPI 1.0.3 Data 2.3.1, kept in
2.0.0 as the Statement Comparison Requirements): "Differences which could have been caused by
exceptions to Statement immutability MUST be ignored"; every other difference counts.

The exceptions, and how they are applied here:

* properties the LRS assigns: ``id``, ``authority``, ``stored``, ``version`` are ignored, and
  ``timestamp`` when only one statement has it (the LRS fills it in);
* Activity Definitions and the Verb's ``display`` are not part of the statement: ignored;
* attachments are not part of the statement (which is also why a signed statement's JWS
  payload, made before the signature attachment was added, still matches): ignored;
* timestamps are compared as instants; the LRS may keep only milliseconds (Data 4.5), so
  instants less than 1 ms apart are equal;
* unordered lists: the members of a Group, in any order;
* case-insensitive data: UUIDs, the ``mailto:`` scheme and e-mail domain, ``mbox_sha1sum``,
  language tags, and IRIs under RFC 3987 syntax-based normalisation (Data 3.1);
* durations count as strings, without precision beyond 0.01 s (Data 4.6);
* forms the LRS itself returns differently: a missing ``objectType`` equals its default, and a
  single context Activity equals an array of one (Data 2.4.6.2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from xapi.errors import BadRequest
from xapi.fields import parse_timestamp

_LRS_ASSIGNED: Final = frozenset({"id", "authority", "stored", "version", "attachments"})
_PRECISION: Final = timedelta(milliseconds=1)

_IRI_PARTS: Final = re.compile(
    r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:(\?)([^#]*))?(?:(#)(.*))?", re.S
)
_PERCENT: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SECONDS: Final = re.compile(r"(.*?)(\d+)(?:[.,](\d+))?S")


def statements_equivalent(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Whether ``a`` and ``b`` are the same statement by the Statement Comparison Requirements."""
    left, right = _statement(a), _statement(b)
    if ("timestamp" in left) != ("timestamp" in right):
        left.pop("timestamp", None)
        right.pop("timestamp", None)
    return _same(left, right)


# ------------------------------------------------------------------------- canonical forms


class _Instant:
    """A timestamp as a point in time; equal to another less than a millisecond away."""

    __slots__ = ("moment",)

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Instant) and abs(self.moment - other.moment) < _PRECISION

    __hash__ = None  # type: ignore[assignment]  # equality is tolerant, so no hash


def _statement(statement: Mapping[str, Any], *, top: bool = True) -> dict[str, Any]:
    """A Statement (``top``) or SubStatement with every comparison exception applied."""
    canonical: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LRS_ASSIGNED:
            continue  # SubStatements cannot hold these except attachments, ignored alike
        if key == "timestamp":
            canonical[key] = _instant(value)
        elif key == "actor":
            canonical[key] = _agent(value)
        elif key == "verb":
            canonical[key] = {"id": _iri(value.get("id"))} if isinstance(value, Mapping) else value
        elif key == "object":
            canonical[key] = _object(value)
        elif key == "result":
            canonical[key] = _result(value)
        elif key == "context":
            canonical[key] = _context(value)
        else:
            canonical[key] = value
    if not top:
        canonical["objectType"] = "SubStatement"
    return canonical


def _object(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    kind = value.get("objectType", "Activity")
    if kind in ("Agent", "Group"):
        return _agent(value)
    if kind == "StatementRef":
        return {"objectType": kind, "id": _lower(value.get("id"))}
    if kind == "SubStatement":
        return _statement(value, top=False)
    return _activity(value)


def _activity(value: Any) -> Any:
    """An Activity is its id; the definition is not part of the statement."""
    if not isinstance(value, Mapping):
        return value
    return {"objectType": value.get("objectType", "Activity"), "id": _iri(value.get("id"))}


def _agent(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    agent: dict[str, Any] = {"objectType": value.get("objectType", "Agent")}
    for key, item in value.items():
        if key == "mbox":
            agent[key] = _mailto(item)
        elif key == "mbox_sha1sum":
            agent[key] = _lower(item)
        elif key == "openid":
            agent[key] = _iri(item)
        elif key == "account" and isinstance(item, Mapping):
            agent[key] = {k: _iri(v) if k == "homePage" else v for k, v in item.items()}
        elif key == "member" and isinstance(item, list):
            members = [_agent(member) for member in item]
            agent[key] = sorted(members, key=_sort_key)  # "not ... an ordered list" (Data 2.4.2.2)
        elif key != "objectType":
            agent[key] = item
    return agent


def _result(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    result = dict(value)
    if "duration" in result:
        result["duration"] = _duration(result["duration"])
    if "extensions" in result:
        result["extensions"] = _extensions(result["extensions"])
    return result


def _context(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    context: dict[str, Any] = {}
    for key, item in value.items():
        if key == "registration":
            context[key] = _lower(item)
        elif key in ("instructor", "team"):
            context[key] = _agent(item)
        elif key == "language":
            context[key] = _lower(item)
        elif key == "statement" and isinstance(item, Mapping):
            context[key] = {"objectType": "StatementRef", "id": _lower(item.get("id"))}
        elif key == "contextActivities" and isinstance(item, Mapping):
            context[key] = {
                kind: [_activity(a) for a in _listed(acts)] for kind, acts in item.items()
            }
        elif key in ("contextAgents", "contextGroups") and isinstance(item, list):
            context[key] = [_context_actor(entry) for entry in item]
        elif key == "extensions":
            context[key] = _extensions(item)
        else:
            context[key] = item
    return context


def _listed(value: Any) -> list[Any]:
    """A single context Activity is returned as an array of one (Data 2.4.6.2)."""
    return value if isinstance(value, list) else [value]


def _context_actor(entry: Any) -> Any:
    """A 2.0.0 contextAgent or contextGroup: its Agent/Group and relevantTypes, normalised."""
    if not isinstance(entry, Mapping):
        return entry
    canonical = dict(entry)
    for key in ("agent", "group"):
        if key in canonical:
            canonical[key] = _agent(canonical[key])
    if isinstance(canonical.get("relevantTypes"), list):
        canonical["relevantTypes"] = [_iri(iri) for iri in canonical["relevantTypes"]]
    return canonical


def _extensions(value: Any) -> Any:
    """Extension keys are IRIs; the values are compared as sent."""
    if not isinstance(value, Mapping):
        return value
    return {_iri(key): item for key, item in value.items()}


# ------------------------------------------------------------------------- scalar forms


def _instant(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return _Instant(parse_timestamp(value))
    except BadRequest:
        return value  # not a timestamp: compared as the string it is


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _mailto(value: Any) -> Any:
    """The scheme and the domain of an e-mail address are case-insensitive (Data 2.3.1)."""
    if not isinstance(value, str) or ":" not in value:
        return value
    scheme, _, address = value.partition(":")
    local, at, domain = address.rpartition("@")
    return f"{scheme.lower()}:{local}{at}{domain.lower()}"


def _duration(value: Any) -> Any:
    """Durations compare as strings, without seconds beyond hundredths (Data 4.6)."""
    if not isinstance(value, str):
        return value
    match = _SECONDS.fullmatch(value)
    if match is None:
        return value
    head, whole, fraction = match.groups()
    fraction = (fraction or "")[:2].rstrip("0")
    return f"{head}{whole}.{fraction}S" if fraction else f"{head}{whole}S"


def _iri(value: Any) -> Any:
    """RFC 3987 5.3.2 syntax-based normalisation, the one Data 3.1 lets an LRS apply.

    Lower-case scheme and host, upper-case percent escapes, decode escaped unreserved
    characters, remove dot segments. Nothing scheme-specific (no default ports, no "/").
    """
    if not isinstance(value, str):
        return value
    match = _IRI_PARTS.fullmatch(value)
    if match is None or match.group(1) is None:
        return value
    scheme, authority, path, question, query, hash_sign, fragment = match.groups()
    out = scheme.lower() + ":"
    if authority is not None:
        userinfo, at, host = authority.rpartition("@")
        out += "//" + _escapes(userinfo) + at + _escapes(host).lower()
        path = _without_dot_segments(path)
    elif path.startswith("/"):
        path = _without_dot_segments(path)
    out += _escapes(path)
    if question:
        out += "?" + _escapes(query)
    if hash_sign:
        out += "#" + _escapes(fragment)
    return out


def _escapes(text: str) -> str:
    """Upper-case %xx escapes and decode those of unreserved characters (RFC 3986 6.2.2.1-2)."""

    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT.sub(one, text) if "%" in text else text


def _without_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 remove_dot_segments."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1 or (output and output[0] != ""):
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    joined = "/".join(output)
    if path.startswith("/") and not joined.startswith("/"):
        joined = "/" + joined
    return joined


# ------------------------------------------------------------------------- equality


def _same(left: Any, right: Any) -> bool:
    """JSON equality: numbers by value (1 equals 1.0) but a boolean never equals a number."""
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(_same(item, right[key]) for key, item in left.items())
        )
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(_same(x, y) for x, y in zip(left, right, strict=True))
        )
    return bool(left == right)


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
