"""Blended-learning programs: templates, cohorts, enrollments, progress, and feedback.

A program version is immutable once imported (a changed template is a new version), so a
cohort always reads the modules it was run with. Progress is kept as *evidence* (one row per
statement that touched a module of an enrollment) and a *derived* state per module and per
enrollment, recomputed from the non-voided evidence whenever it changes: the order and the
repetition of statements cannot change the result, and voiding takes progress back.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, StatementId, UTCDateTime
from lms_bridge.models.credit import JP
from lms_bridge.models.lrs import KEY_LENGTH

SCORE = Numeric(6, 2)
"""Scores on 0 to 100 with two decimals."""


class Program(Base):
    """One version of a program template (Latsar CPNS, PKP, …) as imported."""

    __tablename__ = "programs"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    activity_base: Mapped[str] = mapped_column(Text)
    """Cohort activity IRIs are ``<activity_base>/angkatan/<year>-<number>``."""
    pass_threshold: Mapped[Decimal] = mapped_column(SCORE)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The template as loaded (validated), kept for auditors and for ``programs list``."""
    digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the canonical definition: importing the same file twice is a no-op."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgramModule(Base):
    """A module of a program version: its activity, mode, nominal JP and completion rule."""

    __tablename__ = "program_modules"
    __table_args__ = (
        UniqueConstraint("program_id", "module_code"),
        Index("ix_program_modules_activity_key", "activity_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("programs.id"))
    module_code: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[str] = mapped_column(Text)
    activity_key: Mapped[str] = mapped_column(String(KEY_LENGTH + 10))
    title: Mapped[str] = mapped_column(String(300))
    mode: Mapped[str] = mapped_column(String(20))
    nominal_jp: Mapped[Decimal] = mapped_column(JP)
    mandatory: Mapped[bool] = mapped_column(Boolean)
    verbs: Mapped[list[str]] = mapped_column(JSON)
    min_score: Mapped[Decimal | None] = mapped_column(SCORE)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    """Share of the final score (0 = not scored)."""


class Cohort(Base):
    """An angkatan: one run of one program version."""

    __tablename__ = "cohorts"
    __table_args__ = (UniqueConstraint("program_id", "year", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    program_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("programs.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    organiser: Mapped[str] = mapped_column(String(200))
    activity_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    progress_version: Mapped[int] = mapped_column(Integer, default=0)
    """Raised in every transaction that changes this cohort's matrix (new participants,
    module states), so a reader can tell a cached matrix is still current."""


class Enrollment(Base):
    """A participant (by NIP) in a cohort, with the derived program state."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("cohort_id", "nip"),
        UniqueConstraint("registration"),
        Index("ix_enrollments_nip", "nip"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cohorts.id"))
    nip: Mapped[str] = mapped_column(String(18))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    registration: Mapped[str] = mapped_column(String(36))
    """The UUID the LMS may send as ``context.registration`` for this participant."""
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    final_score: Mapped[Decimal | None] = mapped_column(SCORE, default=None)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProgressEvidence(Base):
    """A statement that touched a module of an enrollment (what the state is derived from)."""

    __tablename__ = "progress_evidence"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "module_id", "statement_id"),
        Index("ix_progress_evidence_statement_id", "statement_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("enrollments.id"))
    module_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("program_modules.id"))
    statement_pk: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("statements.pk", ondelete="CASCADE")
    )
    statement_id: Mapped[str] = mapped_column(StatementId)
    verb_id: Mapped[str] = mapped_column(Text)
    score: Mapped[Decimal | None] = mapped_column(SCORE)
    success: Mapped[bool | None] = mapped_column(Boolean)
    completion: Mapped[bool | None] = mapped_column(Boolean)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)


class ModuleProgress(Base):
    """The state of one module for one enrollment, derived from its non-voided evidence."""

    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "module_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("enrollments.id"))
    module_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("program_modules.id"))
    status: Mapped[str] = mapped_column(String(20))
    """not_started | in_progress | completed | passed | failed"""
    best_score: Mapped[Decimal | None] = mapped_column(SCORE)
    jp: Mapped[Decimal] = mapped_column(JP)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookSubscription(Base):
    """Where progress events are posted; the signing secret is kept Fernet-encrypted."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    cohort_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("cohorts.id"))
    """None: every cohort."""
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxEvent(Base):
    """A progress transition, written in the transaction that caused it (once: ``dedupe_key``)."""

    __tablename__ = "outbox_events"
    __table_args__ = (UniqueConstraint("dedupe_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(50))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    cohort_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cohorts.id"))
    enrollment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("enrollments.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event to one subscription: what the ``deliver`` worker claims, sends and retries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("outbox_events.id"))
    subscription_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("webhook_subscriptions.id"))
    status: Mapped[str] = mapped_column(String(20))
    """pending | delivered | failed"""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class Certificate(Base):
    """An STTPL issued to one participant of one cohort, with its public verification code.

    ``sequence`` counts the cohort's certificates (1, 2, …) and fills the program's number
    pattern; it is drawn with the cohort row locked, and the unique constraints stop a
    second number for the same participant or the same sequence twice in a cohort.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("enrollment_id"),
        UniqueConstraint("cohort_id", "sequence"),
        UniqueConstraint("public_code"),
        Index("ix_certificates_nip", "nip"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cohorts.id"))
    enrollment_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("enrollments.id"))
    nip: Mapped[str] = mapped_column(String(18))
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(200))
    public_code: Mapped[str] = mapped_column(String(32))
    """Random and unguessable: the address of the public verification page."""
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(320))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    revoked_by: Mapped[str | None] = mapped_column(String(320), default=None)
    revocation_reason: Mapped[str | None] = mapped_column(Text, default=None)
