"""The agency's year, a person's page and the SIASN export in a real browser."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from openpyxl import load_workbook
from playwright.sync_api import Dialog, Page, expect
from sqlalchemy import select

from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from tests.blueprints.web.test_report_pages import NIP_BALI, SCRIPT, seed
from tests.browser.conftest import AGENCY_A, AGENCY_B, LiveSite
from tests.statements import NIP_A, NIP_B

YEAR = "/2025"


def rows_of(download_path: str) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(Path(download_path).read_bytes())).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_the_agency_page_shows_the_ledgers_numbers_and_downloads_them(
    signed_in_page: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    seed(site.app)
    page = signed_in_page
    page.goto(site.url(f"/agencies/{quote(AGENCY_A)}{YEAR}"))
    expect(page.get_by_role("heading", name=AGENCY_A)).to_be_visible()
    expect(page.locator('[data-figure="staff"]')).to_have_text("2")
    expect(page.locator('[data-figure="reached"]')).to_have_text("1 (50%)")
    expect(page.locator('[data-figure="total-jp"]')).to_have_text("32")
    expect(page.locator('[data-figure="pending"]')).to_have_text("3")
    expect(page.get_by_role("img", name="Jumlah pegawai menurut JP tahun ini")).to_be_visible()
    screenshot(page, "agency")
    page.locator("#distribution-heading").scroll_into_view_if_needed()
    screenshot(page, "agency-charts")

    with page.expect_download() as download:
        page.locator("#below-heading").get_by_role("link", name="XLSX").click()
    rows = rows_of(str(download.value.path()))
    with site.app.app_context():
        jp_b = sum(
            e.jp for e in db.session.scalars(select(CreditEntry).where(CreditEntry.nip == NIP_B))
        )
        db.session.remove()
    assert rows == [
        ("Unit kerja", "NIP", "Nama", "Status kepegawaian", "JP", "Kekurangan JP"),
        ("Dinas Kesehatan", NIP_B, "Budi Pribadi", "PNS", int(jp_b), int(20 - jp_b)),
    ]


def test_an_activity_named_like_a_script_is_text_on_the_persons_page(
    signed_in_page: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    seed(site.app)
    page = signed_in_page
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    page.goto(site.url(f"/people/{NIP_A}?year=2025"))
    expect(page.get_by_role("cell", name=SCRIPT, exact=True)).to_be_visible()
    expect(page.get_by_text("Perkiraan, bukan nilai BKN.")).to_be_visible()
    page.wait_for_timeout(300)
    assert dialogs == []
    screenshot(page, "person")


def test_a_siasn_export_matches_the_ledger_and_the_next_says_what_is_new(
    signed_in_page: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    seed(site.app)
    page = signed_in_page
    page.get_by_role("link", name="Ekspor SIASN").click()
    expect(page.get_by_role("heading", name="Ekspor SIASN (kursus)")).to_be_visible()
    page.get_by_label("Tahun").fill("2025")
    page.get_by_role("button", name="Uji coba").click()
    expect(page.locator('[data-figure="rows"]')).to_have_text("1")
    expect(page.locator('[data-figure="left-out"]')).to_have_text("3")
    screenshot(page, "exports")
    with page.expect_download() as download:
        page.get_by_role("button", name="Ekspor dan catat").click()
    rows = rows_of(str(download.value.path()))
    with site.app.app_context():
        (verified,) = db.session.scalars(
            select(CreditEntry).where(CreditEntry.status == "verified")
        ).all()
        db.session.remove()
    assert len(rows) == 2
    assert rows[1] == (
        verified.nip, 16, "Modul 1", "BPSDM", verified.local_date.strftime("%d-%m-%Y"),
        verified.local_date.strftime("%d-%m-%Y"), verified.year, int(verified.jp), None,
        "Siti Aminah", "baru",
    )  # fmt: skip
    page.reload()
    expect(page.get_by_role("cell", name="sudah diekspor")).to_be_visible()


def test_an_auditor_of_one_agency_gets_404_on_anothers_page_and_download(
    signed_in_page: Page, site: LiveSite
) -> None:
    seed(site.app)
    page = signed_in_page
    for path in (
        f"/agencies/{quote(AGENCY_B)}{YEAR}",
        f"/agencies/{quote(AGENCY_B)}{YEAR}/pegawai.xlsx",
        f"/people/{NIP_BALI}",
        f"/exports/{quote(AGENCY_B)}{YEAR}/kursus.xlsx",
    ):
        response = page.request.get(site.url(path))
        assert response.status == 404, path
    page.goto(site.url(f"/agencies/{quote(AGENCY_B)}{YEAR}"))
    expect(page.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
