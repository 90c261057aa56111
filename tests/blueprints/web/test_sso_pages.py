"""Single sign-on against a provider started here, following the redirects by hand."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lms_bridge.accounts import create_user, disable_user
from lms_bridge.app import create_app
from lms_bridge.db import db
from lms_bridge.models import AuditEvent, User
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.conftest import HASH_METHOD, empty_all_tables, make_settings
from tests.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    OidcProvider,
    new_rsa_key,
    running_provider,
)

NIP = "198503302010121002"
NOT_LINKED = "Identitas SSO Anda tidak terhubung dengan akun aktif di sini."
NOT_VERIFIED = "Masuk tunggal (SSO) tidak dapat diverifikasi."


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso_app(database_url: str, provider: OidcProvider) -> Iterator[Flask]:
    application = create_app(
        make_settings(
            database_url,
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_label="Masuk dengan SSO ASN",
        )
    )
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def sso_pages(sso_app: Flask, provider: OidcProvider) -> Iterator[PageClient]:
    with sso_app.app_context():
        empty_all_tables()
    provider.signing_key = None
    provider.identity = {}
    yield PageClient(sso_app)
    with sso_app.app_context():
        db.session.remove()


def make_account(app: Flask, email: str, *, nip: str | None = None) -> None:
    with app.app_context():
        create_user(
            email, "Siti", "viewer", [LAMPUNG], nip=nip, actor="test", hash_method=HASH_METHOD
        )
        db.session.remove()


def sso_callback(pages: PageClient) -> str:
    """Press the SSO button and let the provider answer; the callback URL it sent back to."""
    response = pages.get("/login/sso?next=/")
    assert response.status_code == 302
    at_provider = requests.get(response.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == "/login/sso/callback"
    return f"{back.path}?{back.query}"


def sign_in_by_sso(pages: PageClient) -> tuple[int, str]:
    """The full flow; the status and the Location the callback answered with."""
    response = pages.get(sso_callback(pages))
    return response.status_code, response.headers.get("Location", "")


def audited(app: Flask, action: str) -> dict[str, object]:
    """What the trail kept of the one event ``action``."""
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))
        db.session.remove()
    assert event is not None
    assert event.after is not None
    return dict(event.after)


def login_message(pages: PageClient) -> str:
    return str(pages.get("/login").get_data(as_text=True))


def test_button_shows_the_configured_label(sso_pages: PageClient) -> None:
    page = login_message(sso_pages)
    assert 'href="/login/sso"' in page
    assert "Masuk dengan SSO ASN" in page


def test_nip_claim_signs_in_to_the_account_with_that_nip(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    make_account(sso_pages.app, "siti@lampung.id", nip=NIP)
    # The e-mail is neither this account's nor verified: the NIP alone maps it.
    provider.identity = {"sub": "kc-123", "nip": NIP, "email": "x@y.id", "email_verified": False}
    assert sso_pages.get("/").status_code == 302  # not signed in yet
    status, location = sign_in_by_sso(sso_pages)
    assert (status, location) == (302, "/")
    home = sso_pages.get("/")
    assert home.status_code == 200
    assert "Siti" in home.get_data(as_text=True)
    with sso_pages.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "siti@lampung.id"))
        assert user is not None
        assert user.last_signin_at is not None
        db.session.remove()
    assert audited(sso_pages.app, "signin.sso")["sub"] == "kc-123"


def test_verified_email_signs_in_and_a_one_time_password_is_not_asked_to_change(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    make_account(sso_pages.app, "budi@lampung.id")  # generated password: must change it
    provider.identity = {"sub": "kc-9", "email": "Budi@Lampung.id", "email_verified": True}
    assert sign_in_by_sso(sso_pages) == (302, "/")
    assert sso_pages.get("/").status_code == 200


def test_unverified_email_is_refused(sso_pages: PageClient, provider: OidcProvider) -> None:
    make_account(sso_pages.app, "budi@lampung.id")
    provider.identity = {"sub": "kc-9", "email": "budi@lampung.id", "email_verified": False}
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert NOT_LINKED in login_message(sso_pages)
    assert sso_pages.get("/").status_code == 302


def test_email_of_an_account_with_another_nip_is_refused(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    make_account(sso_pages.app, "siti@lampung.id", nip=NIP)
    provider.identity = {
        "sub": "kc-1",
        "nip": "199001012015031001",
        "email": "siti@lampung.id",
        "email_verified": True,
    }
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert NOT_LINKED in login_message(sso_pages)


def test_unknown_identity_is_refused_with_the_message(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    provider.identity = {"sub": "kc-0", "email": "nobody@lampung.id", "email_verified": True}
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert NOT_LINKED in login_message(sso_pages)
    assert audited(sso_pages.app, "signin.sso_refused")["sub"] == "kc-0"


def test_disabled_account_is_refused_with_the_same_message(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    make_account(sso_pages.app, "siti@lampung.id", nip=NIP)
    with sso_pages.app.app_context():
        disable_user("siti@lampung.id", actor="test")
        db.session.remove()
    provider.identity = {"sub": "kc-123", "nip": NIP}
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert NOT_LINKED in login_message(sso_pages)
    assert sso_pages.get("/").status_code == 302


def test_tampered_state_is_refused(sso_pages: PageClient, provider: OidcProvider) -> None:
    make_account(sso_pages.app, "siti@lampung.id", nip=NIP)
    provider.identity = {"sub": "kc-123", "nip": NIP}
    callback = sso_callback(sso_pages).replace("state=", "state=x")
    before = provider.token_requests
    response = sso_pages.get(callback)
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert provider.token_requests == before  # the code was never exchanged
    assert NOT_VERIFIED in login_message(sso_pages)
    assert sso_pages.get("/").status_code == 302


def test_id_token_signed_by_another_key_is_refused(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    make_account(sso_pages.app, "siti@lampung.id", nip=NIP)
    provider.identity = {"sub": "kc-123", "nip": NIP}
    provider.signing_key = new_rsa_key()
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert NOT_VERIFIED in login_message(sso_pages)
    assert sso_pages.get("/").status_code == 302


def test_error_from_the_provider_is_refused(sso_pages: PageClient) -> None:
    response = sso_pages.get("/login/sso/callback?error=access_denied&state=whatever")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert NOT_VERIFIED in login_message(sso_pages)


def test_unreachable_provider_sends_back_to_login(database_url: str) -> None:
    application = create_app(
        make_settings(database_url, oidc_issuer="http://127.0.0.1:9", oidc_client_id=CLIENT_ID)
    )
    application.config["TESTING"] = True
    pages = PageClient(application)
    response = pages.get("/login/sso")
    assert (response.status_code, response.headers["Location"]) == (302, "/login")
    assert "Layanan masuk tunggal (SSO) tidak dapat dihubungi" in login_message(pages)


def test_sso_off_shows_no_button_and_has_no_route(pages: PageClient) -> None:
    page = pages.get("/login").get_data(as_text=True)
    assert "/login/sso" not in page
    assert pages.get("/login/sso").status_code == 404
    assert pages.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_the_refusal_is_in_english_for_a_person_who_chose_it(
    sso_pages: PageClient, provider: OidcProvider
) -> None:
    sso_pages.client.set_cookie("lang", "en")
    provider.identity = {"sub": "kc-0", "email": "nobody@lampung.id", "email_verified": True}
    assert sign_in_by_sso(sso_pages) == (302, "/login")
    assert "not linked to an active account here" in login_message(sso_pages)
