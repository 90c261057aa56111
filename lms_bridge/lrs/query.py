"""Read statements: one by id, or pages of a filtered query with a stable cursor.

Order is ``stored`` then insertion order; a page's cursor is the position of its last row,
so pages never repeat or skip a statement however many arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import aliased

from lms_bridge.db import db
from lms_bridge.lrs.errors import StatementNotFound
from lms_bridge.lrs.keys import index_key
from lms_bridge.models import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from xapi.errors import BadRequest
from xapi.fields import parse_timestamp
from xapi.query import StatementQuery

VOIDED_VERB_KEY = index_key("http://adlnet.gov/expapi/verbs/voided")


@dataclass(frozen=True)
class StatementRecord:
    """A stored statement as the HTTP layer needs it: JSON text and its stored time."""

    pk: int
    payload: str
    stored: datetime


@dataclass(frozen=True)
class Page:
    """One page of a query; ``cursor`` is set when more statements follow."""

    records: list[StatementRecord]
    cursor: str | None


def get_statement(statement_id: str, *, voided: bool, authority_key: str | None) -> StatementRecord:
    """``statementId`` finds an unvoided statement, ``voidedStatementId`` a voided one.

    xAPI 1.0.3 Communication 2.1.3: a voided statement is only returned by
    ``voidedStatementId``; ``authority_key`` restricts to the caller's own statements.
    """
    query = select(Statement.pk, Statement.payload, Statement.stored).where(
        Statement.statement_id == statement_id.lower(), Statement.voided == voided
    )
    if authority_key is not None:
        query = query.where(Statement.authority_key == index_key(authority_key))
    row = db.session.execute(query).first()
    if row is None:
        kind = "voided statement" if voided else "statement"
        raise StatementNotFound(f"no {kind} with id {statement_id}")
    return StatementRecord(*row)


@dataclass(frozen=True)
class _Cursor:
    """Where the next page starts, plus the query it continues (all plain values)."""

    query: dict[str, Any]
    stored: str
    pk: int
    authority_key: str | None
    page_size: int


def encode_cursor(cursor: _Cursor) -> str:
    """An opaque, URL-safe token."""
    return base64.urlsafe_b64encode(orjson.dumps(asdict(cursor))).decode().rstrip("=")


def _decode_cursor(token: str) -> _Cursor:
    try:
        raw = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return _Cursor(
            query=dict(raw["query"]),
            stored=str(raw["stored"]),
            pk=int(raw["pk"]),
            authority_key=raw["authority_key"],
            page_size=int(raw["page_size"]),
        )
    except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise BadRequest("the 'more' token is not one this LRS issued") from error


def _query_to_plain(query: StatementQuery) -> dict[str, Any]:
    plain = asdict(query)
    for name in ("since", "until"):
        if plain[name] is not None:
            plain[name] = plain[name].isoformat()
    return plain


def _query_from_plain(plain: dict[str, Any]) -> StatementQuery:
    values = dict(plain)
    for name in ("since", "until"):
        if values.get(name) is not None:
            values[name] = parse_timestamp(values[name])
    try:
        return StatementQuery(**values)
    except TypeError as error:
        raise BadRequest("the 'more' token is not one this LRS issued") from error


def _object_filter(table: Any, query: StatementQuery) -> list[ColumnElement[bool]]:
    """Conditions on agent, verb, activity and registration for one statements table."""
    conditions: list[ColumnElement[bool]] = []
    if query.agent_key is not None:
        key = index_key(query.agent_key)
        agent_matches = [table.actor_key == key, table.object_agent_key == key]
        if query.related_agents:
            agent_matches.append(table.authority_key == key)
            agent_matches.append(
                table.pk.in_(
                    select(StatementAgent.statement_pk).where(StatementAgent.agent_key == key)
                )
            )
        conditions.append(or_(*agent_matches))
    if query.verb_id is not None:
        conditions.append(table.verb_key == index_key(query.verb_id))
    if query.activity_id is not None:
        key = index_key(query.activity_id)
        activity_matches = [table.object_activity_key == key]
        if query.related_activities:
            activity_matches.append(
                table.pk.in_(
                    select(StatementActivity.statement_pk).where(
                        StatementActivity.activity_key == key
                    )
                )
            )
        conditions.append(or_(*activity_matches))
    if query.registration is not None:
        conditions.append(table.registration == query.registration)
    return conditions


def _common_conditions(
    query: StatementQuery, authority_key: str | None, after: tuple[datetime, int] | None
) -> list[ColumnElement[bool]]:
    """Visibility, time window, reader and cursor: what every branch of a query shares."""
    conditions: list[ColumnElement[bool]] = [Statement.voided == false()]
    if query.since is not None:
        conditions.append(Statement.stored > query.since)
    if query.until is not None:
        conditions.append(Statement.stored <= query.until)
    if authority_key is not None:
        conditions.append(Statement.authority_key == index_key(authority_key))
    if after is not None:
        stored, pk = after
        if query.ascending:
            conditions.append(
                or_(Statement.stored > stored, and_(Statement.stored == stored, Statement.pk > pk))
            )
        else:
            conditions.append(
                or_(Statement.stored < stored, and_(Statement.stored == stored, Statement.pk < pk))
            )
    return conditions


RecordSelect = Select[int, str, datetime]
"""The columns a StatementRecord is built from: pk, payload, stored."""


def _ordered(statement: RecordSelect, query: StatementQuery, limit: int) -> RecordSelect:
    if query.ascending:
        return statement.order_by(Statement.stored.asc(), Statement.pk.asc()).limit(limit)
    return statement.order_by(Statement.stored.desc(), Statement.pk.desc()).limit(limit)


def _any_statement_targets_another() -> bool:
    """One probe of a small partial index; most stores never hold a StatementRef."""
    probe = (
        select(Statement.pk)
        .where(Statement.target_statement_id.is_not(None))
        .order_by(Statement.stored.desc(), Statement.pk.desc())
        .limit(1)
    )
    return db.session.execute(probe).first() is not None


def _branches(
    query: StatementQuery, authority_key: str | None, after: tuple[datetime, int] | None
) -> list[RecordSelect]:
    """One indexed query per way a statement can match.

    Communication 2.1.3: a statement whose object is a StatementRef meets a filter when the
    statement it targets does. Written as a second query rather than an OR, so that each
    branch is an index range scan on (filter column, stored) and never a table scan.
    """
    columns = (Statement.pk, Statement.payload, Statement.stored)
    common = _common_conditions(query, authority_key, after)
    direct = _object_filter(Statement, query)
    branches = [select(*columns).where(*common, *direct)]
    if direct and _any_statement_targets_another():
        target = aliased(Statement)
        branches.append(
            select(*columns)
            .join(target, target.statement_id == Statement.target_statement_id)
            .where(*common, Statement.target_statement_id.is_not(None))
            .where(*_object_filter(target, query))
        )
    return branches


def query_statements(query: StatementQuery, *, page_size: int, authority_key: str | None) -> Page:
    """The first page of a query."""
    return _page(query, page_size, authority_key, after=None)


def continue_query(token: str, *, authority_key: str | None) -> tuple[StatementQuery, Page]:
    """The page after the one that issued ``token``; the caller must be the same reader."""
    cursor = _decode_cursor(token)
    if cursor.authority_key != authority_key:
        raise BadRequest("the 'more' token belongs to another reader")
    query = _query_from_plain(cursor.query)
    after = (parse_timestamp(cursor.stored), cursor.pk)
    return query, _page(query, cursor.page_size, authority_key, after=after)


def _page(
    query: StatementQuery,
    page_size: int,
    authority_key: str | None,
    *,
    after: tuple[datetime, int] | None,
) -> Page:
    rows: dict[int, StatementRecord] = {}
    for branch in _branches(query, authority_key, after):
        for row in db.session.execute(_ordered(branch, query, page_size + 1)):
            rows[row.pk] = StatementRecord(*row)
    ordered = sorted(
        rows.values(), key=lambda record: (record.stored, record.pk), reverse=not query.ascending
    )
    records = ordered[:page_size]
    cursor = None
    if len(ordered) > page_size:
        last = records[-1]
        cursor = encode_cursor(
            _Cursor(
                query=_query_to_plain(query),
                stored=last.stored.isoformat(),
                pk=last.pk,
                authority_key=authority_key,
                page_size=page_size,
            )
        )
    return Page(records=records, cursor=cursor)


def attachments_of(statement_pks: list[int]) -> list[tuple[str, str, bytes]]:
    """(sha2, content type, content) of every attachment the statements carry, once each."""
    if not statement_pks:
        return []
    rows = db.session.execute(
        select(
            AttachmentContent.sha2, AttachmentContent.content_type, AttachmentContent.content
        ).where(
            AttachmentContent.sha2.in_(
                select(StatementAttachment.sha2).where(
                    StatementAttachment.statement_pk.in_(statement_pks)
                )
            )
        )
    ).all()
    return [(sha2, content_type, bytes(content)) for sha2, content_type, content in rows]
