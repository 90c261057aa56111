"""People's accounts: create, list, disable, reset and change passwords, load for a session.

Passwords are stored as salted scrypt hashes (the method of client secrets,
``Settings.secret_hash_method``, which callers pass as ``hash_method``). A generated
password is one-time: the person must choose their own at first sign-in. Every change is
written to the audit trail in the same transaction. Errors carry a ``code`` the pages
translate and a bilingual ``message`` the CLI prints.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from lms_bridge.accounts.principal import ROLES, Principal
from lms_bridge.accounts.scope import followed_scope
from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import User
from lms_bridge.people.nip import is_nip_shaped, normalise_nip

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SCOPED_ROLES = frozenset({"auditor", "viewer", "instructor", "coach", "organiser"})


class AccountError(ValueError):
    """An account change is refused. ``code`` names the reason for the pages' catalogs;
    ``message`` says it in Bahasa Indonesia, then English, for the CLI."""

    code = "account"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AccountNotFound(AccountError):
    """No account has this email."""

    code = "not_found"


class AccountInvalid(AccountError):
    """The account's details are wrong (email, role, agencies, duplicate)."""

    code = "invalid"


class PasswordRejected(AccountError):
    """A new password is too short, too long or equals the email."""

    code = "password_rejected"


class WrongPassword(AccountError):
    """The current password given to change it is wrong."""

    code = "wrong_password"


@dataclass(frozen=True)
class IssuedPassword:
    """An account and the password it was given (shown once when it was generated)."""

    user_id: int
    email: str
    password: str
    generated: bool


@dataclass(frozen=True)
class AccountLine:
    """One account as ``users list`` shows it (never its password hash)."""

    email: str
    name: str
    role: str
    agencies: tuple[str, ...]
    active: bool
    failed_signins: int
    created_at: datetime
    last_signin_at: datetime | None


@dataclass(frozen=True)
class SessionAccount:
    """What a signed-in request needs: the principal, and whether it must change password."""

    principal: Principal
    session_token: str
    must_change_password: bool


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


def _check_new_password(password: str, email: str) -> None:
    if len(password) < PASSWORD_MIN_LENGTH:
        raise PasswordRejected(
            f"kata sandi minimal {PASSWORD_MIN_LENGTH} karakter "
            f"(the password needs at least {PASSWORD_MIN_LENGTH} characters)"
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise PasswordRejected(
            f"kata sandi paling banyak {PASSWORD_MAX_LENGTH} karakter "
            f"(the password has at most {PASSWORD_MAX_LENGTH} characters)"
        )
    if password.strip().lower() == email:
        raise PasswordRejected(
            "kata sandi tidak boleh sama dengan email (the password cannot be the email)"
        )


def _account(session: Session, email: str, *, for_update: bool = False) -> User:
    query = select(User).where(User.email == normalise_email(email))
    user = session.scalar(query.with_for_update() if for_update else query)
    if user is None:
        raise AccountNotFound(f"akun {email!r} tidak ada (no account {email!r})")
    return user


def account_for_update(session: Session, email: str) -> User:
    """The account with this email, row-locked for a change (AccountNotFound otherwise)."""
    return _account(session, email, for_update=True)


def _snapshot(user: User) -> dict[str, object]:
    """What the audit trail keeps of an account (never the hash)."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "agencies": sorted(user.agencies),
        "active": user.active,
    }


def _checked_access(role: str, agencies: Iterable[str]) -> list[str]:
    """The agencies, cleaned and sorted, after refusing an unknown role or a scoped role
    that names none."""
    if role not in ROLES:
        raise AccountInvalid(
            f"peran tidak dikenal: {role!r}; pilih {', '.join(ROLES)} "
            f"(unknown role; choose one of {', '.join(ROLES)})"
        )
    chosen = sorted({agency.strip() for agency in agencies if agency.strip()})
    if role in SCOPED_ROLES and not chosen:
        raise AccountInvalid(
            f"peran {role} memerlukan minimal satu --agency (role {role} needs an --agency)"
        )
    return chosen


def create_user(
    email: str,
    name: str,
    role: str,
    agencies: Iterable[str] = (),
    *,
    password: str | None = None,
    nip: str | None = None,
    actor: str,
    hash_method: str,
) -> IssuedPassword:
    """Create an account; without ``password`` a one-time password is generated. ``nip``
    lets single sign-on find the account by the provider's NIP claim."""
    email = normalise_email(email)
    if nip is not None:
        nip = normalise_nip(nip)
        if not is_nip_shaped(nip):
            raise AccountInvalid(f"NIP tidak sah: {nip!r} (a NIP is 18 digits)")
    if not EMAIL.match(email) or len(email) > 320:
        raise AccountInvalid(f"email tidak sah: {email!r} (not a valid email)")
    if not name.strip():
        raise AccountInvalid("nama wajib diisi (a name is required)")
    chosen = _checked_access(role, agencies)
    generated = password is None
    password = password if password is not None else secrets.token_urlsafe(12)
    _check_new_password(password, email)
    with unit_of_work() as session:
        if session.scalar(select(User.id).where(User.email == email)) is not None:
            raise AccountInvalid(f"akun {email!r} sudah ada (the account exists already)")
        if nip is not None and session.scalar(select(User.id).where(User.nip == nip)):
            raise AccountInvalid(f"NIP {nip} sudah dipakai akun lain (another account has it)")
        user = User(
            email=email,
            name=name.strip(),
            role=role,
            agencies=chosen,
            password_hash=generate_password_hash(password, method=hash_method),
            must_change_password=generated,
            session_token=secrets.token_urlsafe(24),
            active=True,
            failed_signins=0,
            created_at=utcnow(),
            nip=nip,
        )
        session.add(user)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="account.create",
            subject_type="user",
            subject_id=email,
            after=_snapshot(user),
        )
        return IssuedPassword(user.id, email, password, generated)


def list_users() -> list[AccountLine]:
    """Every account, by email."""
    with unit_of_work(writes=False) as session:
        return [
            AccountLine(
                user.email,
                user.name,
                user.role,
                tuple(user.agencies),
                user.active,
                user.failed_signins,
                user.created_at,
                user.last_signin_at,
            )
            for user in session.scalars(select(User).order_by(User.email))
        ]


def disable_user(email: str, *, actor: str, reason: str | None = None) -> None:
    """Stop the account from signing in; its open sessions end at their next request."""
    with unit_of_work() as session:
        user = _account(session, email, for_update=True)
        before = _snapshot(user)
        user.active = False
        user.session_token = secrets.token_urlsafe(24)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="account.disable",
            subject_type="user",
            subject_id=user.email,
            before=before,
            after=_snapshot(user),
            reason=reason,
        )


def change_access(email: str, role: str, agencies: Iterable[str], *, actor: str) -> None:
    """Give the account another role or agencies; its open sessions end (they carried the
    old ones)."""
    chosen = _checked_access(role, agencies)
    with unit_of_work() as session:
        user = _account(session, email, for_update=True)
        before = _snapshot(user)
        if (user.role, sorted(user.agencies)) == (role, chosen):
            return
        user.role = role
        user.agencies = chosen
        user.session_token = secrets.token_urlsafe(24)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="account.change_access",
            subject_type="user",
            subject_id=user.email,
            before=before,
            after=_snapshot(user),
        )


def reset_password(
    email: str, *, actor: str, hash_method: str, password: str | None = None
) -> IssuedPassword:
    """A new password (one-time when generated); the account is active again, sessions end."""
    with unit_of_work() as session:
        user = _account(session, email, for_update=True)
        generated = password is None
        password = password if password is not None else secrets.token_urlsafe(12)
        _check_new_password(password, user.email)
        before = _snapshot(user)
        user.password_hash = generate_password_hash(password, method=hash_method)
        user.must_change_password = generated
        user.session_token = secrets.token_urlsafe(24)
        user.active = True
        user.failed_signins = 0
        user.locked_until = None
        session.flush()
        record_event(
            session,
            actor=actor,
            action="account.reset_password",
            subject_type="user",
            subject_id=user.email,
            before=before,
            after=_snapshot(user),
        )
        return IssuedPassword(user.id, user.email, password, generated)


def change_password(user_id: int, *, current: str, new: str, hash_method: str) -> str:
    """The person replaces their password; returns the new session token (other sessions
    end, this one is renewed by the caller)."""
    with unit_of_work() as session:
        user = session.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None or not user.active:
            raise AccountNotFound(f"akun {user_id} tidak ada (no account {user_id})")
        if not check_password_hash(user.password_hash, current):
            raise WrongPassword("kata sandi saat ini salah (the current password is wrong)")
        _check_new_password(new, user.email)
        if check_password_hash(user.password_hash, new):
            raise PasswordRejected(
                "kata sandi baru harus berbeda (the new password must be different)"
            )
        user.password_hash = generate_password_hash(new, method=hash_method)
        user.must_change_password = False
        user.session_token = secrets.token_urlsafe(24)
        session.flush()
        record_event(
            session,
            actor=user.email,
            action="account.change_password",
            subject_type="user",
            subject_id=user.email,
        )
        return user.session_token


def principal_of(session: Session, user: User) -> Principal:
    """The principal an account signs in as, with the cohorts and participants it follows."""
    cohorts, participants = followed_scope(session, user)
    return Principal(
        user.id, user.email, user.name, user.role, frozenset(user.agencies), cohorts, participants
    )


def load_session_account(user_id: int, session_token: str) -> SessionAccount | None:
    """The account behind a session cookie, or None when it was disabled or its password
    changed since (the token no longer matches)."""
    with unit_of_work(writes=False) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        if not secrets.compare_digest(user.session_token, session_token):
            return None
        return SessionAccount(
            principal_of(session, user), user.session_token, user.must_change_password
        )
