"""Credit parked for actors nobody knows yet, and an auditor mapping one of them to a NIP.

An LMS that sends its own user id or a private e-mail address earns credit the ledger cannot
give to anyone (``unmatched``: domain.md, an actor "must then be mapped to a NIP through a
directory kept by lms_bridge"). Until this page, that credit was visible nowhere. Here every
such actor is listed by the LMS client that sent its statements, with how many statements
and how many JP wait; mapping it to a person of the directory moves its credit to them in
the same transaction (lms_bridge.credit.ledger.move_actors_credit, the path an imported mapping
takes), and the mapping is written to the audit trail where it is stored.

Unmatched actors belong to no agency yet, so every auditor sees the list; the person they are
mapped to must be of an agency the auditor sees.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from lms_bridge.credit.ledger import move_actors_credit
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.reports import CENT
from lms_bridge.db import unit_of_work
from lms_bridge.models import Client, CreditEntry, CreditEvidence, Person, Statement
from lms_bridge.people.identity import map_actor
from lms_bridge.people.nip import normalise_nip
from xapi.identifiers import agent_key

SEARCH_LIMIT = 20


class MappingRefused(LookupError):
    """The mapping cannot be made; ``message`` is safe to show (Bahasa Indonesia first).

    ``problem``: ``nothing_parked`` (mapped meanwhile, or never seen), ``person_not_found``
    (not in the directory of the reader's agencies) or ``not_mappable`` (an anonymous group).
    """

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.message = message
        self.problem = problem


@dataclass(frozen=True)
class UnmatchedActor:
    """An actor whose credit is parked, as one LMS client sent it."""

    actor_key: str
    """The ledger's key of the actor (what the page sends back to map it)."""
    label: str
    """How the LMS names the actor: its name, then its account, e-mail or OpenID."""
    client_id: int
    client_name: str
    statements: int
    """Statements of this client that a rule credits and no voiding took back."""
    entries: int
    jp: Decimal
    """JP the rules give the actor's parked entries (before any cap: caps are per person)."""


@dataclass(frozen=True)
class PersonChoice:
    """A person of the directory the auditor may map an actor to."""

    nip: str
    name: str
    agency: str
    unit: str


@dataclass(frozen=True)
class ActorMapped:
    """What mapping an actor did."""

    actor_key: str
    identity: str
    """The actor as the audit trail names it (its xAPI identity)."""
    nip: str
    name: str
    entries: int
    jp: Decimal


def _label(actor: Any) -> str:
    if not isinstance(actor, dict):
        return ""
    account = actor.get("account") if isinstance(actor.get("account"), dict) else None
    parts = [
        str(actor["name"]) if actor.get("name") else "",
        f"{account.get('name')} @ {account.get('homePage')}" if account else "",
        str(actor.get("mbox") or actor.get("mbox_sha1sum") or actor.get("openid") or ""),
    ]
    return " · ".join(part for part in parts if part)


def unmatched_actors(session: Session) -> list[UnmatchedActor]:
    """Every actor with parked credit, per LMS client, most JP first.

    Three grouped queries whatever the number of actors: statements per (actor, client),
    parked entries and JP per actor, and one statement per actor to name it.
    """
    parked = CreditEvidence.subject_key == CreditEvidence.actor_key
    per_client = session.execute(
        select(
            CreditEvidence.actor_key,
            Statement.client_id,
            Client.name,
            func.count(func.distinct(CreditEvidence.statement_id)),
            func.min(CreditEvidence.statement_pk),
        )
        .join(Statement, Statement.pk == CreditEvidence.statement_pk)
        .join(Client, Client.id == Statement.client_id)
        .where(parked, CreditEvidence.voided.is_(False))
        .group_by(CreditEvidence.actor_key, Statement.client_id, Client.name)
    ).all()
    if not per_client:
        return []
    keys = sorted({row[0] for row in per_client})
    totals = {
        key: (int(count), Decimal(jp or 0).quantize(CENT))
        for key, count, jp in session.execute(
            select(CreditEntry.subject_key, func.count(), func.sum(CreditEntry.jp_raw))
            .where(CreditEntry.status == "unmatched", CreditEntry.subject_key.in_(keys))
            .group_by(CreditEntry.subject_key)
        )
    }
    pks = [row[4] for row in per_client]
    payloads = dict(
        session.execute(select(Statement.pk, Statement.payload).where(Statement.pk.in_(pks))).all()
    )
    actors = []
    for key, client_id, client_name, statements, first_pk in per_client:
        entries, jp = totals.get(key, (0, Decimal("0.00")))
        if not entries:
            continue  # its evidence is being rebuilt right now, or credits nothing any more
        actor = json.loads(payloads[first_pk]).get("actor")
        actors.append(
            UnmatchedActor(
                actor_key=key,
                label=_label(actor) or key,
                client_id=int(client_id),
                client_name=str(client_name),
                statements=int(statements),
                entries=entries,
                jp=jp,
            )
        )
    actors.sort(key=lambda actor: (actor.client_name, -actor.jp, actor.label))
    return actors


def search_directory(
    session: Session, text: str, *, agencies: Collection[str] | None, limit: int = SEARCH_LIMIT
) -> list[PersonChoice]:
    """People of the reader's agencies whose NIP starts with, or name contains, ``text``."""
    words = " ".join(text.split())
    if not words:
        return []
    digits = normalise_nip(words)
    conditions: list[ColumnElement[bool]] = [Person.name.ilike(f"%{_escaped(words)}%", escape="\\")]
    if digits.isdigit():
        conditions.append(Person.nip.startswith(digits, autoescape=True))
    query = select(Person).where(or_(*conditions)).order_by(Person.name, Person.nip).limit(limit)
    if agencies is not None:
        query = query.where(Person.agency.in_(list(agencies)))
    return [
        PersonChoice(nip=person.nip, name=person.name, agency=person.agency, unit=person.unit)
        for person in session.scalars(query)
    ]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def map_unmatched_actor(
    policy: Policy,
    actor_key: str,
    nip: str,
    *,
    mapped_by: str,
    agencies: Collection[str] | None,
) -> ActorMapped:
    """Map a parked actor to a person; its credit moves to them, in one transaction.

    Raises :class:`MappingRefused` when the actor has no parked credit (mapped meanwhile,
    or never seen) or the person is not in the directory of an agency the auditor sees.
    """
    with unit_of_work() as session:
        return _map(session, policy, actor_key, nip, by=mapped_by, agencies=agencies)


def _map(
    session: Session,
    policy: Policy,
    actor_key: str,
    nip: str,
    *,
    by: str,
    agencies: Collection[str] | None,
) -> ActorMapped:
    first_pk = session.scalar(
        select(func.min(CreditEvidence.statement_pk)).where(
            CreditEvidence.actor_key == actor_key, CreditEvidence.subject_key == actor_key
        )
    )
    if first_pk is None:
        raise MappingRefused(
            "aktor ini tidak punya kredit yang menunggu pemetaan "
            "(this actor has no credit waiting for a mapping)",
            "nothing_parked",
        )
    person = session.get(Person, normalise_nip(nip))
    if person is None or (agencies is not None and person.agency not in agencies):
        raise MappingRefused(
            f"NIP {nip} tidak ada di direktori instansi Anda "
            "(this NIP is not in your agencies' directory)",
            "person_not_found",
        )
    payload = json.loads(
        session.scalars(select(Statement.payload).where(Statement.pk == first_pk)).one()
    )
    identity = agent_key(payload["actor"])
    if identity is None:
        raise MappingRefused(
            "aktor ini tidak dapat dipetakan (this actor cannot be mapped)", "not_mappable"
        )
    entries, jp = session.execute(
        select(func.count(), func.sum(CreditEntry.jp_raw)).where(
            CreditEntry.status == "unmatched", CreditEntry.subject_key == actor_key
        )
    ).one()
    moved = Decimal(jp or 0).quantize(CENT)
    # The mapping is audited where it is stored (subject: the actor's identity).
    map_actor(session, identity, person.nip, source="page", actor=by)
    move_actors_credit(session, {identity}, policy)
    return ActorMapped(actor_key, identity, person.nip, person.name, int(entries), moved)
