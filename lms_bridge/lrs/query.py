"""Read statements: one by id, or pages of a filtered query with a stable cursor.

Order is ``stored`` then insertion order; a page's cursor is the position of its last row,
so pages never repeat or skip a statement however many arrive meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import Session, aliased

from lms_bridge.lrs.errors import StatementNotFound
from lms_bridge.models import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from lms_bridge.settings import Settings
from lms_bridge.sql.keys import index_key, key_digest, matches_key
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


def get_statement(
    session: Session, statement_id: str, *, voided: bool, authority_key: str | None
) -> StatementRecord:
    """``statementId`` finds an unvoided statement, ``voidedStatementId`` a voided one.

    xAPI 1.0.3 Communication 2.1.3: a voided statement is only returned by
    ``voidedStatementId``; ``authority_key`` restricts to the caller's own statements.
    """
    query = select(Statement.pk, Statement.payload, Statement.stored).where(
        Statement.statement_id == statement_id.lower(), Statement.voided == voided
    )
    if authority_key is not None:
        query = query.where(Statement.authority_key == index_key(authority_key))
    row = session.execute(query).first()
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
    expires: int
    """Unix time after which the token is refused."""


NOT_ISSUED = "the 'more' token is not one this LRS issued"


def _signature(payload: bytes, secret_key: str) -> bytes:
    """HMAC-SHA256 of the token's payload under the service's secret key."""
    return hmac.new(secret_key.encode(), b"more-token:" + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(cursor: _Cursor, secret_key: str) -> str:
    """An opaque, URL-safe token: the cursor and its signature.

    Signed, because the token says what to read: edited, it could ask for any page size or
    position. The key is the service's secret key, the same in every process only when
    ``LMS_BRIDGE_SECRET_KEY`` is set, so production must set it.
    """
    payload = orjson.dumps(asdict(cursor))
    return f"{_b64(payload)}.{_b64(_signature(payload, secret_key))}"


def _decode_cursor(token: str, secret_key: str) -> _Cursor:
    """The cursor a token carries, if this LRS signed it and it has not expired."""
    try:
        encoded, signature = token.split(".")
        payload = _unb64(encoded)
        genuine = hmac.compare_digest(_unb64(signature), _signature(payload, secret_key))
    except (binascii.Error, ValueError) as error:
        raise BadRequest(NOT_ISSUED) from error
    if not genuine:
        raise BadRequest(NOT_ISSUED)
    try:
        raw = orjson.loads(payload)
        cursor = _Cursor(
            query=dict(raw["query"]),
            stored=str(raw["stored"]),
            pk=int(raw["pk"]),
            authority_key=raw["authority_key"],
            page_size=int(raw["page_size"]),
            expires=int(raw["expires"]),
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise BadRequest(NOT_ISSUED) from error
    if cursor.expires < time.time():
        raise BadRequest("the 'more' token has expired; run the query again")
    return cursor


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
        raise BadRequest(NOT_ISSUED) from error


def _ways_to_match(table: Any, query: StatementQuery) -> list[list[ColumnElement[bool]]]:
    """Each way a statement of ``table`` can meet the agent, verb, activity and registration
    filters, as conditions to AND; ``[[]]`` when there is no filter.

    An agent matches as actor or as object (and, with ``related_agents``, as authority or an
    index row); an activity as object (or an index row). One OR over those columns is planned
    as a bitmap of every statement matching any of them, sorted to cut the page: a learner
    with ~2,000 statements had them all read for a page of 100. One query per way is an
    ordered index range scan each, which stops after the page.
    """
    shared: list[ColumnElement[bool]] = []
    if query.verb_id is not None:
        shared.append(matches_key(table.verb_key, index_key(query.verb_id)))
    if query.registration is not None:
        shared.append(matches_key(table.registration, query.registration))
    agent_ways: list[ColumnElement[bool] | None] = [None]
    if query.agent_key is not None:
        key = index_key(query.agent_key)
        agent_ways = [matches_key(table.actor_key, key), matches_key(table.object_agent_key, key)]
        if query.related_agents:
            agent_ways.append(matches_key(table.authority_key, key))
            agent_ways.append(
                table.pk.in_(
                    select(StatementAgent.statement_pk).where(StatementAgent.agent_key == key)
                )
            )
    activity_ways: list[ColumnElement[bool] | None] = [None]
    if query.activity_id is not None:
        key = index_key(query.activity_id)
        activity_ways = [matches_key(table.object_activity_key, key)]
        if query.related_activities:
            activity_ways.append(
                table.pk.in_(
                    select(StatementActivity.statement_pk).where(
                        StatementActivity.activity_digest == key_digest(key)
                    )
                )
            )
    return [
        [*shared, *(way for way in (agent, activity) if way is not None)]
        for agent in agent_ways
        for activity in activity_ways
    ]


def _object_filter(table: Any, query: StatementQuery) -> list[ColumnElement[bool]]:
    """The filters as one condition on ``table`` (for the rare StatementRef branch)."""
    ways = _ways_to_match(table, query)
    if ways == [[]]:
        return []
    return [or_(*(and_(*way) for way in ways))]


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
        conditions.append(matches_key(Statement.authority_key, index_key(authority_key)))
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


def _any_statement_targets_another(session: Session) -> bool:
    """One probe of a small partial index; most stores never hold a StatementRef."""
    probe = (
        select(Statement.pk)
        .where(Statement.target_statement_id.is_not(None))
        .order_by(Statement.stored.desc(), Statement.pk.desc())
        .limit(1)
    )
    return session.execute(probe).first() is not None


def _branches(
    session: Session,
    query: StatementQuery,
    authority_key: str | None,
    after: tuple[datetime, int] | None,
) -> list[RecordSelect]:
    """One indexed query per way a statement can match (see :func:`_ways_to_match`).

    Communication 2.1.3: a statement whose object is a StatementRef meets a filter when the
    statement it targets does. Written as a second query rather than an OR, so that each
    branch is an index range scan on (filter column, stored) and never a table scan.
    """
    columns = (Statement.pk, Statement.payload, Statement.stored)
    common = _common_conditions(query, authority_key, after)
    branches = [select(*columns).where(*common, *way) for way in _ways_to_match(Statement, query)]
    if query.has_object_filter and _any_statement_targets_another(session):
        target = aliased(Statement)
        branches.append(
            select(*columns)
            .join(target, target.statement_id == Statement.target_statement_id)
            .where(*common, Statement.target_statement_id.is_not(None))
            .where(*_object_filter(target, query))
        )
    return branches


@dataclass(frozen=True)
class Paging:
    """How pages are cut and their ``more`` tokens signed (from the settings)."""

    page_size: int
    """Statements on this page (the query's ``limit`` within the server's bounds)."""
    max_page_size: int
    """No page is larger, whatever a token says."""
    secret_key: str
    token_seconds: int
    """How long a ``more`` token stays valid."""


def _paging(settings: Settings, secret_key: str, limit: int) -> Paging:
    """Paging under ``settings``; ``limit`` 0 asks for the default size."""
    return Paging(
        page_size=min(limit or settings.statement_query_limit, settings.statement_query_max_limit),
        max_page_size=settings.statement_query_max_limit,
        secret_key=secret_key,
        token_seconds=settings.statement_more_token_seconds,
    )


def query_statements(
    session: Session,
    query: StatementQuery,
    *,
    authority_key: str | None,
    settings: Settings,
    secret_key: str,
) -> Page:
    """The first page of a query, of ``query.limit`` statements within the server's bounds.

    ``secret_key`` signs the ``more`` token: the app's key, which is a generated one when the
    settings carry none.
    """
    paging = _paging(settings, secret_key, query.limit)
    return _page(session, query, paging, authority_key, after=None)


def continue_query(
    session: Session,
    token: str,
    *,
    authority_key: str | None,
    settings: Settings,
    secret_key: str,
) -> tuple[StatementQuery, Page]:
    """The page after the one that issued ``token``; the caller must be the same reader.

    The page size is the one the query started with, never above the configured maximum.
    """
    paging = _paging(settings, secret_key, 0)
    cursor = _decode_cursor(token, paging.secret_key)
    if cursor.authority_key != authority_key:
        raise BadRequest("the 'more' token belongs to another reader")
    query = _query_from_plain(cursor.query)
    after = (parse_timestamp(cursor.stored), cursor.pk)
    page_size = max(1, min(cursor.page_size, paging.max_page_size))
    paging = replace(paging, page_size=page_size)
    return query, _page(session, query, paging, authority_key, after=after)


def _page(
    session: Session,
    query: StatementQuery,
    paging: Paging,
    authority_key: str | None,
    *,
    after: tuple[datetime, int] | None,
) -> Page:
    page_size = paging.page_size
    rows: dict[int, StatementRecord] = {}
    for branch in _branches(session, query, authority_key, after):
        for row in session.execute(_ordered(branch, query, page_size + 1)):
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
                expires=int(time.time()) + paging.token_seconds,
            ),
            paging.secret_key,
        )
    return Page(records=records, cursor=cursor)


def attachments_of(session: Session, statement_pks: list[int]) -> list[tuple[str, str, bytes]]:
    """(sha2, content type, content) of every attachment the statements carry, once each."""
    if not statement_pks:
        return []
    rows = session.execute(
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
