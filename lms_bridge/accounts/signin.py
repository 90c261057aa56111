"""Signing in, with failures counted in the database so every process locks out alike.

An account is locked after ``signin_max_failures`` failures within ``signin_window_seconds``
(counted since its last success), and an address after ``signin_address_max_failures``.
Attempts are counted by the email typed, whether or not such an account exists, and an
unknown or disabled account costs the same password check: the answer, its wording and its
timing never reveal which accounts exist. Every attempt is written to the audit trail.

The password check (scrypt: tens of milliseconds by design) runs outside any transaction:
on SQLite a writing transaction holds the database's write lock, and statements from LMSs
must not queue behind a sign-in. The outcome is then written in a short transaction that
counts the failures again under a per-account lock, so attempts racing in parallel cannot
get past the limit: those that arrive after it are refused as locked.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from werkzeug.security import check_password_hash, generate_password_hash

from lms_bridge.accounts.principal import Principal
from lms_bridge.accounts.users import normalise_email, principal_of
from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import SigninAttempt, User
from lms_bridge.settings import Settings
from lms_bridge.sql.locks import lock_keys

Outcome = Literal["success", "failure", "locked"]


@dataclass(frozen=True)
class SigninResult:
    """What a sign-in attempt came to. ``retry_after_seconds`` is set when locked."""

    outcome: Outcome
    principal: Principal | None = None
    session_token: str | None = None
    must_change_password: bool = False
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class _Failures:
    """The failures that count now: for the account typed, and from the address."""

    account: list[datetime]
    address: list[datetime]

    def retry_after(self, settings: Settings, now: datetime) -> int | None:
        """Seconds until a lock lifts, or None when neither the account nor the address is
        locked (a lock lifts when enough failures have left the window)."""
        window = timedelta(seconds=settings.signin_window_seconds)
        for failures, limit in (
            (self.account, settings.signin_max_failures),
            (self.address, settings.signin_address_max_failures),
        ):
            if limit and len(failures) >= limit:
                retry = failures[len(failures) - limit] + window - now
                return max(1, int(retry.total_seconds()))
        return None


@cache
def _decoy_hash(method: str) -> str:
    """A hash to check when there is no account, so an unknown email takes as long."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _failures_since(
    session: Session, column: InstrumentedAttribute[str], value: str, since: datetime
) -> list[datetime]:
    rows = session.scalars(
        select(SigninAttempt.attempted_at)
        .where(
            column == value,
            SigninAttempt.outcome == "failure",
            SigninAttempt.attempted_at >= since,
        )
        .order_by(SigninAttempt.attempted_at)
    )
    return list(rows)


def _failures(
    session: Session, email: str, address: str, settings: Settings, now: datetime
) -> _Failures:
    start = now - timedelta(seconds=settings.signin_window_seconds)
    last_success = session.scalar(
        select(func.max(SigninAttempt.attempted_at)).where(
            SigninAttempt.email == email, SigninAttempt.outcome == "success"
        )
    )
    since = max(start, last_success) if last_success else start
    return _Failures(
        _failures_since(session, SigninAttempt.email, email, since),
        _failures_since(session, SigninAttempt.address, address, start),
    )


def authenticate(email: str, password: str, *, address: str, settings: Settings) -> SigninResult:
    """Check ``email``/``password`` from ``address``; record the attempt either way.

    ``settings`` give the lock-out's limits and window, and the decoy hash's method.
    """
    email = normalise_email(email)[:320]
    address = address[:64]
    with unit_of_work(writes=False) as session:
        locked_for = _failures(session, email, address, settings, utcnow()).retry_after(
            settings, utcnow()
        )
        stored_hash = session.scalar(
            select(User.password_hash).where(User.email == email, User.active.is_(True))
        )
    if locked_for is None:
        # Outside any transaction: the costly check holds no lock.
        matches = check_password_hash(
            stored_hash or _decoy_hash(settings.secret_hash_method), password
        )
    with unit_of_work() as session:
        lock_keys(session, [f"lms_bridge:signin:{email}"])  # one account's outcomes queue
        now = utcnow()
        failures = _failures(session, email, address, settings, now)
        locked_for = failures.retry_after(settings, now)
        if locked_for is not None:
            _record(session, email, address, "locked", now)
            return SigninResult("locked", retry_after_seconds=locked_for)
        user = session.scalar(select(User).where(User.email == email).with_for_update())
        if (
            matches
            and user is not None
            and user.active
            and stored_hash is not None
            and user.password_hash == stored_hash  # not changed while it was being checked
        ):
            user.failed_signins = 0
            user.locked_until = None
            user.last_signin_at = now
            _record(session, email, address, "success", now)
            return SigninResult(
                "success",
                principal_of(session, user),
                user.session_token,
                user.must_change_password,
            )

        _record(session, email, address, "failure", now)
        window = timedelta(seconds=settings.signin_window_seconds)
        now_locked = len(failures.account) + 1 >= settings.signin_max_failures > 0
        if user is not None:
            user.failed_signins += 1
            if now_locked:
                user.locked_until = now + window
        if now_locked:
            record_event(
                session,
                actor=email,
                action="signin.lockout",
                subject_type="user",
                subject_id=email,
                after={"address": address, "failures": len(failures.account) + 1},
            )
            return SigninResult("locked", retry_after_seconds=int(window.total_seconds()))
        return SigninResult("failure")


def _record(session: Session, email: str, address: str, outcome: Outcome, now: datetime) -> None:
    session.add(SigninAttempt(attempted_at=now, email=email, address=address, outcome=outcome))
    record_event(
        session,
        actor=email,
        action=f"signin.{outcome}",
        subject_type="user",
        subject_id=email,
        after={"address": address},
    )


def record_signout(principal: Principal) -> None:
    """Signing out is part of the trail too (who left, when)."""
    with unit_of_work() as session:
        record_event(
            session,
            actor=principal.email,
            action="signout",
            subject_type="user",
            subject_id=principal.email,
        )
