"""The JP ledger: evidence (a statement a rule credited) and entries (what a person earned).

Evidence rows are a pure function of a statement and the policy; entries are derived from
the evidence of one (person, activity, rule), so the same activity never counts twice, and
the daily caps are settled per person-day. Both can be rebuilt from stored statements.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, StatementId, UTCDateTime
from lms_bridge.models.lrs import KEY_LENGTH

ENTRY_STATUSES = ("pending", "verified", "needs_revision", "rejected", "revoked", "unmatched")
"""What an entry can be; ``needs_revision`` is *perlu revisi* (sent back to the learner)."""

OPEN_PREDICATE = "status IN ('pending', 'needs_revision')"
"""The entries of the auditors' queue (lms_bridge.credit.ledger.OPEN), as SQL."""

JP_SCALE = 2
JP = Numeric(9, JP_SCALE)
"""JP keep fractions (0.5 steps by default); exports round per record (docs/domain.md)."""
JP_MAX = Decimal("9999999.99")
"""The largest JP a column holds (``Numeric(9, 2)``); far beyond any real entry."""


class CreditEvidence(Base):
    """A statement that a policy rule credits, with the JP it earns before caps."""

    __tablename__ = "credit_evidence"
    __table_args__ = (
        Index("ix_credit_evidence_group", "subject_key", "activity_key", "rule_id"),
        Index("ix_credit_evidence_actor_key", "actor_key"),
        Index("ix_credit_evidence_statement_id", "statement_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statements.pk", ondelete="CASCADE")
    )
    statement_id: Mapped[str] = mapped_column(StatementId)
    actor_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    subject_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    """``nip:<NIP>`` once the actor is known to be an ASN, else the actor key (unmatched)."""
    activity_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    activity_id: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[str] = mapped_column(String(50))
    jp: Mapped[Decimal] = mapped_column(JP)
    needs_review: Mapped[bool] = mapped_column(Boolean)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    explanation: Mapped[str] = mapped_column(Text)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)


class CreditEntry(Base):
    """What one person earned for one activity under one rule: a line auditors verify."""

    __tablename__ = "credit_entries"
    __table_args__ = (
        UniqueConstraint("subject_key", "activity_key", "rule_id"),
        Index("ix_credit_entries_nip_year", "nip", "year"),
        Index("ix_credit_entries_nip_local_date", "nip", "local_date"),
        Index("ix_credit_entries_status", "status"),
        # The auditors' queue reads open entries in one of its sort orders, a keyset page at
        # a time: a partial index per order holds only them, and a page is one ordered
        # range scan that stops after the page (an index on status first cannot give two
        # statuses in time order, and PostgreSQL sorted every open entry instead).
        Index(
            "ix_credit_entries_open_occurred",
            "occurred_at",
            "id",
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
        Index(
            "ix_credit_entries_open_jp",
            "jp_raw",
            "id",
            postgresql_where=text(OPEN_PREDICATE),
            sqlite_where=text(OPEN_PREDICATE),
        ),
        CheckConstraint(
            "status IN ('pending', 'verified', 'needs_revision', 'rejected', 'revoked', "
            "'unmatched')",
            name="status",
        ),
        # The newest change of the ledger in one index probe: pages that cache figures
        # computed from the whole ledger (an agency's year) know when they are stale.
        Index("ix_credit_entries_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    nip: Mapped[str | None] = mapped_column(String(18))
    actor_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    activity_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    activity_id: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(100))
    policy_version: Mapped[str] = mapped_column(String(50))
    form: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(20))
    jp_raw: Mapped[Decimal] = mapped_column(JP)
    """JP the rule gives, before per-day caps and auditors' corrections."""
    jp: Mapped[Decimal] = mapped_column(JP)
    """JP that count: after caps, or the auditor's correction; 0 unless pending/verified."""
    jp_corrected: Mapped[Decimal | None] = mapped_column(JP, default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    """One of :data:`ENTRY_STATUSES`."""
    statement_ids: Mapped[list[str]] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CreditRecomputation(Base):
    """One run of ``credit recompute``: what changed, kept for the audit trail.

    Created when the run starts and advanced by each chunk in that chunk's transaction: an
    unfinished row (no ``finished_at``) is a run in progress or one that stopped, and says
    how far it got (``last_actor_key``) so it can be resumed.
    """

    __tablename__ = "credit_recomputations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    policy_version: Mapped[str] = mapped_column(String(50))
    year: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_actor_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH + 10))
    """The last actor key whose statements were re-credited (actors go in the order of
    their index, :class:`~lms_bridge.db.key_hash` of the key)."""
    statements: Mapped[int] = mapped_column(Integer)
    entries_added: Mapped[int] = mapped_column(Integer)
    entries_removed: Mapped[int] = mapped_column(Integer)
    entries_changed: Mapped[int] = mapped_column(Integer)
    jp_before: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    jp_after: Mapped[Decimal] = mapped_column(Numeric(14, 2))
