"""The SQLAlchemy object, the column types every table shares, and the unit of work.

One use case, one transaction: services only ``flush()``; :func:`unit_of_work` commits or
rolls back, which is what makes "a batch is stored whole or not at all" true by construction.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, String, Table, event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def table_of(model: type[Base]) -> Table:
    """The Table behind a mapped class (typed as a plain FromClause by SQLAlchemy)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


BigId = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit surrogate keys; SQLite needs INTEGER to alias the rowid."""

BIGINT_MAX = 2**63 - 1
"""The largest id, page cursor or count a query may carry: PostgreSQL's ``bigint`` and
SQLite's INTEGER both stop here, and a larger parameter fails the query instead of matching
nothing. Every integer a client sends is checked against it before it reaches a query."""
INTEGER_MAX = 2**31 - 1
"""The largest value of an ``Integer`` column (a year, a cohort's number) on PostgreSQL."""


class key_hash(FunctionElement[Any]):  # noqa: N801  (an SQL function, named as in SQL)
    """An index key's 8-byte hash on PostgreSQL (``hashtextextended``), the key itself elsewhere.

    The LRS's filter indexes lead with a key of up to 310 characters (an IRI, an account):
    ~40-70 bytes of text in each entry where 8 bytes of hash do. At a million statements
    six of them (actor, verb, object activity, registration, authority, object agent) were
    737 MB of the statements table's 2,578 MB. PostgreSQL indexes the hash
    (an expression index) and a query compares both the hash (found in the index) and the
    key itself (checked on the row, so a collision never matches). On SQLite this renders
    as the column: the indexes and the queries are the plain ones.
    """

    name = "key_hash"
    inherit_cache = True


@compiles(key_hash, "postgresql")
def _key_hash_postgresql(element: key_hash, compiler: SQLCompiler, **kw: Any) -> str:
    return f"hashtextextended({compiler.process(element.clauses, **kw)}, 0)"


@compiles(key_hash)
def _key_hash_elsewhere(element: key_hash, compiler: SQLCompiler, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database.

    SQLite has no time zone type; storing naive UTC and re-attaching UTC on the way out keeps
    comparisons and ordering identical on SQLite and PostgreSQL.
    """

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class StatementId(TypeDecorator[str]):
    """A statement's UUID as lowercase text in Python; ``uuid`` (16 bytes) on PostgreSQL.

    As ``varchar(36)`` an id took 37 bytes in its row and ~67 in the unique index a statement
    at a million statements (docs/scale.md); as ``uuid`` 16 and ~36. SQLite keeps the
    text. Values are validated UUIDs before they reach a query: PostgreSQL refuses anything
    else, so a page or route taking an id from a person checks it first
    (:func:`lms_bridge.db.canonical_uuid`). Driver reads get text too
    (:func:`load_uuids_as_text`).
    """

    impl = String(36)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.UUID(as_uuid=False))
        return dialect.type_descriptor(String(36))


def canonical_uuid(value: str) -> str | None:
    """``value`` as a UUID's canonical lowercase text, or ``None`` when it is not one."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return None


def load_uuids_as_text(engine: Engine) -> None:
    """psycopg returns ``uuid`` columns as :class:`uuid.UUID`; SQLAlchemy's type turns them
    into text, the driver calls of :mod:`lms_bridge.sql` would not: every connection loads
    them as text, so a statement id is a ``str`` however it was read."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        from psycopg.types.string import TextLoader  # noqa: PLC0415  (PostgreSQL only)

        dbapi_connection.adapters.register_loader("uuid", TextLoader)


IDLE_BEFORE_PING_S = 1.0
"""A pooled connection idle longer than this is checked before use (see below)."""


def ping_after_idle(engine: Engine, idle_seconds: float = IDLE_BEFORE_PING_S) -> None:
    """Check a pooled server connection before use only when it has sat idle.

    SQLAlchemy's ``pool_pre_ping`` checks on every checkout: one more round trip in each
    request, and on a busy LRS every round trip waits for a core. A connection handed back
    moments ago is alive unless the server died in those moments, and then SQLAlchemy's own
    disconnect handling drops it, and the rest of the pool with it, on first use. So only a
    connection idle for ``idle_seconds`` (a restart, a network drop, a timeout could have
    happened meanwhile) is pinged; a dead one is replaced before the request sees it.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # fresh from connect, or back in the pool a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # whatever the driver raises, the connection is unusable
            raise DisconnectionError(f"pooled connection failed its ping: {error}") from error
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def sqlalchemy_url(database_url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writes.

    pysqlite's implicit transactions begin lazily and deferred, so two writers can both read
    and then deadlock on the upgrade to a write lock. Taking the write lock at BEGIN (only for
    units of work that write) makes concurrent writers queue instead of failing.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def unit_of_work(*, writes: bool = True) -> Iterator[Session]:
    """Run one use case in one transaction: commit on success, roll back on any error."""
    session: Session = db.session()
    if writes and session.get_bind().dialect.name == "sqlite":
        if session.in_transaction():
            # A read-only transaction (e.g. authentication) cannot be upgraded safely in WAL
            # mode; end it so this unit of work starts with the write lock.
            if session.new or session.dirty or session.deleted:
                raise RuntimeError("unit_of_work() entered with unflushed changes pending")
            session.rollback()
        session.connection(execution_options={"sqlite_immediate": True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def utcnow() -> datetime:
    """The current instant, aware, in UTC (the only clock services use)."""
    return datetime.now(UTC)
