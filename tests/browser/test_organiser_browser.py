"""An organiser's work in a real browser: a cohort from a template, enrollment by XLSX upload
(a bad file shows each row's problem), registration ids, an STTPL issued and verified on the
public page without signing in, then revoked; another agency's cohort is 404."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from playwright.sync_api import Browser, Page, expect

from lms_bridge.db import db, unit_of_work
from lms_bridge.programs.catalog import import_program
from lms_bridge.programs.cohorts import create_cohort, enroll_participants
from lms_bridge.programs.template import load_template, shipped_templates
from tests.browser.conftest import AGENCY_A, AGENCY_B, VIEWPORT, LiveSite, sign_in
from tests.cohorts import ENDS, STARTS, nips
from tests.conftest import create_moodle_client, moodle_headers
from tests.statements import passing_statements

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def programs(site: LiveSite) -> LiveSite:
    with site.app.app_context(), unit_of_work() as session:
        for path in shipped_templates():
            import_program(session, load_template(path))
    with site.app.app_context():
        db.session.remove()
    return site


@pytest.fixture
def organiser(page: Page, programs: LiveSite, make_account: Callable[..., str]) -> Page:
    sign_in(page, programs, make_account("penyelenggara@lampung.go.id", "organiser", AGENCY_A))
    return page


def _cohort(site: LiveSite, participants: list[str], agency: str = AGENCY_A) -> int:
    with site.app.app_context():
        with unit_of_work() as session:
            cohort = create_cohort(
                session,
                program_code="latsar-cpns",
                program_version=None,
                year=2026,
                number=1,
                name="Latsar CPNS Angkatan I Tahun 2026",
                starts_on=STARTS,
                ends_on=ENDS,
                organiser=agency,
            )
            enroll_participants(
                session, cohort.id, [{"nip": n, "nama": "Siti Aminah"} for n in participants]
            )
            cohort_id = cohort.id
        db.session.remove()
    return cohort_id


def test_an_organiser_creates_a_cohort_enrolls_by_xlsx_and_downloads_the_ids(
    organiser: Page, programs: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    page = organiser
    page.get_by_role("link", name="Angkatan", exact=True).click()
    page.get_by_role("link", name="Angkatan baru").click()
    page.get_by_label("Program").select_option(
        label="Pelatihan Kepemimpinan Pengawas (PKP) (versi 1)"
    )
    page.get_by_label("Tahun").fill("2026")
    page.get_by_label("Nomor angkatan").fill("2")
    page.get_by_label("Nama").fill("PKP Angkatan II Tahun 2026")
    page.get_by_label("Tanggal mulai").fill("2026-03-02")
    page.get_by_label("Tanggal selesai").fill("2026-02-01")
    page.get_by_role("button", name="Buat angkatan").click()
    expect(page.get_by_role("alert")).to_contain_text("Tanggal selesai sebelum tanggal mulai.")
    page.get_by_label("Tanggal selesai").fill("2026-06-05")
    screenshot(page, "organiser-new-cohort")
    page.get_by_role("button", name="Buat angkatan").click()
    expect(page.get_by_role("heading", name="PKP Angkatan II Tahun 2026")).to_be_visible()

    good = nips(3)
    bad = workbook(["nip", "nama"], [good[0], "Siti Aminah"], ["12345", "Budi"], [good[0], "Lagi"])
    page.get_by_label("Berkas peserta").set_input_files(
        {"name": "peserta.xlsx", "mimeType": XLSX, "buffer": bad}
    )
    page.get_by_role("button", name="Daftarkan", exact=True).click()
    problems = page.locator("#file-problems")
    expect(problems).to_contain_text("Masalah yang ditemukan: 2.")
    expect(problems).to_contain_text("Baris 3")
    expect(problems).to_contain_text("Baris 4")
    expect(page.get_by_text("Belum ada peserta.")).to_be_visible()
    problems.scroll_into_view_if_needed()
    screenshot(page, "organiser-enroll-problems")

    rows = [["NIP", "Nama"], *[[nip, f"Peserta {nip[-3:]}"] for nip in good]]
    page.get_by_label("Berkas peserta").set_input_files(
        {"name": "peserta.xlsx", "mimeType": XLSX, "buffer": workbook(*rows)}
    )
    page.get_by_role("button", name="Daftarkan", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("3 peserta didaftarkan")
    expect(page.locator("tr[data-nip]")).to_have_count(3)
    screenshot(page, "organiser-cohort")
    with page.expect_download() as caught:
        page.get_by_role("link", name="CSV").click()
    download = caught.value
    assert download.suggested_filename == "registrasi-pkp-2026-2.csv"
    lines = Path(download.path()).read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0] == "nip,nama,registrasi"
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(good)
    page.get_by_role("link", name="Angkatan", exact=True).click()
    expect(page.get_by_role("link", name="PKP Angkatan II Tahun 2026")).to_be_visible()
    screenshot(page, "organiser-cohorts")


def test_an_issued_sttpl_verifies_in_public_and_shows_revoked_after_revocation(
    organiser: Page,
    programs: LiveSite,
    browser: Browser,
    screenshot: Callable[[Page, str], Path],
) -> None:
    [nip] = nips(1)
    cohort_id = _cohort(programs, [nip])
    with programs.app.app_context():
        create_moodle_client()
    posted = programs.app.test_client().post(
        "/xapi/statements",
        json=passing_statements(nip),
        headers=moodle_headers(),
    )
    assert posted.status_code == 200, posted.get_data(as_text=True)
    page = organiser
    page.goto(programs.url(f"/organiser/cohorts/{cohort_id}"))
    page.get_by_role("button", name="Terbitkan STTPL").click()
    expect(page.locator(".certificate-number")).to_have_text("0001/STTPL/LATSAR-CPNS/1/2026")
    expect(page.locator("figure.qr svg")).to_be_visible()
    screenshot(page, "organiser-certificate")
    address = page.locator("a[href*='/verifikasi/']").first.get_attribute("href")
    assert address is not None

    stranger = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    public = stranger.new_page()
    public.goto(address)
    expect(public.get_by_role("status")).to_have_text("Sertifikat ini sah.")
    expect(public.get_by_text("Siti Aminah")).to_be_visible()
    expect(public.get_by_text(nip)).to_have_count(0)
    screenshot(public, "certificate-verification")

    page.get_by_label("Alasan").fill("Nilai seminar salah input")
    page.get_by_role("button", name="Cabut", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Sertifikat telah dicabut.")
    public.reload()
    expect(public.get_by_role("status")).to_have_text("Sertifikat ini telah dicabut.")
    expect(public.get_by_text("Dicabut pada")).to_be_visible()
    screenshot(public, "certificate-verification-revoked")
    public.goto(programs.url("/verifikasi/kode-yang-tidak-ada"))
    expect(public.get_by_role("heading", name="Sertifikat tidak ditemukan")).to_be_visible()
    expect(public.get_by_role("heading", name="Certificate not found")).to_be_visible()
    stranger.close()


def test_an_organiser_of_another_agency_gets_404_on_the_cohort(
    page: Page, programs: LiveSite, make_account: Callable[..., str]
) -> None:
    cohort_id = _cohort(programs, nips(1), agency=AGENCY_A)
    sign_in(page, programs, make_account("penyelenggara@bali.go.id", "organiser", AGENCY_B))
    for path in (
        f"/organiser/cohorts/{cohort_id}",
        f"/organiser/cohorts/{cohort_id}/registrations.csv",
    ):
        response = page.goto(programs.url(path))
        assert response is not None
        assert response.status == 404
    page.goto(programs.url("/organiser/cohorts"))
    expect(page.get_by_text("Instansi Anda belum menyelenggarakan angkatan.")).to_be_visible()
