"""Stored statements as administrators and auditors browse them: filtered, paged, scoped.

Who a statement is about is its actor, and an actor is a person when the directory says so:
a NIP account under one of the policy's ``nip_home_pages``, an identity mapping, or the
person's e-mail (``mbox`` / ``mbox_sha1sum``). :func:`_person_keys` builds every actor key
of a set of people as one SQL query over ``people`` and ``actor_mappings``, so both the
person filter and an auditor's agency scope are an ``actor_key IN (...)`` over the indexed
column, never a scan of statements in Python. A statement whose actor is nobody in the
directory is seen by administrators only.

Pages are cut by (stored, pk), newest first, as the LRS's own query pages are
(lms_bridge.lrs.query), and each statement is shown as the verification queue shows its
evidence (lms_bridge.credit.evidence), raw JSON included.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Row, Select, Subquery, and_, literal, or_, select, union
from sqlalchemy.orm import Session

from lms_bridge.credit.evidence import EvidenceStatement, evidence_statements
from lms_bridge.credit.policy import Policy
from lms_bridge.db import canonical_uuid, unit_of_work
from lms_bridge.models import ActorMapping, Client, Person, Statement
from lms_bridge.people.nip import is_nip, normalise_nip
from lms_bridge.sql.keys import index_key, key_in, matches_key

PAGE_SIZE = 25


@dataclass(frozen=True)
class StatementFilter:
    """What the browser's form asks for (every field optional)."""

    person: str = ""
    """A NIP, an e-mail address, or an actor key (``account:<homePage> <name>``)."""
    verb: str = ""
    activity: str = ""
    client_id: int | None = None
    stored_from: datetime | None = None
    stored_to: datetime | None = None


@dataclass(frozen=True)
class BrowsedStatement:
    """One statement: what it says, and whom the directory says it is about."""

    pk: int
    stored: datetime
    nip: str | None
    person_name: str | None
    shown: EvidenceStatement


@dataclass(frozen=True)
class StatementPage:
    statements: list[BrowsedStatement]
    next_after: str | None
    """Where the next page starts (``<stored iso>_<pk>``), None on the last page."""


def _person_keys(policy: Policy, people: Select[str] | None) -> Subquery:
    """(actor key, NIP) of every identity of the people ``people`` selects (NIPs); all
    people when None."""
    nip_filter: list[ColumnElement[bool]] = [] if people is None else [Person.nip.in_(people)]
    mapping_filter: list[ColumnElement[bool]] = (
        [] if people is None else [ActorMapping.nip.in_(people)]
    )
    branches: list[Select[str, str]] = [
        select(ActorMapping.actor_key.label("actor_key"), ActorMapping.nip.label("nip")).where(
            *mapping_filter
        ),
        select((literal("mbox:mailto:") + Person.email).label("actor_key"), Person.nip).where(
            Person.email.is_not(None), *nip_filter
        ),
        select((literal("mbox_sha1sum:") + Person.email_sha1).label("actor_key"), Person.nip).where(
            Person.email_sha1.is_not(None), *nip_filter
        ),
    ]
    for home_page in policy.nip_home_pages:
        branches.append(
            select(
                (literal(f"account:{home_page} ") + Person.nip).label("actor_key"), Person.nip
            ).where(*nip_filter)
        )
    return union(*branches).subquery()


def _scope_people(agencies: Collection[str] | None) -> Select[str] | None:
    if agencies is None:
        return None
    return select(Person.nip).where(Person.agency.in_(list(agencies)))


def _actor_condition(
    policy: Policy, text: str, agencies: Collection[str] | None
) -> list[ColumnElement[bool]]:
    """The person filter and the reader's scope as conditions on ``actor_key``."""
    conditions: list[ColumnElement[bool]] = []
    scope = _scope_people(agencies)
    if scope is not None:
        keys = _person_keys(policy, scope)
        conditions.append(key_in(Statement.actor_key, keys.c.actor_key))
    words = text.strip()
    if not words:
        return conditions
    digits = normalise_nip(words)
    if is_nip(digits):
        keys = _person_keys(policy, select(literal(digits)))
        conditions.append(key_in(Statement.actor_key, keys.c.actor_key))
    elif "@" in words and ":" not in words:
        mbox = index_key(f"mbox:mailto:{words.lower()}")
        conditions.append(matches_key(Statement.actor_key, mbox))
    else:
        conditions.append(matches_key(Statement.actor_key, index_key(words)))
    return conditions


def _after(cursor: str) -> ColumnElement[bool] | None:
    stored_text, _, pk_text = cursor.rpartition("_")
    try:
        stored = datetime.fromisoformat(stored_text)
        pk = int(pk_text)
    except ValueError:
        return None
    return or_(Statement.stored < stored, and_(Statement.stored == stored, Statement.pk < pk))


def browse_statements(
    session: Session,
    policy: Policy,
    wanted: StatementFilter,
    *,
    agencies: Collection[str] | None,
    language: str,
    after: str = "",
    page_size: int = PAGE_SIZE,
) -> StatementPage:
    """A page of statements, newest first, of the people of ``agencies`` (None: all)."""
    conditions = _actor_condition(policy, wanted.person, agencies)
    if wanted.verb.strip():
        conditions.append(matches_key(Statement.verb_key, index_key(wanted.verb.strip())))
    if wanted.activity.strip():
        activity = index_key(wanted.activity.strip())
        conditions.append(matches_key(Statement.object_activity_key, activity))
    if wanted.client_id is not None:
        conditions.append(Statement.client_id == wanted.client_id)
    if wanted.stored_from is not None:
        conditions.append(Statement.stored >= wanted.stored_from)
    if wanted.stored_to is not None:
        conditions.append(Statement.stored < wanted.stored_to)
    if after:
        position = _after(after)
        if position is not None:
            conditions.append(position)
    rows = session.execute(
        select(Statement.pk, Statement.statement_id, Statement.stored, Statement.actor_key)
        .where(*conditions)
        .order_by(Statement.stored.desc(), Statement.pk.desc())
        .limit(page_size + 1)
    ).all()
    more = len(rows) > page_size
    rows = rows[:page_size]
    statements = _browsed(session, policy, rows, language)
    next_after = f"{rows[-1].stored.isoformat()}_{rows[-1].pk}" if more and rows else None
    return StatementPage(statements, next_after)


def _browsed(
    session: Session,
    policy: Policy,
    rows: Sequence[Row[int, str, datetime, str | None]],
    language: str,
) -> list[BrowsedStatement]:
    shown = evidence_statements(
        session,
        [row.statement_id for row in rows],
        language=language,
        time_zone=policy.time_zone,
    )
    actor_keys = {row.actor_key for row in rows if row.actor_key}
    owners: dict[str, str] = {}
    if actor_keys:
        keys = _person_keys(policy, None)
        owners = dict(
            session.execute(
                select(keys.c.actor_key, keys.c.nip).where(keys.c.actor_key.in_(actor_keys))
            ).all()
        )
    names = dict(
        session.execute(
            select(Person.nip, Person.name).where(Person.nip.in_(set(owners.values())))
        ).all()
    )
    return [
        BrowsedStatement(
            row.pk,
            row.stored,
            owners.get(row.actor_key),
            names.get(owners.get(row.actor_key, "")),
            shown[row.statement_id],
        )
        for row in rows
        if row.statement_id in shown
    ]


class StatementNotVisible(LookupError):
    """No such statement, or not one of a person the reader sees (both are a 404)."""


def browsed_statement(
    session: Session,
    policy: Policy,
    statement_id: str,
    *,
    agencies: Collection[str] | None,
    language: str,
) -> BrowsedStatement:
    """One statement, if the reader sees its person."""
    wanted = canonical_uuid(statement_id)
    if wanted is None:  # no statement has it, and PostgreSQL's uuid column refuses it
        raise StatementNotVisible(statement_id)
    conditions = [
        Statement.statement_id == wanted,
        *_actor_condition(policy, "", agencies),
    ]
    rows = session.execute(
        select(Statement.pk, Statement.statement_id, Statement.stored, Statement.actor_key).where(
            *conditions
        )
    ).all()
    found = _browsed(session, policy, rows, language)
    if not found:
        raise StatementNotVisible(statement_id)
    return found[0]


def client_choices(session: Session) -> list[tuple[int, str]]:
    """Every LMS client, for the filter."""
    return [(c.id, c.name) for c in session.scalars(select(Client).order_by(Client.name))]


def read_statement_page(
    policy: Policy,
    wanted: StatementFilter,
    *,
    agencies: Collection[str] | None,
    language: str,
    after: str = "",
) -> tuple[StatementPage, list[tuple[int, str]]]:
    """:func:`browse_statements` and the client choices, in one read-only unit of work."""
    with unit_of_work(writes=False) as session:
        page = browse_statements(
            session, policy, wanted, agencies=agencies, language=language, after=after
        )
        return page, client_choices(session)


def read_statement(
    policy: Policy, statement_id: str, *, agencies: Collection[str] | None, language: str
) -> BrowsedStatement:
    """:func:`browsed_statement` in a read-only unit of work."""
    with unit_of_work(writes=False) as session:
        return browsed_statement(
            session, policy, statement_id, agencies=agencies, language=language
        )
