"""The directory and identity mappings as administrators keep them from the pages.

Each use case reuses the directory's and mappings' own services (the same checks as the CLI
and the API), then does what those do after a change: e-mail actors are matched again after
a directory change, an identity's credit moves when its mapping does. Every change is
written to the audit trail as the administrator did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.credit import Policy, rematch_actors, rematch_email_actors
from lms_bridge.db import unit_of_work
from lms_bridge.models import ActorMapping, Person
from lms_bridge.people.directory import PeopleImport, import_people, upsert_person
from lms_bridge.people.identity import MappingImport, import_actor_mappings
from lms_bridge.people.records import FIRST_ROW_LINE
from lms_bridge.people.workbook import rows_from_upload

SHOWN_MAPPINGS = 100


@dataclass(frozen=True)
class MappingRow:
    """An identity mapping as the page lists it."""

    id: int
    actor_key: str
    nip: str
    name: str
    source: str
    updated_at: datetime


def _snapshot(person: Person) -> dict[str, object]:
    return {
        "name": person.name,
        "agency": person.agency,
        "unit": person.unit,
        "position": person.position,
        "email": person.email,
        "employment": person.employment,
    }


def edit_person(policy: Policy, nip: str, values: dict[str, str], *, actor: str) -> Person:
    """Overwrite one person's record (raises PersonRejected naming each wrong value)."""
    with unit_of_work(writes=False) as session:
        existing = session.get(Person, nip)
        before = _snapshot(existing) if existing is not None else None
    person = upsert_person(
        nip,
        name=values.get("name", ""),
        agency=values.get("agency", ""),
        unit=values.get("unit", ""),
        employment=values.get("employment", ""),
        position=values.get("position") or None,
        email=values.get("email") or None,
    )
    after = _snapshot(person)
    with unit_of_work() as session:
        record_event(
            session,
            actor=actor,
            action="person.edit",
            subject_type="person",
            subject_id=person.nip,
            before=before,
            after=after,
        )
    if person.email or (before and before.get("email")):
        rematch_email_actors(policy)
    return person


def import_directory_upload(
    policy: Policy, filename: str, data: bytes, *, actor: str
) -> PeopleImport:
    """Store an uploaded CSV/XLSX directory whole, or raise with every row's problem."""
    result = import_people(rows_from_upload(filename, data), first_line=FIRST_ROW_LINE)
    with unit_of_work() as session:
        record_event(
            session,
            actor=actor,
            action="people.import",
            subject_type="people_file",
            subject_id=filename[:200] or "upload",
            after={
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    if result.changed_nips:
        rematch_email_actors(policy)
    return result


def search_mappings(
    session: Session, text: str, *, limit: int = SHOWN_MAPPINGS
) -> list[MappingRow]:
    """Mappings whose NIP starts with, or identity contains, ``text`` (newest first)."""
    query = (
        select(ActorMapping, Person.name)
        .join(Person, Person.nip == ActorMapping.nip)
        .order_by(ActorMapping.updated_at.desc(), ActorMapping.id.desc())
        .limit(limit)
    )
    words = text.strip()
    if words:
        query = query.where(
            or_(
                ActorMapping.nip.startswith(words, autoescape=True),
                ActorMapping.actor_key.contains(words, autoescape=True),
                Person.name.contains(words, autoescape=True),
            )
        )
    return [
        MappingRow(m.id, m.actor_key, m.nip, name, m.source, m.updated_at)
        for m, name in session.execute(query)
    ]


def add_mapping(policy: Policy, identity: dict[str, str], nip: str, *, actor: str) -> MappingImport:
    """Map one identity (homePage + account name, or mbox) to a NIP; its credit moves.

    The one-row case of an identities file (same checks, same audit, raises
    MappingImportRejected naming the wrong values).
    """
    row = {**identity, "nip": nip}
    result = import_actor_mappings([row], source="page", actor=actor)
    if result.actor_keys:
        rematch_actors(result.actor_keys, policy)
    return result


class MappingNotFound(LookupError):
    """No mapping with this id."""


def remove_mapping(policy: Policy, mapping_id: int, *, actor: str) -> str:
    """Delete a mapping; the identity's credit is matched again (parked if nothing else
    names it). Returns the identity."""
    with unit_of_work() as session:
        mapping = session.get(ActorMapping, mapping_id, with_for_update=True)
        if mapping is None:
            raise MappingNotFound(mapping_id)
        identity = mapping.actor_key
        record_event(
            session,
            actor=actor,
            action="identity.unmap",
            subject_type="actor",
            subject_id=identity,
            before={"nip": mapping.nip, "source": mapping.source},
        )
        session.delete(mapping)
    rematch_actors({identity}, policy)
    return identity
