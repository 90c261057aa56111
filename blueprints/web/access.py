"""Who is signed in, and the checks every page makes before it calls a service.

Another agency's pages and downloads are 404, not 403: a person must not learn that an
agency they do not see exists. A wrong role on a page they know of is 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import abort, redirect, request, url_for
from flask_login import UserMixin, current_user

from lms_bridge.accounts import Principal, SessionAccount

P = ParamSpec("P")
R = TypeVar("R")


class SignedInPerson(UserMixin):  # type: ignore[misc]
    """Flask-Login's user: the account's principal and the token its cookie carries.

    The cookie holds ``<user id>:<session token>``; a changed password, a reset or a
    disabled account changes the token, so every older cookie stops working at once.
    """

    def __init__(self, account: SessionAccount) -> None:
        self.account = account

    def get_id(self) -> str:
        return f"{self.account.principal.user_id}:{self.account.session_token}"


def signed_in_account() -> SessionAccount | None:
    """The signed-in account of this request, or None."""
    if not current_user.is_authenticated:
        return None
    account: SessionAccount = current_user.account
    return account


def current_principal() -> Principal:
    """The signed-in person (call it behind ``role_required``; 401 otherwise)."""
    account = signed_in_account()
    if account is None:
        abort(401)
    return account.principal


def role_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Pages for these roles (admin always): anonymous → /login, another role → 403.

    With no roles, any signed-in person may see the page.
    """

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            account = signed_in_account()
            if account is None:
                abort(redirect(url_for("web.account.login", next=request.full_path.rstrip("?"))))
            principal = account.principal
            if roles and not principal.is_admin and principal.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def require_agency(agency: str) -> Principal:
    """The principal, after a 404 unless they see ``agency``."""
    principal = current_principal()
    if not principal.sees_agency(agency):
        abort(404)
    return principal


def require_cohort(cohort_id: int) -> Principal:
    """The principal, after a 404 unless they follow cohort ``cohort_id`` (admins: any)."""
    principal = current_principal()
    if not principal.sees_cohort(cohort_id):
        abort(404)
    return principal


def require_participant(cohort_id: int, nip: str) -> Principal:
    """The principal, after a 404 unless they follow participant ``nip`` of the cohort."""
    principal = current_principal()
    if not principal.sees_participant(cohort_id, nip):
        abort(404)
    return principal
