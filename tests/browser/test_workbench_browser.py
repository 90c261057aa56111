"""An auditor's day in a real browser: the queue, each decision, bulk verification, mapping an
unmatched actor, an attacker's activity name shown as text, another agency's 404."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Page, expect

from lms_bridge.credit import current_policy
from lms_bridge.credit.reports import person_credit
from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from lms_bridge.people import import_people
from tests.browser.conftest import AGENCY_A, AGENCY_B, LiveSite, sign_in
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import NIP_A, NIP_B, asn, completion, moodle_user

XSS = "<script>alert(1)</script>"


class Seeded:
    """The live site's directory, and an LMS that posts statements to it."""

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

    def post(self, *statements: dict[str, Any]) -> None:
        response = self.site.app.test_client().post(
            "/xapi/statements",
            json=list(statements),
            headers=moodle_headers(),
        )
        assert response.status_code == 200, response.get_data(as_text=True)

    def entries(self) -> dict[str, tuple[int, str, Decimal]]:
        """Activity id → (entry id, status, JP that count)."""
        with self.site.app.app_context():
            found = {
                entry.activity_id: (entry.id, entry.status, entry.jp)
                for entry in db.session.query(CreditEntry)
            }
            db.session.remove()
        return found

    def total_jp(self, nip: str) -> Decimal:
        with self.site.app.app_context():
            total = person_credit(db.session(), current_policy(), nip, 2025).total_jp
            db.session.remove()
        return total


@pytest.fixture
def seeded(site: LiveSite) -> Seeded:
    return Seeded(site)


@pytest.fixture
def auditor(page: Page, site: LiveSite, make_account: Callable[..., str]) -> Page:
    sign_in(page, site, make_account("auditor@lampung.go.id", "auditor", AGENCY_A))
    return page


def module(number: int) -> str:
    return f"https://lms.bpsdm.example.go.id/mod/scorm/view.php?id={number}"


def test_an_auditor_verifies_rejects_corrects_revises_and_bulk_verifies(
    seeded: Seeded, auditor: Page, site: LiveSite, screenshot: Callable[[Page, str], Path]
) -> None:
    seeded.post(
        *(
            completion(module=m, minutes=90, timestamp=f"2025-03-0{m}T02:00:00Z")
            for m in range(1, 7)
        )
    )
    auditor.get_by_role("link", name="Antrean verifikasi").click()
    expect(auditor.get_by_role("heading", name="Antrean verifikasi", level=1)).to_be_visible()
    expect(auditor.locator("li.queue-item")).to_have_count(6)
    auditor.evaluate("window.scrollTo(0, document.querySelector('li.queue-item').offsetTop - 8)")
    screenshot(auditor, "queue")

    def open_entry(number: int) -> None:
        auditor.goto(site.url("/queue"))
        auditor.get_by_role("link", name=f"Modul {number}", exact=True).click()
        expect(auditor.get_by_role("heading", name=f"Modul {number}", level=1)).to_be_visible()

    open_entry(1)
    auditor.get_by_role("button", name="Verifikasi", exact=True).click()
    expect(auditor.get_by_role("status")).to_have_text("Entri diverifikasi.")

    open_entry(2)
    auditor.get_by_role("button", name="Tolak").click()
    expect(auditor.get_by_role("alert")).to_have_text("Alasan wajib diisi untuk keputusan ini.")
    auditor.get_by_label("Alasan penolakan").fill("Bukan kegiatan pengembangan kompetensi")
    auditor.get_by_label("Alasan penolakan").press("Tab")
    auditor.get_by_role("button", name="Tolak").click()
    expect(auditor.get_by_role("status")).to_have_text("Entri ditolak.")
    expect(
        auditor.get_by_role("cell", name="Bukan kegiatan pengembangan kompetensi")
    ).to_be_visible()
    screenshot(auditor, "entry")

    open_entry(3)
    auditor.get_by_label("Nilai JP entri ini").fill("1,5")
    auditor.get_by_label("Alasan koreksi").fill("Hanya sebagian modul")
    auditor.get_by_role("button", name="Koreksi dan verifikasi").click()
    expect(auditor.get_by_role("status")).to_have_text("JP entri dikoreksi dan diverifikasi.")

    open_entry(4)
    auditor.get_by_label("Yang harus direvisi").fill("Lampirkan sertifikat")
    auditor.get_by_role("button", name="Kembalikan untuk revisi").click()
    expect(auditor.get_by_role("status")).to_have_text("Entri dikembalikan untuk revisi.")

    auditor.goto(site.url("/queue"))
    expect(auditor.locator("li.queue-item")).to_have_count(3)  # 4 waits for the learner
    for number in (5, 6):
        auditor.locator(f"li.queue-item:has(a:text-is('Modul {number}'))").get_by_label(
            "Pilih"
        ).check()
    auditor.get_by_role("button", name="Verifikasi entri yang dipilih").click()
    expect(auditor.get_by_role("status")).to_have_text("2 entri diverifikasi.")

    entries = seeded.entries()
    assert [entries[module(m)][1] for m in range(1, 7)] == [
        "verified", "rejected", "verified", "needs_revision", "verified", "verified",
    ]  # fmt: skip
    assert entries[module(3)][2] == Decimal("1.50")


def test_an_unmatched_actor_mapped_to_a_nip_moves_its_credit(
    seeded: Seeded, auditor: Page, screenshot: Callable[[Page, str], Path]
) -> None:
    seeded.post(
        completion(
            actor=moodle_user("42"), module=1, minutes=180, timestamp="2025-03-03T02:00:00Z"
        ),
        completion(
            actor=moodle_user("42"), module=2, minutes=180, timestamp="2025-03-04T02:00:00Z"
        ),
        completion(actor=asn(NIP_A), module=3, minutes=90),
    )
    before = seeded.total_jp(NIP_A)
    auditor.get_by_role("link", name="Aktor belum cocok").click()
    row = auditor.get_by_role("row", name="User 42")
    expect(row.get_by_role("cell", name="8", exact=True)).to_be_visible()
    screenshot(auditor, "unmatched")
    row.get_by_role("link", name="Petakan ke NIP").click()
    auditor.get_by_label("Cari di direktori berdasarkan NIP atau nama").fill("Siti")
    auditor.get_by_label("Cari di direktori berdasarkan NIP atau nama").press("Enter")
    auditor.get_by_label(f"Siti Aminah · NIP {NIP_A}", exact=False).check()
    auditor.get_by_role("button", name="Petakan dan pindahkan kreditnya").click()
    expect(auditor.get_by_role("status")).to_contain_text("Dipetakan ke Siti Aminah")
    expect(auditor.get_by_text("Tidak ada kredit yang menunggu pemetaan.")).to_be_visible()
    assert seeded.total_jp(NIP_A) == before + Decimal(8)


def test_an_activity_named_like_a_script_is_shown_as_text(seeded: Seeded, auditor: Page) -> None:
    statement = completion(minutes=90)
    statement["object"]["definition"]["name"] = {"id-ID": XSS}
    seeded.post(statement)
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    auditor.on("dialog", on_dialog)
    auditor.goto(seeded.site.url("/queue"))
    expect(auditor.get_by_role("link", name=XSS)).to_be_visible()
    auditor.get_by_text("Pernyataan mentah").first.click()
    expect(auditor.locator("pre.raw").first).to_contain_text(XSS)
    auditor.get_by_role("link", name=XSS).click()
    expect(auditor.get_by_role("heading", name=XSS, level=1)).to_be_visible()
    assert dialogs == []


def test_an_auditor_of_one_agency_gets_404_on_anothers_entries(
    seeded: Seeded, auditor: Page, site: LiveSite
) -> None:
    seeded.post(completion(actor=asn(NIP_B), minutes=90))
    [(entry_id, _status, _jp)] = seeded.entries().values()
    response = auditor.goto(site.url(f"/entries/{entry_id}"))
    assert response is not None
    assert response.status == 404
    expect(auditor.get_by_role("heading", name="Halaman tidak ditemukan")).to_be_visible()
    queue = auditor.goto(site.url(f"/queue?agency={AGENCY_B}"))
    assert queue is not None
    assert queue.status == 404
    auditor.goto(site.url("/queue"))
    expect(auditor.get_by_text("Tidak ada yang menunggu verifikasi di sini.")).to_be_visible()
