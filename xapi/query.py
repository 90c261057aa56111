"""Statement query parameters (xAPI 1.0.3 Communication 2.1.3 "GET Statements").

Parsing is strict, as the spec asks: an unknown parameter, a parameter given twice, or a
bad value is a 400, and ``statementId`` / ``voidedStatementId`` combine only with
``format`` and ``attachments``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import orjson

from xapi.errors import BadRequest
from xapi.fields import is_iri, is_uuid, parse_agent, parse_timestamp
from xapi.identifiers import agent_key

Format = Literal["ids", "exact", "canonical"]
FORMATS: tuple[Format, ...] = ("ids", "exact", "canonical")

FILTER_PARAMETERS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
SINGLE_PARAMETERS = frozenset({"statementId", "voidedStatementId", "format", "attachments"})


@dataclass(frozen=True)
class SingleStatementQuery:
    """GET of one statement by ``statementId`` or ``voidedStatementId``."""

    statement_id: str
    voided: bool
    format: Format = "exact"
    attachments: bool = False


@dataclass(frozen=True)
class StatementQuery:
    """GET of many statements by filter; ``limit`` 0 means the server's page size."""

    agent_key: str | None = None
    verb_id: str | None = None
    activity_id: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    format: Format = "exact"
    attachments: bool = False
    ascending: bool = False

    @property
    def has_object_filter(self) -> bool:
        """Whether the StatementRef rule of Communication 2.1.3 applies."""
        return any((self.agent_key, self.verb_id, self.activity_id, self.registration))


def _single_values(params: Mapping[str, Sequence[str]]) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, given in params.items():
        if len(given) != 1:
            raise BadRequest(f"query parameter {name!r} given {len(given)} times")
        values[name] = given[0]
    return values


def _boolean(name: str, value: str) -> bool:
    if value == "true":
        return True
    if value == "false":
        return False
    raise BadRequest(f"{name} must be 'true' or 'false', not {value!r}")


def _format(value: str | None) -> Format:
    if value is None:
        return "exact"
    for known in FORMATS:
        if value == known:
            return known
    raise BadRequest(f"format must be one of {', '.join(FORMATS)}, not {value!r}")


def _uuid(name: str, value: str) -> str:
    if not is_uuid(value):
        raise BadRequest(f"{name} must be a UUID, not {value!r}")
    return value.lower()


def parse_agent_parameter(value: str, name: str = "agent") -> dict[str, Any]:
    """The ``agent`` parameter: a JSON Agent or identified Group."""
    try:
        agent = orjson.loads(value)
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"{name} must be a JSON Agent or Group object") from error
    return parse_agent(agent, name)


def parse_statement_query(
    params: Mapping[str, Sequence[str]],
) -> SingleStatementQuery | StatementQuery:
    """Turn the query string into a typed query, or raise BadRequest naming the parameter."""
    values = _single_values(params)
    if "statementId" in values or "voidedStatementId" in values:
        extra = set(values) - SINGLE_PARAMETERS
        if extra or ("statementId" in values and "voidedStatementId" in values):
            raise BadRequest(
                "statementId and voidedStatementId combine only with format and attachments; "
                f"also given: {', '.join(sorted(extra or {'statementId', 'voidedStatementId'}))}"
            )
        voided = "voidedStatementId" in values
        name = "voidedStatementId" if voided else "statementId"
        return SingleStatementQuery(
            statement_id=_uuid(name, values[name]),
            voided=voided,
            format=_format(values.get("format")),
            attachments=_boolean("attachments", values.get("attachments", "false")),
        )
    unknown = set(values) - FILTER_PARAMETERS
    if unknown:
        raise BadRequest(f"unknown query parameter(s): {', '.join(sorted(unknown))}")

    agent = None
    if "agent" in values:
        agent = agent_key(parse_agent_parameter(values["agent"]))
    verb = values.get("verb")
    if verb is not None and not is_iri(verb):
        raise BadRequest(f"verb must be an IRI, not {verb!r}")
    activity = values.get("activity")
    if activity is not None and not is_iri(activity):
        raise BadRequest(f"activity must be an IRI, not {activity!r}")
    limit = 0
    if "limit" in values:
        raw_limit = values["limit"]
        if not (raw_limit.isascii() and raw_limit.isdigit()):
            raise BadRequest(f"limit must be a non-negative whole number, not {raw_limit!r}")
        limit = int(raw_limit)
    return StatementQuery(
        agent_key=agent,
        verb_id=verb,
        activity_id=activity,
        registration=_uuid("registration", values["registration"])
        if "registration" in values
        else None,
        related_activities=_boolean(
            "related_activities", values.get("related_activities", "false")
        ),
        related_agents=_boolean("related_agents", values.get("related_agents", "false")),
        since=parse_timestamp(values["since"]) if "since" in values else None,
        until=parse_timestamp(values["until"]) if "until" in values else None,
        limit=limit,
        format=_format(values.get("format")),
        attachments=_boolean("attachments", values.get("attachments", "false")),
        ascending=_boolean("ascending", values.get("ascending", "false")),
    )
