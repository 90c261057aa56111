"""An administrator's pages in a real browser: an LMS client whose secret then works, a
policy whose dry run lists the exact JP changes before it is applied, the statement browser
showing an attacker's activity name as text, and what an auditor may not open."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from lms_bridge.credit import active_policy, current_policy
from lms_bridge.credit.policy import DEFAULT_POLICY_FILE
from lms_bridge.credit.reports import person_credit
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import StoredPolicy
from lms_bridge.people import import_people
from tests.browser.conftest import AGENCY_A, AGENCY_B, LiveSite, sign_in
from tests.conftest import basic_auth, create_moodle_client
from tests.people import person_row
from tests.statements import NIP_A, NIP_B, asn, completion

XSS = "<script>alert(1)</script>"
THIRTY_MINUTE_JP = (
    DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    .replace('version: "2025.1"', 'version: "2025.2"')
    .replace("minutes_per_jp: 45 ", "minutes_per_jp: 30 ")
)


class Lms:
    """The live site's directory (one person per agency) and an LMS posting to it."""

    def __init__(self, site: LiveSite) -> None:
        self.site = site
        with site.app.app_context():
            import_people(
                [
                    person_row(NIP_A, "Siti Aminah", agency=AGENCY_A, unit="Dinas Pendidikan"),
                    person_row(NIP_B, "I Made Budi", agency=AGENCY_B, unit="Dinas Kesehatan"),
                ]
            )
            create_moodle_client()

    def post(self, *statements: dict[str, Any], key: str = "moodle", secret: str = "") -> int:
        response = self.site.app.test_client().post(
            "/xapi/statements",
            json=list(statements),
            headers={
                "Authorization": basic_auth(key, secret or "moodle-secret"),
                "X-Experience-API-Version": "1.0.3",
            },
        )
        return int(response.status_code)

    def total_jp(self, nip: str) -> Decimal:
        with self.site.app.app_context():
            total = person_credit(db.session(), current_policy(), nip, 2025).total_jp
            db.session.remove()
        return total


@pytest.fixture
def lms(site: LiveSite) -> Iterator[Lms]:
    yield Lms(site)
    with site.app.app_context():  # back on the policy file for the tests that follow
        with unit_of_work() as session:
            session.execute(delete(StoredPolicy))
        holder = active_policy()
        holder.adopt(None, holder.file_policy)
        db.session.remove()


@pytest.fixture
def admin(page: Page, site: LiveSite, make_account: Callable[..., str]) -> Page:
    sign_in(page, site, make_account("admin@bpsdm.go.id", "admin", name="Admin BPSDM"))
    return page


def test_an_admin_creates_a_client_whose_secret_authenticates_xapi(
    admin: Page, site: LiveSite, lms: Lms, screenshot: Callable[[Page, str], Path]
) -> None:
    admin.goto(site.url("/"))
    admin.get_by_role("link", name="Klien LMS").click()
    admin.get_by_label("Nama klien").fill("Moodle Lampung")
    admin.get_by_label("statements/write").check()
    admin.get_by_role("button", name="Buat klien").click()
    key = admin.locator("#client-key").inner_text()
    secret = admin.locator("#client-secret").inner_text()
    screenshot(admin, "admin-client-created")
    assert lms.post(completion(), key=key, secret=secret) == 200
    assert lms.post(completion(), key=key, secret="wrong") == 401
    admin.get_by_role("link", name="Kembali ke klien LMS").click()
    row = admin.locator(f'tr[data-client-key="{key}"]')
    expect(row).to_contain_text("Moodle Lampung")
    assert secret not in admin.content()
    screenshot(admin, "admin-clients")


def test_a_policy_dry_run_lists_the_exact_changes_before_it_is_applied(
    admin: Page, site: LiveSite, lms: Lms, screenshot: Callable[[Page, str], Path]
) -> None:
    assert lms.post(completion(minutes=90), completion(actor=asn(NIP_B), minutes=45)) == 200
    admin.goto(site.url("/admin/policy"))
    expect(admin.locator("table.rules")).to_contain_text("elearning-duration")
    screenshot(admin, "admin-policy")
    admin.set_input_files(
        "#policy-file",
        files=[
            {
                "name": "kebijakan.yaml",
                "mimeType": "application/yaml",
                "buffer": THIRTY_MINUTE_JP.encode(),
            }
        ],
    )
    admin.get_by_role("button", name="Unggah dan pratinjau").click()
    siti = admin.locator(f'tr[data-nip="{NIP_A}"][data-year="2025"]')
    budi = admin.locator(f'tr[data-nip="{NIP_B}"][data-year="2025"]')
    expect(siti.locator("td")).to_have_text([NIP_A, "Siti Aminah", "2025", "2", "3", "+1"])
    expect(budi.locator("td")).to_have_text([NIP_B, "I Made Budi", "2025", "1", "1,5", "+0,5"])
    assert admin.locator("table.jp-changes tbody tr").count() == 2
    screenshot(admin, "admin-policy-preview")
    assert (lms.total_jp(NIP_A), lms.total_jp(NIP_B)) == (2, 1)  # not applied yet
    admin.get_by_role("button", name="Terapkan kebijakan ini dan hitung ulang").click()
    expect(admin.get_by_role("status")).to_contain_text("Kebijakan 2025.2 diterapkan")
    assert (lms.total_jp(NIP_A), lms.total_jp(NIP_B)) == (3, Decimal("1.5"))


def test_the_statement_browser_shows_an_attackers_activity_name_as_text(
    admin: Page, site: LiveSite, lms: Lms, screenshot: Callable[[Page, str], Path]
) -> None:
    dialogs: list[str] = []
    admin.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    statement = completion()
    statement["object"]["definition"]["name"] = {"id-ID": XSS}
    assert lms.post(statement, completion(actor=asn(NIP_B), module=2)) == 200
    admin.goto(site.url("/"))
    admin.get_by_role("link", name="Pernyataan").click()
    card = admin.locator(f'article[data-statement-id="{statement["id"]}"]')
    expect(card.locator("p.what")).to_contain_text(f"menyelesaikan “{XSS}”")
    expect(card).to_contain_text(f"Siti Aminah · NIP {NIP_A}")
    screenshot(admin, "admin-statements")
    card.get_by_role("link", name=statement["id"]).click()
    expect(admin.locator("pre.raw")).to_contain_text(XSS)
    assert dialogs == []


def test_an_auditor_cannot_open_admin_pages_nor_another_agencys_statement(
    page: Page, site: LiveSite, lms: Lms, make_account: Callable[..., str]
) -> None:
    bali = completion(actor=asn(NIP_B), module=2)
    assert lms.post(completion(), bali) == 200
    sign_in(page, site, make_account("auditor@lampung.go.id", "auditor", AGENCY_A))
    for path in (
        "/admin/clients",
        "/admin/webhooks",
        "/admin/people",
        "/admin/identities",
        "/admin/users",
        "/admin/policy",
    ):
        response = page.goto(site.url(path))
        assert response is not None
        assert response.status == 403, path
    response = page.goto(site.url(f"/statements/{bali['id']}"))
    assert response is not None
    assert response.status == 404
    page.goto(site.url("/statements"))
    assert page.locator("article.statement").count() == 1


def test_screenshots_of_the_other_admin_pages(
    admin: Page, site: LiveSite, lms: Lms, screenshot: Callable[[Page, str], Path]
) -> None:
    for path, name in (
        ("/admin/webhooks", "admin-webhooks"),
        (f"/admin/people?q={NIP_A[:6]}", "admin-people"),
        ("/admin/identities", "admin-identities"),
        ("/admin/users", "admin-users"),
    ):
        response = admin.goto(site.url(path))
        assert response is not None
        assert response.status == 200, path
        expect(admin.locator("h1")).to_be_visible()
        screenshot(admin, name)
