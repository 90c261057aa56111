"""Signing in and out, changing one's password, choosing the language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import LazyString, lazy_gettext, ngettext
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from blueprints.web.access import SignedInPerson, current_principal, role_required
from blueprints.web.i18n import LANGUAGE_COOKIE, LOCALES
from lms_bridge.accounts import (
    AccountError,
    PasswordRejected,
    SessionAccount,
    WrongPassword,
    authenticate,
    change_password,
    load_session_account,
    record_signout,
)
from lms_bridge.accounts.users import PASSWORD_MIN_LENGTH
from lms_bridge.settings import current_settings

bp = Blueprint("account", __name__)

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and "\\" not in target:
            return target
    return url_for("web.home.index")


def start_session(account: SessionAccount) -> None:
    """A fresh session for the signed-in person (only the language choice carries over)."""
    language = session.get(LANGUAGE_COOKIE)
    session.clear()
    if language:
        session[LANGUAGE_COOKIE] = language
    login_user(SignedInPerson(account))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """The sign-in form; one message for every failure, whether or not the account exists."""
    email = ""
    status = 200
    if request.method == "POST":
        email = request.form.get("email", "")
        result = authenticate(
            email,
            request.form.get("password", ""),
            address=request.remote_addr or "unknown",
            settings=current_settings(),
        )
        if result.outcome == "success" and result.principal and result.session_token:
            start_session(
                SessionAccount(result.principal, result.session_token, result.must_change_password)
            )
            if result.must_change_password:
                flash(_("Please choose your own password before you continue."), "info")
                return redirect(url_for("web.account.password"))
            return redirect(safe_next(request.args.get("next")))
        if result.outcome == "locked":
            minutes = max(1, (result.retry_after_seconds + 59) // 60)
            flash(
                ngettext(
                    "Too many failed sign-ins. Try again in %(num)d minute.",
                    "Too many failed sign-ins. Try again in %(num)d minutes.",
                    minutes,
                ),
                "error",
            )
            status = 429
        else:
            flash(_("The email or the password is wrong."), "error")
            status = 401
    return render_template("web/login.html", email=email), status


@bp.route("/logout", methods=["POST"])
@role_required()
def logout() -> ResponseReturnValue:
    """Sign out (POST, so no link or image can sign anyone out)."""
    record_signout(current_principal())
    language = session.get(LANGUAGE_COOKIE)
    logout_user()
    session.clear()
    if language:
        session[LANGUAGE_COOKIE] = language
    flash(_("You have signed out."), "info")
    return redirect(url_for("web.account.login"))


PASSWORD_MESSAGES: dict[type[AccountError], LazyString] = {
    WrongPassword: lazy_gettext("The current password is wrong."),
    PasswordRejected: lazy_gettext(
        "The new password needs at least %(count)d characters, must differ from the old "
        "one and from your email.",
        count=PASSWORD_MIN_LENGTH,
    ),
}


@bp.route("/account/password", methods=["GET", "POST"])
@role_required()
def password() -> ResponseReturnValue:
    """Change one's own password; the other sessions of the account end."""
    status = 200
    if request.method == "POST":
        new = request.form.get("new_password", "")
        if new != request.form.get("confirm_password", ""):
            flash(_("The two new passwords are not the same."), "error")
            status = 400
        else:
            principal = current_principal()
            try:
                token = change_password(
                    principal.user_id,
                    current=request.form.get("current_password", ""),
                    new=new,
                    hash_method=current_settings().secret_hash_method,
                )
            except AccountError as error:
                message = PASSWORD_MESSAGES.get(type(error))
                flash(str(message or _("The password could not be changed.")), "error")
                status = 400
            else:
                account = load_session_account(principal.user_id, token)
                if account is not None:
                    start_session(account)
                flash(_("Your password was changed."), "info")
                return redirect(url_for("web.home.index"))
    return render_template("web/password.html", min_length=PASSWORD_MIN_LENGTH), status


@bp.route("/language", methods=["POST"])
def language() -> Response:
    """Switch the pages' language; remembered in the session and a year-long cookie."""
    chosen = request.form.get("lang", "")
    response = make_response(redirect(safe_next(request.form.get("next"))))
    if chosen in LOCALES:
        session[LANGUAGE_COOKIE] = chosen
        response.set_cookie(
            LANGUAGE_COOKIE,
            chosen,
            max_age=LANGUAGE_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure,
        )
    return response
