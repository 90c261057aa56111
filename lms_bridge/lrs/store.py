"""Store a batch of validated statements in one transaction.

The walk (ARCHITECTURE.md): ids, ``stored``, ``authority`` and ``version`` are set; ids
already stored are compared (an equivalent resend is a no-op, a different one a 409);
voiding marks its target; statement rows and their index rows are inserted in bulk. Any
failure rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import table_of, utcnow
from lms_bridge.driver import DriverQuery, driver_rows
from lms_bridge.lrs.bulk import (
    STATEMENT_WRITES_LOCK_KEY,
    copy_rows,
    execute_on_driver,
    insert_rows,
    is_postgresql,
    lock_statement_writes,
    reserve_ids,
)
from lms_bridge.lrs.errors import DuplicateIdInBatch, StatementIdConflict, VoidingTargetInvalid
from lms_bridge.lrs.ids import new_statement_id
from lms_bridge.lrs.keys import index_key, key_digest, optional_index_key
from lms_bridge.models import (
    AttachmentContent,
    Statement,
    StatementActivity,
    StatementAgent,
    StatementAttachment,
)
from xapi.comparison import statements_equivalent
from xapi.fields import parse_timestamp
from xapi.formats import with_context_activity_arrays
from xapi.identifiers import VOIDED_VERB, StatementIndex, index_statement
from xapi.multipart import AttachmentPart
from xapi.versions import VERSION_2, XAPIVersion

VOIDED_VERB_KEY = index_key(VOIDED_VERB)


@dataclass
class StoredStatement:
    """A statement this call stored (not one it found already stored)."""

    pk: int
    statement_id: str
    statement: dict[str, Any]
    index: StatementIndex
    stored: datetime
    voided: bool = False
    """Stored already voided: its voiding statement arrived first."""


@dataclass
class StoreResult:
    """Ids in the order received, what was newly stored, and which targets it voided."""

    ids: list[str]
    new: list[StoredStatement] = field(default_factory=list)
    voided_targets: set[str] = field(default_factory=set)
    read_along: tuple[Any, ...] | None = None
    """The answers of the caller's :class:`ReadAlong` reads, in order, when the insert could
    carry them."""


@dataclass(frozen=True)
class ReadAlong:
    """A read the caller needs next, carried by the one-statement insert's round trip.

    ``sql`` is a PostgreSQL expression giving one value that is never NULL (a JSON array,
    say) with ``%s`` placeholders for ``values``. A request that stores one statement makes three
    round trips (BEGIN, the insert, COMMIT) instead of one more per read. Paths that cannot
    carry them leave :attr:`StoreResult.read_along` None and the caller reads for itself.
    """

    sql: str
    values: tuple[Any, ...]


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z``, as the LRS writes times."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _now_to_the_millisecond() -> datetime:
    """``stored`` is kept at the precision it is shown with, so ``since`` is exact."""
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _assign_ids(statements: Sequence[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    seen: dict[str, dict[str, Any]] = {}
    for statement in statements:
        given = statement.get("id")
        statement_id = str(given).lower() if given else new_statement_id()
        earlier = seen.get(statement_id)
        if earlier is not None and not statements_equivalent(earlier, statement):
            raise DuplicateIdInBatch(f"statement id {statement_id} appears twice in the batch")
        seen[statement_id] = statement
        ids.append(statement_id)
    return ids


def store_batch(
    session: Session,
    statements: Sequence[dict[str, Any]],
    *,
    client: AuthenticatedClient,
    version: XAPIVersion,
    attachments: Mapping[str, AttachmentPart] | None = None,
    read_along: Sequence[ReadAlong] = (),
    alone: bool = False,
) -> StoreResult:
    """Store a validated batch in the caller's transaction (it only flushes).

    The caller's unit of work commits; :mod:`lms_bridge.ingest` is that caller. ``alone``
    holds the statement-writes lock exclusively (see
    :func:`~lms_bridge.lrs.bulk.lock_statement_writes`): the retry after a concurrent
    insert of the same id asks for it, so that retry cannot conflict again.
    """
    attachments = attachments or {}
    ids = _assign_ids(statements)
    stored = _now_to_the_millisecond()
    default_version = "2.0.0" if version == VERSION_2 else "1.0.0"
    locked = False
    if len(statements) == 1 and not alone and is_postgresql(session):
        # Most LMS plugins send one statement per request; unless it voids another, it is
        # inserted in one round trip. Only an id already taken falls through to the
        # general path, which compares (an equivalent resend is a no-op, else 409).
        item = _prepared(ids[0], statements[0], client, stored, default_version)
        if item.index.verb_id != VOIDED_VERB:
            inserted, answer = _insert_unless_stored(session, item, client, read_along)
            if inserted:
                _insert_attachments(session, [item], attachments)
                return StoreResult(ids=ids, new=[item], read_along=answer)
            locked = True
    if not locked:
        voids = any(statement["verb"]["id"] == VOIDED_VERB for statement in statements)
        lock_statement_writes(session, exclusive=alone or voids)

    existing, voided_earlier = _known(session, set(ids))
    for statement_id, statement in zip(ids, statements, strict=True):
        payload = existing.get(statement_id)
        if payload is not None and not statements_equivalent(orjson.loads(payload), statement):
            raise StatementIdConflict(
                f"statement {statement_id} is already stored with different content"
            )

    new: list[StoredStatement] = []
    batch_ids: set[str] = set()
    for statement_id, statement in zip(ids, statements, strict=True):
        if statement_id in existing or statement_id in batch_ids:
            continue
        batch_ids.add(statement_id)
        new.append(_prepared(statement_id, statement, client, stored, default_version))
    if not new:
        return StoreResult(ids=ids)

    voided_targets = _check_voiding(session, new)
    already_voided = voided_earlier & {item.statement_id for item in new}
    for item in new:
        item.voided = item.statement_id in already_voided
    _write_statements(session, new, client)
    _insert_attachments(session, new, attachments)
    if voided_targets:
        session.execute(
            update(Statement).where(Statement.statement_id.in_(voided_targets)).values(voided=True)
        )
    session.flush()
    return StoreResult(ids=ids, new=new, voided_targets=voided_targets)


def _prepared(
    statement_id: str,
    statement: dict[str, Any],
    client: AuthenticatedClient,
    stored: datetime,
    default_version: str,
) -> StoredStatement:
    """The statement as the LRS stores it: id, timestamp, stored, authority, version set."""
    stored_text = format_timestamp(stored)
    full = with_context_activity_arrays(statement)
    full.setdefault("id", statement_id)
    full.setdefault("timestamp", stored_text)
    full["stored"] = stored_text
    full["authority"] = client.authority
    full.setdefault("version", default_version)
    return StoredStatement(
        pk=0, statement_id=statement_id, statement=full, index=index_statement(full), stored=stored
    )


def _check_voiding(session: Session, new: list[StoredStatement]) -> set[str]:
    """Targets this batch voids; a voiding statement itself cannot be voided (Data 2.2.3)."""
    targets = {
        item.index.target_statement_id: item.statement_id
        for item in new
        if item.index.verb_id == VOIDED_VERB and item.index.target_statement_id
    }
    if not targets:
        return set()
    voiding_in_batch = {item.statement_id for item in new if item.index.verb_id == VOIDED_VERB}
    voiding_stored = set(
        session.scalars(
            select(Statement.statement_id).where(
                Statement.statement_id.in_(set(targets)),
                Statement.verb_key == VOIDED_VERB_KEY,
            )
        )
    )
    for target, voider in targets.items():
        if target in voiding_in_batch or target in voiding_stored:
            raise VoidingTargetInvalid(
                f"statement {voider} voids {target}, which is itself a voiding statement"
            )
    return set(targets)


KNOWN_IDS = DriverQuery(
    postgresql=(
        "SELECT statement_id, payload, false FROM statements "
        "WHERE statement_id = ANY(%(ids)s) "
        "UNION ALL SELECT target_statement_id, '', true FROM statements "
        "WHERE target_statement_id = ANY(%(ids)s) AND verb_key = %(voided)s "
        "AND hashtextextended(verb_key, 0) = hashtextextended(%(voided)s, 0)"
    ),
    # SQLite: CROSS JOIN keeps the ids as the outer loop, so each probes the unique index and
    # the partial index of targets (an IN subquery lets the planner pick the verb index).
    sqlite=(
        "SELECT s.statement_id, s.payload, 0 FROM json_each(:ids) AS wanted "
        "CROSS JOIN statements AS s WHERE s.statement_id = wanted.value "
        "UNION ALL SELECT s.target_statement_id, '', 1 FROM json_each(:ids) AS wanted "
        "CROSS JOIN statements AS s WHERE s.target_statement_id = wanted.value "
        "AND s.target_statement_id IS NOT NULL AND s.verb_key = :voided"
    ),
)
"""Which ids are stored (with their payload), and which a stored voiding statement targets."""


def _known(session: Session, ids: set[str]) -> tuple[dict[str, str], set[str]]:
    """In one round trip: which ids are stored (with their payload), and which of them a
    stored voiding statement targets (a statement whose voiding statement arrived first is
    stored already voided)."""
    existing: dict[str, str] = {}
    voided_earlier: set[str] = set()
    rows = driver_rows(session, KNOWN_IDS, {"ids": sorted(ids), "voided": VOIDED_VERB_KEY})
    for statement_id, payload, is_void_target in rows:
        if is_void_target:
            voided_earlier.add(statement_id)
        else:
            existing[statement_id] = payload
    return existing, voided_earlier


STATEMENT_COLUMNS = (
    "pk",
    "statement_id",
    "stored",
    "timestamp",
    "version",
    "actor_key",
    "verb_key",
    "object_type",
    "object_activity_key",
    "object_agent_key",
    "target_statement_id",
    "registration",
    "authority_key",
    "client_id",
    "voided",
    "payload",
)


INSERT_UNLESS_STORED = (
    "WITH stored AS (INSERT INTO statements (statement_id, stored, timestamp, version, "
    "actor_key, verb_key, object_type, object_activity_key, object_agent_key, "
    "target_statement_id, registration, authority_key, client_id, voided, payload) "
    "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, "
    "lms_bridge_voided_once_locked(%s, %s, %s, %s), %s "
    "ON CONFLICT (statement_id) DO NOTHING RETURNING pk, voided), "
    "agents AS (INSERT INTO statement_agents (statement_pk, agent_key) "
    "SELECT pk, unnest(CAST(%s AS text[])) FROM stored), "
    "activities AS (INSERT INTO statement_activities (statement_pk, activity_digest) "
    "SELECT pk, unnest(CAST(%s AS bigint[])) FROM stored) "
    "SELECT pk, voided{read_along} FROM stored"
)
"""PostgreSQL: one statement, stored already voided if its voiding statement came first,
with its index rows (and the caller's :class:`ReadAlong`), in one round trip; no row when
the id is taken. Whether it is voided is asked of a function (migration 0011) that first
shares the statement-writes lock, then looks with a snapshot taken after it: a void
committed while the insert waited is seen, one that starts later waits for this commit."""


def _insert_unless_stored(
    session: Session,
    item: StoredStatement,
    client: AuthenticatedClient,
    read_along: Sequence[ReadAlong],
) -> tuple[bool, tuple[Any, ...] | None]:
    """Insert a single non-voiding statement unless its id is stored; sets ``pk``/``voided``.

    Returns whether it was inserted and the answers of ``read_along``.
    """
    *columns, _voided, payload = _statement_row(item, client, voided=False)
    rows = execute_on_driver(
        session,
        INSERT_UNLESS_STORED.format(read_along="".join(f", {read.sql}" for read in read_along)),
        [
            *columns,
            item.statement_id,
            VOIDED_VERB_KEY,
            *STATEMENT_WRITES_LOCK_KEY,
            payload,
            [index_key(key) for key in item.index.related_agent_keys],
            [key_digest(index_key(key)) for key in item.index.related_activity_ids],
            *(value for read in read_along for value in read.values),
        ],
    )
    if not rows:
        return False, None
    [(item.pk, item.voided, *answers)] = rows
    return True, tuple(answers)


def _statement_row(
    item: StoredStatement, client: AuthenticatedClient, *, voided: bool
) -> tuple[Any, ...]:
    """Values in STATEMENT_COLUMNS order, without ``pk``."""
    return (
        item.statement_id,
        item.stored,
        parse_timestamp(item.statement["timestamp"]),
        str(item.statement["version"]),
        optional_index_key(item.index.actor_key),
        index_key(item.index.verb_id),
        item.index.object_type,
        optional_index_key(item.index.object_activity_id),
        optional_index_key(item.index.object_agent_key),
        item.index.target_statement_id,
        item.index.registration,
        optional_index_key(item.index.authority_key),
        client.id,
        voided,
        orjson.dumps(item.statement).decode(),
    )


def _write_statements(
    session: Session, new: list[StoredStatement], client: AuthenticatedClient
) -> None:
    """Insert the statement rows and their index rows; set each item's ``pk``.

    PostgreSQL streams them with COPY (keys reserved first, in the batch's order, which is
    the order queries return them in); SQLite inserts with RETURNING. The rows go in sorted
    by statement id: two batches sharing ids then wait for each other's uncommitted ids in
    the same order, never in a cycle (a deadlock, which no retry would make a 200 or 409).
    """
    rows = [_statement_row(item, client, voided=item.voided) for item in new]
    if is_postgresql(session):
        table = table_of(Statement)
        pks = reserve_ids(session, table, "pk", len(new))
        for item, pk in zip(new, pks, strict=True):
            item.pk = pk
        copy_rows(
            session,
            table,
            STATEMENT_COLUMNS,
            sorted(
                ((pk, *row) for pk, row in zip(pks, rows, strict=True)),
                key=lambda row: row[1],
            ),
        )
    else:
        returned = session.execute(
            insert(Statement).returning(Statement.pk, sort_by_parameter_order=True),
            [dict(zip(STATEMENT_COLUMNS[1:], row, strict=True)) for row in rows],
        ).all()
        for item, (pk,) in zip(new, returned, strict=True):
            item.pk = pk
    _insert_index_rows(session, new)


def _insert_index_rows(session: Session, new: list[StoredStatement]) -> None:
    agent_rows = [
        (item.pk, index_key(key)) for item in new for key in item.index.related_agent_keys
    ]
    activity_rows = [
        (item.pk, key_digest(index_key(activity_id)))
        for item in new
        for activity_id in item.index.related_activity_ids
    ]
    insert_rows(session, table_of(StatementAgent), ("statement_pk", "agent_key"), agent_rows)
    insert_rows(
        session, table_of(StatementActivity), ("statement_pk", "activity_digest"), activity_rows
    )


def _insert_attachments(
    session: Session, new: list[StoredStatement], parts: Mapping[str, AttachmentPart]
) -> None:
    """Link statements to attachment content sent with them, storing each hash once."""
    if not parts:
        return
    links = [
        {"statement_pk": item.pk, "sha2": attachment["sha2"]}
        for item in new
        for attachment in item.statement.get("attachments") or ()
        if attachment.get("sha2") in parts
    ]
    if not links:
        return
    wanted = {link["sha2"] for link in links}
    present = set(
        session.scalars(select(AttachmentContent.sha2).where(AttachmentContent.sha2.in_(wanted)))
    )
    missing = [parts[sha2] for sha2 in wanted - present]
    if missing:
        session.execute(
            insert(AttachmentContent),
            [
                {"sha2": part.sha2, "content_type": part.content_type, "content": part.content}
                for part in missing
            ],
        )
    session.execute(insert(StatementAttachment), links)
