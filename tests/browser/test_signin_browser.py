"""A person signs in, fails, is locked out, signs out, switches language, meets CSRF and
another agency's 404, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from lms_bridge.people import import_people
from tests.browser.conftest import AGENCY_A, AGENCY_B, PASSWORD, LiveSite, sign_in
from tests.people import person_row


def test_sign_in_lands_on_home_in_indonesian(
    page: Page,
    site: LiveSite,
    make_account: Callable[..., str],
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.goto(site.url("/"))
    expect(page).to_have_url(site.url("/login?next=/"))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    screenshot(page, "login")
    sign_in(page, site, make_account("auditor@lampung.go.id", "auditor", AGENCY_A))
    expect(page).to_have_url(site.url("/"))
    expect(page.get_by_role("heading", name="Instansi Anda")).to_be_visible()
    expect(page.get_by_role("link", name=AGENCY_A)).to_be_visible()
    expect(page.get_by_text("Siti Aminah")).to_be_visible()
    screenshot(page, "home")


def test_a_wrong_password_is_refused_with_one_message(
    page: Page, site: LiveSite, make_account: Callable[..., str]
) -> None:
    sign_in(page, site, make_account("a@x.id", "viewer", AGENCY_A), "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Email atau kata sandi salah.")
    expect(page.get_by_label("Email")).to_have_value("a@x.id")
    expect(page).to_have_url(site.url("/login"))


def test_five_failures_lock_the_account_out(
    page: Page, site: LiveSite, make_account: Callable[..., str]
) -> None:
    email = make_account("a@x.id", "viewer", AGENCY_A)
    for _ in range(5):
        sign_in(page, site, email, "wrong-password")
    expect(page.get_by_role("alert")).to_contain_text("Terlalu banyak percobaan masuk")
    sign_in(page, site, email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Coba lagi dalam 15 menit")
    expect(page).to_have_url(site.url("/login"))


def test_sign_out_ends_the_session(signed_in_page: Page, site: LiveSite) -> None:
    signed_in_page.get_by_role("button", name="Keluar").click()
    expect(signed_in_page).to_have_url(site.url("/login"))
    expect(signed_in_page.get_by_role("status")).to_have_text("Anda telah keluar.")
    signed_in_page.goto(site.url("/"))
    expect(signed_in_page).to_have_url(site.url("/login?next=/"))


def test_the_language_switch_goes_to_english_and_back_and_is_remembered(
    signed_in_page: Page, site: LiveSite
) -> None:
    signed_in_page.get_by_role("button", name="English").click()
    expect(signed_in_page.get_by_role("heading", name="Your agencies")).to_be_visible()
    expect(signed_in_page.locator("html")).to_have_attribute("lang", "en")
    signed_in_page.reload()
    expect(signed_in_page.get_by_role("button", name="Sign out")).to_be_visible()
    signed_in_page.get_by_role("button", name="Sign out").click()
    expect(signed_in_page.get_by_role("heading", name="Sign in")).to_be_visible()
    signed_in_page.get_by_role("button", name="Bahasa Indonesia").click()
    expect(signed_in_page.get_by_role("heading", name="Masuk")).to_be_visible()
    signed_in_page.goto(site.url("/login"))
    expect(signed_in_page.get_by_role("heading", name="Masuk")).to_be_visible()


def test_a_post_without_the_csrf_token_is_refused(signed_in_page: Page, site: LiveSite) -> None:
    response = signed_in_page.request.post(site.url("/logout"), form={"next": "/"})
    assert response.status == 400
    assert "Formulir kedaluwarsa" in response.text()
    signed_in_page.goto(site.url("/"))
    expect(signed_in_page).to_have_url(site.url("/"))


def test_a_viewer_of_one_agency_gets_404_on_another(
    page: Page, site: LiveSite, make_account: Callable[..., str]
) -> None:
    with site.app.app_context():
        import_people([person_row("198503302010121002", "Siti Aminah", agency=AGENCY_A)])
    sign_in(page, site, make_account("viewer@lampung.go.id", "viewer", AGENCY_A))
    expect(page.get_by_role("heading", name=AGENCY_A)).to_be_visible()  # straight to its year
    response = page.goto(site.url(f"/agencies/{AGENCY_B}"))
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
