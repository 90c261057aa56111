"""An administrator's pages in a real browser: LMS clients (the policy, the statement browser
and the role checks follow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import LiveSite, sign_in
from tests.conftest import basic_auth
from tests.lms_bridge.credit.builders import completion


@pytest.fixture
def admin(page: Page, site: LiveSite, make_account: Callable[..., str]) -> Page:
    sign_in(page, site, make_account("admin@bpsdm.go.id", "admin", name="Admin BPSDM"))
    return page


def test_an_admin_creates_a_client_whose_secret_authenticates_xapi(
    admin: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    admin.goto(site.url("/"))
    admin.get_by_role("link", name="Klien LMS").click()
    admin.get_by_label("Nama klien").fill("Moodle Lampung")
    admin.get_by_label("statements/write").check()
    admin.get_by_role("button", name="Buat klien").click()
    key = admin.locator("#client-key").inner_text()
    secret = admin.locator("#client-secret").inner_text()
    screenshot(admin, "admin-client-created")
    response = site.app.test_client().post(
        "/xapi/statements",
        json=completion(),
        headers={"Authorization": basic_auth(key, secret), "X-Experience-API-Version": "1.0.3"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    admin.get_by_role("link", name="Kembali ke klien LMS").click()
    row = admin.locator(f'tr[data-client-key="{key}"]')
    assert "Moodle Lampung" in row.inner_text()
    assert secret not in admin.content()
    screenshot(admin, "admin-clients")
