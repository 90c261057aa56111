"""Single sign-on through an OpenID Connect provider (an agency's Keycloak, the ASN SSO).

Authlib's Flask client is the relying party: authorization code with PKCE (S256), ``state``
and ``nonce`` kept in the session and checked, the ID token's signature verified against
the JWKS named by the provider's discovery document, its issuer, audience and expiry too.
Which account the identity is, is decided by :func:`lms_bridge.accounts.sign_in_by_identity`.
Every failure goes back to /login with a message; none says which accounts exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from joserfc.errors import JoseError

from blueprints.web.account import safe_next, start_session
from lms_bridge.accounts import ProviderIdentity, SessionAccount, sign_in_by_identity
from lms_bridge.settings import Settings

bp = Blueprint("sso", __name__)
log = logging.getLogger(__name__)

EXTENSION = "lms_bridge.sso"
SIGNED_IN_BY_SSO = "signed_in_by_sso"
"""Session key: this session was opened by SSO, so a one-time password's change is not
asked for (the person never used the password)."""
_NEXT = "sso_next"
PROVIDER_TIMEOUT_SECONDS = 10
TOKEN_ERRORS = (OAuthError, JoseError, ValueError, KeyError, TypeError)
"""A bad or replayed state, an error from the provider, an ID token that does not verify."""
UNREACHABLE = lazy_gettext(
    "The single sign-on service cannot be reached now. Try again later, or sign in with "
    "your password."
)
NOT_VERIFIED = lazy_gettext("The single sign-on could not be verified. Please sign in again.")
NOT_LINKED = lazy_gettext(
    "Your single sign-on identity is not linked to an active account here. Ask your "
    "agency's administrator, or sign in with your password."
)


@dataclass(frozen=True)
class SsoProvider:
    """The configured provider: Authlib's client and the button's text (empty: default)."""

    client: object
    label: str
    nip_claim: str
    email_claim: str


def init_sso(app: Flask, settings: Settings) -> None:
    """Register the provider on ``app`` when LMS_BRIDGE_OIDC_ISSUER is set (else SSO is off)."""
    if not settings.oidc_issuer:
        return
    oauth = OAuth(app)
    client = oauth.register(
        "sso",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret or None,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": settings.oidc_scope,
            "code_challenge_method": "S256",
            "default_timeout": PROVIDER_TIMEOUT_SECONDS,
        },
    )
    app.extensions[EXTENSION] = SsoProvider(
        client, settings.oidc_label, settings.oidc_nip_claim, settings.oidc_email_claim
    )


def configured_provider() -> SsoProvider | None:
    """The app's provider, or None when SSO is off."""
    provider: SsoProvider | None = current_app.extensions.get(EXTENSION)
    return provider


@bp.app_context_processor
def _sso_context() -> dict[str, object]:
    return {"sso_provider": configured_provider}


def _back_to_login(message: str) -> ResponseReturnValue:
    flash(message, "error")
    return redirect(url_for("web.account.login"))


@bp.route("/login/sso")
def start() -> ResponseReturnValue:
    """Send the person to the provider. A link, not a form: the pages' CSP (form-action
    'self') stops a form's redirect to another origin. Starting SSO changes nothing here
    until the provider answers with a code bound to this session's state."""
    provider = configured_provider() or abort(404)
    session[_NEXT] = safe_next(request.args.get("next"))
    try:
        response: ResponseReturnValue = provider.client.authorize_redirect(  # type: ignore[attr-defined]
            url_for("web.sso.callback", _external=True)
        )
    except (requests.RequestException, *TOKEN_ERRORS) as error:
        log.warning("SSO provider unavailable: %s", error)
        return _back_to_login(str(UNREACHABLE))
    return response


@bp.route("/login/sso/callback")
def callback() -> ResponseReturnValue:
    """The provider's answer: verify it, map it to an account, open a normal session."""
    provider = configured_provider() or abort(404)
    try:
        token = provider.client.authorize_access_token()  # type: ignore[attr-defined]
    except requests.RequestException as error:
        log.warning("SSO provider unavailable: %s", error)
        return _back_to_login(str(UNREACHABLE))
    except TOKEN_ERRORS as error:
        log.warning("SSO answer refused: %s", error)
        return _back_to_login(str(NOT_VERIFIED))
    claims = token.get("userinfo") if isinstance(token, dict) else None
    if not claims or not claims.get("sub"):
        return _back_to_login(str(NOT_VERIFIED))
    identity = ProviderIdentity.from_claims(
        claims, nip_claim=provider.nip_claim, email_claim=provider.email_claim
    )
    result = sign_in_by_identity(identity, address=request.remote_addr or "unknown")
    if result.outcome != "success" or result.principal is None or result.session_token is None:
        return _back_to_login(str(NOT_LINKED))
    target = session.get(_NEXT)
    start_session(SessionAccount(result.principal, result.session_token, False))
    session[SIGNED_IN_BY_SSO] = True
    return redirect(safe_next(target if isinstance(target, str) else None))
