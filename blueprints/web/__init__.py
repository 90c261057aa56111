"""Pages for people (auditors, viewers, admins): sign-in, the layout, and page modules.

Each page module is a blueprint nested under ``web``; add one with a line in ``PAGES``. Every
page gets what ``web`` sets up: Flask-Login sessions, CSRF on every POST, the person's
language, and must-change-password redirects.
"""

from __future__ import annotations

from itertools import chain

from flask import Blueprint, Flask, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import LoginManager
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from wtforms import ValidationError

from blueprints.storable import request_fields, unstorable_field
from blueprints.web.access import SignedInPerson, signed_in_account
from blueprints.web.account import bp as account_pages
from blueprints.web.agency_pages import bp as agency_pages
from blueprints.web.clients import bp as client_pages
from blueprints.web.cohorts import bp as cohort_pages
from blueprints.web.directory import bp as directory_pages
from blueprints.web.entries import bp as entry_pages
from blueprints.web.errors import UnstorableInput
from blueprints.web.export_pages import bp as export_pages
from blueprints.web.headers import page_headers
from blueprints.web.home import bp as home_pages
from blueprints.web.i18n import LOCALES, init_i18n, selected_locale
from blueprints.web.navigation import NAVIGATION, role_label
from blueprints.web.organisers import bp as organiser_pages
from blueprints.web.person_pages import bp as person_pages
from blueprints.web.policy import bp as policy_pages
from blueprints.web.queue import bp as queue_pages
from blueprints.web.sessions import PageSessions
from blueprints.web.sso import SIGNED_IN_BY_SSO, init_sso
from blueprints.web.sso import bp as sso_pages
from blueprints.web.statements import bp as statement_pages
from blueprints.web.unmatched import bp as unmatched_pages
from blueprints.web.users import bp as user_pages
from blueprints.web.verification import bp as verification_pages
from blueprints.web.webhooks import bp as webhook_pages
from lms_bridge.accounts import load_session_account
from lms_bridge.settings import Settings

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

PAGES: list[Blueprint] = [
    account_pages,
    sso_pages,
    home_pages,
    queue_pages,
    entry_pages,
    unmatched_pages,
    agency_pages,
    person_pages,
    export_pages,
    organiser_pages,
    verification_pages,
    cohort_pages,
    client_pages,
    webhook_pages,
    directory_pages,
    user_pages,
    policy_pages,
    statement_pages,
]
"""Page modules, one line each (their endpoints are ``web.<name>.<view>``)."""

for page in PAGES:
    bp.register_blueprint(page)

login_manager = LoginManager()
login_manager.session_protection = "basic"
login_manager.login_view = "web.account.login"
PASSWORD_CHANGE_EXEMPT = frozenset(
    {
        "web.account.password",
        "web.account.login",
        "web.account.logout",
        "web.account.language",
        "web.static",
    }
)


def _load_person(cookie_id: str) -> SignedInPerson | None:
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    account = load_session_account(int(user_id), token)
    return SignedInPerson(account) if account is not None else None


login_manager.user_loader(_load_person)


@bp.before_request
def _guard_pages() -> ResponseReturnValue | None:
    """What no query can carry is refused first (the gate /xapi and /api/v1 share), then CSRF
    on every POST of every page; a one-time password must be replaced first."""
    problem = unstorable_field(
        chain(
            request_fields(request.view_args, request.args.to_dict(flat=False), ()),
            request_fields(None, request.form.to_dict(flat=False), ()),
        )
    )
    if problem is not None:
        raise UnstorableInput(problem[0])
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        try:
            validate_csrf(request.form.get("csrf_token") or request.headers.get("X-CSRFToken"))
        except ValidationError as error:
            raise CSRFError(str(error)) from error
    account = signed_in_account()
    if (
        account is not None
        and account.must_change_password
        and not session.get(SIGNED_IN_BY_SSO)
        and request.endpoint not in PASSWORD_CHANGE_EXEMPT
    ):
        return redirect(url_for("web.account.password"))
    return None


bp.after_request(page_headers)


@bp.app_context_processor
def _layout_context() -> dict[str, object]:
    def navigation() -> list[object]:
        account = signed_in_account()
        if account is None:
            return []
        return [item for item in NAVIGATION if item.shown_to(account.principal)]

    return {
        "signed_in_account": signed_in_account,
        "navigation": navigation,
        "current_locale": selected_locale,
        "locales": LOCALES,
        "role_label": role_label,
    }


def init_web(app: Flask, settings: Settings) -> None:
    """Sessions, sign-in, CSRF, catalogs and the pages, on ``app``."""
    # Nothing here adds an app-wide request hook: machine requests under /xapi and /api/v1
    # run exactly the hooks they ran before the pages existed.
    app.session_interface = PageSessions()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_NAME="lms_bridge_session",
        # CSRF is checked by the pages' own hook, so /xapi and /api/v1 never pay for it.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    # LoginManager.init_app would add an app-wide after_request for remember-me cookies,
    # which the pages never set; attaching the manager is all Flask-Login needs.
    app.login_manager = login_manager  # type: ignore[attr-defined]
    app.jinja_env.globals["csrf_token"] = generate_csrf
    init_i18n(app)
    init_sso(app, settings)
    app.register_blueprint(bp)
