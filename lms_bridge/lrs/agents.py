"""The Agents resource: a Person object for an agent (xAPI 1.0.3 Communication 2.4).

lms_bridge keeps no directory that links identifiers of one person, so the Person combines
the agent asked about with the names its identifier carried as the actor of recent stored
statements. Person properties are arrays and all optional (Communication 2.4 "Person
Object"); the ones with nothing known are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.models import Statement
from lms_bridge.sql.keys import index_key
from xapi.identifiers import agent_key

NAME_SOURCES = 20
"""How many of the newest statements by the agent are read for the names it went by."""
IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def get_person(session: Session, agent: Mapping[str, Any]) -> dict[str, Any]:
    """The Person object for a validated Agent or identified Group."""
    key = agent_key(agent)
    if key is None:
        raise ValueError("get_person needs an identified agent (the HTTP layer validates it)")
    names: list[str] = []
    if isinstance(agent.get("name"), str):
        names.append(agent["name"])
    payloads = session.scalars(
        select(Statement.payload)
        .where(Statement.actor_key == index_key(key))
        .order_by(Statement.stored.desc(), Statement.pk.desc())
        .limit(NAME_SOURCES)
    )
    for payload in payloads:
        actor = orjson.loads(payload).get("actor")
        if not isinstance(actor, Mapping) or agent_key(actor) != key:
            continue  # a digest key matched; the identities differ
        name = actor.get("name")
        if isinstance(name, str) and name not in names:
            names.append(name)
    person: dict[str, Any] = {"objectType": "Person"}
    if names:
        person["name"] = names
    for ifi in IFI_PROPERTIES:
        if ifi in agent:
            person[ifi] = [agent[ifi]]
    return person
