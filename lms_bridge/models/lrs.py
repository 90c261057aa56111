"""The Learning Record Store's tables: statements as received, and rows that index them.

A statement is kept exactly as received (with the properties the LRS sets) in ``payload``,
beside the columns that queries filter on. Agents and activities that a statement mentions
beyond its actor and object (authority, instructor, team, context activities, sub-statement
parts) get one index row each, which is what ``related_agents`` / ``related_activities``
query (xAPI 1.0.3 Communication 2.1.3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, StatementId, UTCDateTime, key_hash

KEY_LENGTH = 300
"""Index keys longer than this are stored as a SHA-256 digest (see lms_bridge.sql.keys)."""


class Statement(Base):
    """One stored statement."""

    __tablename__ = "statements"
    # Each filter column leads a (column, stored, pk) index, so "the newest N statements
    # with this verb/agent/activity" is one index range scan, however common the value.
    # The other filter indexes follow the class: they index key_hash() of their column.
    __table_args__ = (
        Index("ix_statements_stored_pk", "stored", "pk"),
        Index(
            "ix_statements_target_statement_id",
            "target_statement_id",
            postgresql_where=text("target_statement_id IS NOT NULL"),
            sqlite_where=text("target_statement_id IS NOT NULL"),
        ),
        # Statements that target another statement are few; this index holds only them, so
        # the StatementRef branch of a filtered query reads a handful of rows, not the table.
        Index(
            "ix_statements_refs_stored",
            "stored",
            "pk",
            postgresql_where=text("target_statement_id IS NOT NULL"),
            sqlite_where=text("target_statement_id IS NOT NULL"),
        ),
    )

    pk: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[str] = mapped_column(StatementId, unique=True)
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[str] = mapped_column(String(20))
    actor_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH + 10))
    verb_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    object_type: Mapped[str] = mapped_column(String(20))
    object_activity_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH + 10))
    object_agent_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH + 10))
    target_statement_id: Mapped[str | None] = mapped_column(StatementId)
    """The id a StatementRef object points to (voiding statements included)."""
    registration: Mapped[str | None] = mapped_column(String(36))
    authority_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH + 10))
    client_id: Mapped[int] = mapped_column(BigId, ForeignKey("clients.id"))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[str] = mapped_column(Text)
    """The statement as stored, JSON text: what ``format=exact`` returns."""


def _hashed_key_index(name: str, column: Any, **where: Any) -> Index:
    """(key_hash(column), stored, pk): "the newest N with this key" is one range scan on an
    8-byte key (see :class:`~lms_bridge.db.key_hash`); queries compare the hash and the key."""
    return Index(name, key_hash(column), Statement.stored, Statement.pk, **where)


_hashed_key_index("ix_statements_actor_key_stored", Statement.__table__.c.actor_key)
_hashed_key_index(
    "ix_statements_object_activity_key_stored", Statement.__table__.c.object_activity_key
)
_hashed_key_index("ix_statements_verb_key_stored", Statement.__table__.c.verb_key)
_hashed_key_index("ix_statements_registration_stored", Statement.__table__.c.registration)
_hashed_key_index("ix_statements_authority_key_stored", Statement.__table__.c.authority_key)
# Agents as objects are rare: NULL rows stay out of this index, which saves a B-tree insert
# per statement (equality implies NOT NULL, so queries still use it).
_hashed_key_index(
    "ix_statements_object_agent_key_stored",
    Statement.__table__.c.object_agent_key,
    postgresql_where=text("object_agent_key IS NOT NULL"),
    sqlite_where=text("object_agent_key IS NOT NULL"),
)


# The index rows below carry no foreign key to their statement: the one write path that stores
# a statement derives them in the same transaction, and statements are never deleted (voiding
# keeps them), so a key would never catch or cascade anything. Checking it cost half of the
# COPY of a batch's activity rows on PostgreSQL (migration 0006).


class StatementAgent(Base):
    """An agent a statement mentions outside actor and object (for ``related_agents``)."""

    __tablename__ = "statement_agents"
    # The lookup index is the primary key: one B-tree per row, not two (a row per key).
    agent_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10), primary_key=True)
    statement_pk: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Refers to ``statements.pk`` (no foreign key: see above)."""


class StatementActivity(Base):
    """An activity a statement mentions outside its object (for ``related_activities``).

    A Moodle statement names three or four (the site, the program, the course and its
    section): at a million statements these rows, keyed by the activity's key as text, were
    925 bytes a statement, more than a third of the statement's own row. They carry the
    key's 8-byte digest instead (:func:`lms_bridge.sql.keys.key_digest`), rows of 16 bytes.
    """

    __tablename__ = "statement_activities"
    # The lookup index is the primary key: one B-tree per row, not two (a row per key).
    activity_digest: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """:func:`~lms_bridge.sql.keys.key_digest` of the activity's index key."""
    statement_pk: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Refers to ``statements.pk`` (no foreign key: see above)."""


class AttachmentContent(Base):
    """Attachment bytes, stored once per SHA-2 hash however many statements carry them."""

    __tablename__ = "attachment_contents"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class StatementAttachment(Base):
    """Which statement carries which attachment content (for ``attachments=true``)."""

    __tablename__ = "statement_attachments"
    __table_args__ = (Index("ix_statement_attachments_statement_pk", "statement_pk"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statements.pk", ondelete="CASCADE")
    )
    sha2: Mapped[str] = mapped_column(String(128), ForeignKey("attachment_contents.sha2"))
