"""People who sign in to the pages (auditors, viewers, admins), apart from LMS client keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime


class User(Base):
    """A person's account. ``agencies`` scopes what an auditor or viewer sees.

    ``password_hash`` is a salted scrypt hash. ``session_token`` is part of the signed
    session cookie: changing it (password change, reset, disabling) ends every session the
    person has open, in every process, at their next request.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    agencies: Mapped[list[str]] = mapped_column(JSON)
    password_hash: Mapped[str] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(Boolean)
    session_token: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean)
    failed_signins: Mapped[int] = mapped_column(default=0)
    """Failures since the last successful sign-in (shown by ``users list``)."""
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    """Set when the account was last locked out; the lock itself is derived from attempts."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_signin_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    nip: Mapped[str | None] = mapped_column(String(18), unique=True, default=None)
    """The person's NIP, when known: single sign-on maps the provider's NIP claim to it."""


class SigninAttempt(Base):
    """One sign-in attempt, kept so every process counts failures the same way.

    ``email`` is what was typed (normalised), whether or not such an account exists, so the
    lock-out behaves the same for unknown addresses and never reveals which accounts exist.
    ``outcome``: ``success``, ``failure`` or ``locked`` (refused without checking).
    """

    __tablename__ = "signin_attempts"
    __table_args__ = (
        Index("ix_signin_attempts_email_at", "email", "attempted_at"),
        Index("ix_signin_attempts_address_at", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10))


class CohortAssignment(Base):
    """An instructor follows a cohort: its pages, matrix and attendance form."""

    __tablename__ = "cohort_assignments"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    cohort_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("cohorts.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ParticipantAssignment(Base):
    """A coach follows a participant (by NIP) in whichever cohort they are enrolled."""

    __tablename__ = "participant_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "nip"),
        Index("ix_participant_assignments_nip", "nip"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    nip: Mapped[str] = mapped_column(String(18))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
