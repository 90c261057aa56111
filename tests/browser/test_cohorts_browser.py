"""An instructor's and a coach's day in a real browser: only their cohorts, the matrix and its
XLSX (as the API has it), classical attendance moving progress and JP, a workplace assessment,
and a mistaken record voided."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from lms_bridge.accounts import assign_cohort, assign_participant
from lms_bridge.db import db
from lms_bridge.models import Enrollment
from lms_bridge.people import import_people
from tests.browser.conftest import AGENCY_A, LiveSite, sign_in
from tests.cohorts import latsar_cohort, nips
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import COMPLETED, asn, module_statement, passing_statements

NAMES = [
    "Siti Aminah", "Budi Santoso", "Dewi Lestari", "Agus Salim", "Rina Marlina", "Yusuf Hidayat",
    "Putu Ayu", "Andi Pratama", "Nur Aisyah", "Fajar Nugroho", "Lina Wati", "Rahmat Hidayat",
]  # fmt: skip
UNITS = ["Dinas Pendidikan", "Dinas Kesehatan", "Bappeda"]


class Cohorts:
    """Two Latsar cohorts with an LMS's progress; an instructor of the first, a coach."""

    def __init__(self, site: LiveSite) -> None:
        self.site = site
        self.people = nips(len(NAMES) + 2)
        self.ours, self.theirs = self.people[: len(NAMES)], self.people[len(NAMES) :]
        with site.app.app_context():
            import_people(
                [
                    person_row(nip, name, agency=AGENCY_A, unit=UNITS[i % 3])
                    for i, (nip, name) in enumerate(zip(self.ours, NAMES, strict=True))
                ]
            )
            self.first, _ = latsar_cohort(self.ours, number=1)
            self.second, _ = latsar_cohort(self.theirs, number=2)
            for enrollment in db.session.query(Enrollment).filter(Enrollment.nip.in_(self.ours)):
                enrollment.name = NAMES[self.ours.index(enrollment.nip)]
            db.session.commit()
            create_moodle_client()
        elearning = ["mooc-pengantar", "bela-negara", "berakhlak", "smart-asn", "manajemen-asn"]
        statements = list(passing_statements(self.ours[0]))
        for i, nip in enumerate(self.ours[1:], start=1):
            statements += [
                module_statement(module, actor=asn(nip), verb=COMPLETED)
                for module in elearning[: i % 6]
            ]
        self.post(statements)

    def post(self, statements: list[dict[str, Any]]) -> None:
        response = self.site.app.test_client().post(
            "/xapi/statements",
            json=statements,
            headers=moodle_headers(),
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    def api_matrix(self) -> dict[str, Any]:
        response = self.site.app.test_client().get(
            f"/api/v1/cohorts/{self.first}/progress",
            headers=moodle_headers(),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        document: dict[str, Any] = response.get_json()
        return document

    def assign(self, email: str, *, cohort: int | None = None, nip: str | None = None) -> None:
        with self.site.app.app_context():
            if cohort is not None:
                assign_cohort(email, cohort, actor="test")
            if nip is not None:
                assign_participant(email, nip, actor="test")
            db.session.remove()


@pytest.fixture
def cohorts(site: LiveSite) -> Cohorts:
    return Cohorts(site)


@pytest.fixture
def instructor(
    page: Page, site: LiveSite, cohorts: Cohorts, make_account: Callable[..., str]
) -> Page:
    email = make_account("guru@lampung.go.id", "instructor", AGENCY_A, name="Bu Ratna")
    cohorts.assign(email, cohort=cohorts.first)
    sign_in(page, site, email)
    return page


def test_an_instructor_sees_only_their_cohorts_and_downloads_the_matrix(
    cohorts: Cohorts, instructor: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    instructor.get_by_role("link", name="Angkatan saya").click()
    expect(instructor.get_by_role("heading", name="Angkatan saya", level=1)).to_be_visible()
    expect(instructor.locator("tr[data-cohort-id]")).to_have_count(1)
    screenshot(instructor, "cohorts")
    instructor.get_by_role("link", name="Latsar CPNS Angkatan 1 Tahun 2026").click()
    expect(instructor.locator("table.matrix tbody tr")).to_have_count(len(NAMES))
    first = instructor.locator(f"tr[data-nip='{cohorts.ours[0]}']")
    expect(first.locator("td.program-state")).to_contain_text("Lulus")
    expect(first.locator("td.st-passed").first).to_contain_text("★ Lulus")
    instructor.evaluate("window.scrollTo(0, document.querySelector('.matrix-wrap').offsetTop - 8)")
    screenshot(instructor, "cohort")

    with instructor.expect_download() as download:
        instructor.get_by_role("link", name="Unduh XLSX").click()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    api = cohorts.api_matrix()
    assert len(rows) == len(api["participants"]) + 1
    jp_done = rows[0].index("JP tercapai: Klasikal")
    final = rows[0].index("Nilai akhir")
    for row, participant in zip(rows[1:], api["participants"], strict=True):
        assert row[0] == participant["nip"]
        assert row[jp_done] == participant["jp"]["classical"]["done"]
        assert row[final] == participant["final_score"]

    instructor.get_by_label("Cari menurut nama atau NIP").fill("dewi")
    instructor.get_by_role("button", name="Terapkan filter").click()
    expect(instructor.locator("table.matrix tbody tr")).to_have_count(1)

    response = instructor.goto(site.url(f"/cohorts/{cohorts.second}"))
    assert response is not None
    assert response.status == 404


def test_attendance_moves_progress_and_jp_and_a_mistake_is_voided(
    cohorts: Cohorts, instructor: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    instructor.goto(site.url(f"/cohorts/{cohorts.first}"))
    second = instructor.locator(f"tr[data-nip='{cohorts.ours[1]}']")
    expect(second.locator("td.number").nth(2)).to_have_text("0 / 54")
    instructor.get_by_role("link", name="Catat kehadiran klasikal").click()
    instructor.get_by_label("Tanggal").fill("2026-04-06")
    instructor.get_by_label("Sesi").select_option("klasikal")
    for name in NAMES[1:4]:
        instructor.get_by_label(name, exact=False).check()
    screenshot(instructor, "attendance")
    instructor.get_by_role("button", name="Catat kehadiran").click()
    expect(instructor.get_by_role("status")).to_have_text("Kehadiran dicatat untuk 3 peserta.")
    expect(second.locator("td.number").nth(2)).to_have_text("54 / 54")
    expect(second.locator("td.st-completed").last).to_contain_text("✓ Selesai")

    second.get_by_role("link", name=NAMES[1]).click()
    klasikal = instructor.locator("li[data-module='klasikal']")
    expect(klasikal).to_contain_text("dicatat oleh Bu Ratna")
    instructor.evaluate(
        "window.scrollTo(0, document.querySelector('li.module-klasikal').offsetTop - 8)"
    )
    screenshot(instructor, "participant")
    klasikal.get_by_label("Alasan").fill("Salah centang")
    klasikal.get_by_role("button", name="Batalkan catatan ini").click()
    expect(instructor.get_by_role("status")).to_have_text(
        "Catatan dibatalkan; kemajuan dan JP dikembalikan."
    )
    expect(klasikal).to_contain_text("Belum mulai")
    instructor.goto(site.url(f"/cohorts/{cohorts.first}"))
    expect(second.locator("td.number").nth(2)).to_have_text("0 / 54")
    third = instructor.locator(f"tr[data-nip='{cohorts.ours[2]}']")
    expect(third.locator("td.number").nth(2)).to_have_text("54 / 54")


def test_a_coach_records_a_workplace_assessment(
    cohorts: Cohorts,
    page: Page,
    site: LiveSite,
    make_account: Callable[..., str],
    screenshot: Callable[[Page, str], Path],
) -> None:
    email = make_account("coach@lampung.go.id", "coach", AGENCY_A, name="Pak Hendra")
    cohorts.assign(email, nip=cohorts.ours[1])
    cohorts.assign(email, nip=cohorts.ours[2])
    sign_in(page, site, email)
    page.get_by_role("link", name="Angkatan saya").click()
    page.get_by_role("link", name="Latsar CPNS Angkatan 1 Tahun 2026").click()
    expect(page.locator("table.matrix tbody tr")).to_have_count(2)
    page.get_by_role("link", name="Catat penilaian tempat kerja").click()
    page.get_by_label("Peserta", exact=True).select_option(cohorts.ours[1])
    page.get_by_label("Modul tempat kerja").select_option("seminar-aktualisasi")
    page.get_by_label("Nilai (0 sampai 100, boleh kosong)").fill("86,5")
    page.get_by_label("Peserta telah menyelesaikan modul ini").check()
    page.get_by_label("Catatan").fill("Laporan aktualisasi lengkap")
    screenshot(page, "assessment")
    page.get_by_role("button", name="Catat penilaian").click()
    expect(page.get_by_role("status")).to_have_text("Penilaian dicatat.")
    seminar = page.locator("li[data-module='seminar-aktualisasi']")
    expect(seminar).to_contain_text("★ Lulus")
    expect(seminar).to_contain_text("30 / 30 JP")
    expect(seminar).to_contain_text("Laporan aktualisasi lengkap")
    response = page.goto(site.url(f"/cohorts/{cohorts.first}/participants/{cohorts.ours[3]}"))
    assert response is not None
    assert response.status == 404
