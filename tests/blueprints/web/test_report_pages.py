"""The agency's year, a person's page and the SIASN export page (Flask's test client)."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from lms_bridge.access import create_client
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import verify_credit
from lms_bridge.db import db
from lms_bridge.models import CreditEntry, SiasnExport
from lms_bridge.people import import_people
from tests.blueprints.web.conftest import BALI, LAMPUNG, PageClient
from tests.conftest import HASH_METHOD, basic_auth
from tests.people import person_row
from tests.statements import NIP_A, NIP_B, asn, completion

NIP_BALI = "198801012012011004"
SCRIPT = "<script>alert(1)</script>"


def seed(app: Flask) -> dict[str, int]:
    """Lampung: A 24 JP (3 days of 8 JP e-learning, one named <script>), B 8 JP; Bali: one.
    A's first entry is verified; returns entry ids by (nip, module)."""
    with app.app_context():
        import_people(
            [
                person_row(
                    NIP_A,
                    "Siti Aminah",
                    agency=LAMPUNG,
                    unit="Dinas Pendidikan",
                    position="Pengadministrasi Umum",
                ),
                person_row(NIP_B, "Budi Pribadi", agency=LAMPUNG, unit="Dinas Kesehatan"),
                person_row(NIP_BALI, "Made Wirawan", agency=BALI, unit="Dinas Pariwisata"),
            ]
        )
        create_client(
            "Moodle",
            key="moodle-pages",
            secret="rahasia-lms",
            scopes=["all"],
            hash_method=HASH_METHOD,
        )
        db.session.remove()
    statements: list[dict[str, Any]] = []
    for day in (1, 2, 3):
        statement = completion(
            actor=asn(NIP_A), module=day, minutes=360, timestamp=f"2025-03-0{day}T02:00:00Z"
        )
        if day == 2:
            statement["object"]["definition"]["name"] = {"id-ID": SCRIPT}
        statements.append(statement)
    statements.append(completion(actor=asn(NIP_B), module=1, minutes=360))
    statements.append(completion(actor=asn(NIP_BALI), module=1, minutes=360))
    posted = app.test_client().post(
        "/xapi/statements",
        json=statements,
        headers={
            "Authorization": basic_auth("moodle-pages", "rahasia-lms"),
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert posted.status_code == 200, posted.get_json()
    with app.app_context():
        entries = {
            (e.nip, int(e.activity_id.rsplit("=", 1)[1])): e.id
            for e in db.session.scalars(select(CreditEntry)).all()
        }
        verify_credit(current_policy(), entries[(NIP_A, 1)], decided_by="auditor@lampung.id")
        db.session.remove()
    return entries


@pytest.fixture
def auditor(pages: PageClient) -> PageClient:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    assert pages.sign_in("auditor@lampung.id").status_code == 302
    return pages


def text(response: Any) -> str:
    body: str = response.get_data(as_text=True)
    return body


def test_one_agency_lands_on_its_year_with_the_right_numbers(auditor: PageClient) -> None:
    seed(auditor.app)
    landing = auditor.get("/", follow_redirects=True)
    assert landing.status_code == 200
    assert landing.request.path.startswith(f"/agencies/{LAMPUNG}/")
    assert re.search(rf"<h1>{LAMPUNG} <small>Tahun \d{{4}}</small>", text(landing))
    year = text(auditor.get(f"/agencies/{quote(LAMPUNG)}/2025"))
    assert 'data-figure="staff">2<' in year
    assert 'data-figure="reached">1 (50%)<' in year
    assert 'data-figure="below">1<' in year
    assert 'data-figure="total-jp">32<' in year
    assert 'data-figure="pending">3<' in year
    assert "Dinas Kesehatan" in year
    assert "Budi Pribadi" in year
    assert "Made Wirawan" not in year
    assert "<svg" in year
    assert "<title" in year
    assert "cdn" not in year.lower()


def test_another_or_an_unknown_agency_is_404(auditor: PageClient) -> None:
    seed(auditor.app)
    assert auditor.get(f"/agencies/{quote(BALI)}/2025").status_code == 404
    assert auditor.get(f"/agencies/{quote(BALI)}/2025/unit.xlsx").status_code == 404
    assert auditor.get(f"/agencies/{quote(BALI)}").status_code == 404
    assert auditor.get(f"/people/{NIP_BALI}").status_code == 404
    assert auditor.get(f"/exports?agency={quote(BALI)}&year=2025").status_code == 404
    assert auditor.get(f"/exports/{quote(BALI)}/2025/kursus.csv").status_code == 404


def test_every_table_downloads_with_indonesian_headers_and_the_page_numbers(
    auditor: PageClient,
) -> None:
    seed(auditor.app)
    base = f"/agencies/{quote(LAMPUNG)}/2025"
    units = auditor.get(f"{base}/unit.xlsx")
    assert units.status_code == 200
    sheet = load_workbook(io.BytesIO(units.data)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows == [
        ["Unit kerja", "Jumlah pegawai", "Mencapai target", "Persentase"],
        ["Dinas Kesehatan", 1, 0, 0],
        ["Dinas Pendidikan", 1, 1, 1],
    ]
    everyone = text(auditor.get(f"{base}/pegawai.csv")).lstrip("\ufeff").splitlines()
    assert everyone[0] == "Unit kerja,NIP,Nama,Status kepegawaian,JP,Kekurangan JP,Mencapai target"
    assert f"Dinas Kesehatan,{NIP_B},Budi Pribadi,PNS,8.00,12.00,Tidak" in everyone
    assert auditor.get(f"{base}/nothing.csv").status_code == 404
    assert auditor.get(f"{base}/unit.pdf").status_code == 404


def test_the_person_page_escapes_activity_names_and_labels_the_estimate(
    auditor: PageClient,
) -> None:
    seed(auditor.app)
    page = text(auditor.get(f"/people/{NIP_A}?year=2025"))
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Modul 1" in page
    assert "Terverifikasi" in page
    assert "Menunggu verifikasi" in page
    assert 'data-figure="total-jp">24<' in page
    assert "Perkiraan, bukan nilai BKN." in page
    assert 'data-figure="estimate">0<' in page  # only 8 verified JP: no item met
    csv = text(auditor.get(f"/people/{NIP_A}/2025/entri.csv")).lstrip("\ufeff").splitlines()
    assert csv[0] == "Tanggal,Kegiatan,Bentuk,Jalur,Aturan,Status,JP"
    assert any(SCRIPT in line for line in csv)  # text, not a formula: it starts with <
    assert auditor.get("/people/123").status_code == 404
    assert auditor.get("/people/199001012015031999").status_code == 404  # valid, unknown


def test_the_export_page_dry_runs_records_and_says_what_is_new(auditor: PageClient) -> None:
    entries = seed(auditor.app)
    dry = text(auditor.get(f"/exports?agency={quote(LAMPUNG)}&year=2025"))
    assert 'data-figure="rows">1<' in dry
    assert 'data-figure="left-out">3<' in dry
    assert "belum diverifikasi" in dry
    made = auditor.post_form("/exports", {"agency": LAMPUNG, "year": "2025", "fmt": "xlsx"})
    assert made.status_code == 200
    assert "attachment" in made.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(made.data)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:9] == [
        "nip", "jenisDiklatId", "namaKursus", "institusiPenyelenggara", "tanggalKursus",
        "tanggalSelesaiKursus", "tahunKursus", "jumlahJam", "nomorSertipikat",
    ]  # fmt: skip
    assert rows[1] == [
        NIP_A, 16, "Modul 1", "BPSDM", "01-03-2025", "01-03-2025", 2025, 8, None,
        "Siti Aminah", "baru",
    ]  # fmt: skip
    with auditor.app.app_context():
        (export,) = db.session.scalars(select(SiasnExport)).all()
        assert (export.exported_by, export.row_count) == ("auditor@lampung.id", 1)
        verify_credit(current_policy(), entries[(NIP_A, 2)], decided_by="auditor@lampung.id")
        db.session.remove()
    again = text(auditor.get(f"/exports?agency={quote(LAMPUNG)}&year=2025"))
    assert 'data-figure="rows">2<' in again
    assert "sudah diekspor" in again
    assert "baru" in again
    assert "auditor@lampung.id" in again  # the history


def test_a_viewer_may_not_open_the_export_page(pages: PageClient) -> None:
    seed(pages.app)
    pages.make_person("viewer@lampung.id", "viewer", LAMPUNG)
    pages.sign_in("viewer@lampung.id")
    assert pages.get("/exports").status_code == 403
    assert pages.get(f"/agencies/{quote(LAMPUNG)}/2025").status_code == 200
