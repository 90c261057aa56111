"""Single sign-on in a real browser: the button, the provider's round trip, the home page."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from lms_bridge.accounts import create_user
from lms_bridge.app import create_app
from lms_bridge.db import db
from tests.browser.conftest import AGENCY_A, LiveSite
from tests.conftest import HASH_METHOD, empty_all_tables, make_settings
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, running_provider

NIP = "198503302010121002"


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture(scope="module")
def sso_live_app(database_url: str, provider: OidcProvider) -> Iterator[Flask]:
    application = create_app(
        make_settings(
            database_url,
            oidc_issuer=provider.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            oidc_label="Masuk dengan SSO ASN",
        )
    )
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def sso_live_server(sso_live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, sso_live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def sso_site(sso_live_app: Flask, sso_live_server: str, provider: OidcProvider) -> LiveSite:
    with sso_live_app.app_context():
        empty_all_tables()
        create_user(
            "siti@lampung.go.id",
            "Siti Aminah",
            "auditor",
            [AGENCY_A],
            nip=NIP,
            actor="test",
            hash_method=HASH_METHOD,
        )
        db.session.remove()
    provider.identity = {}
    provider.signing_key = None
    return LiveSite(sso_live_server, sso_live_app)


def test_sso_button_signs_in_through_the_provider(
    page: Page,
    sso_site: LiveSite,
    provider: OidcProvider,
    screenshot: Callable[[Page, str], Path],
) -> None:
    provider.identity = {"sub": "kc-siti", "nip": NIP}
    page.goto(sso_site.url("/"))
    expect(page).to_have_url(sso_site.url("/login?next=/"))
    button = page.get_by_role("link", name="Masuk dengan SSO ASN")
    expect(button).to_be_visible()
    screenshot(page, "login-sso")
    button.click()
    page.wait_for_load_state()
    expect(page).to_have_url(sso_site.url("/"))
    expect(page.get_by_text("Siti Aminah")).to_be_visible()
    # A one-time password was generated for the account: SSO does not ask to change it.
    expect(page.get_by_role("heading", name="Instansi Anda")).to_be_visible()


def test_an_identity_linked_to_no_account_returns_to_sign_in(
    page: Page, sso_site: LiveSite, provider: OidcProvider
) -> None:
    provider.identity = {"sub": "kc-x", "email": "orang@lain.id", "email_verified": True}
    page.goto(sso_site.url("/login"))
    page.get_by_role("link", name="Masuk dengan SSO ASN").click()
    page.wait_for_load_state()
    expect(page).to_have_url(sso_site.url("/login"))
    expect(page.get_by_role("alert")).to_contain_text("tidak terhubung dengan akun aktif")
    page.goto(sso_site.url("/"))
    expect(page).to_have_url(sso_site.url("/login?next=/"))
