"""/api/v1/agencies/{agency}/siasn/...: the SIASN kursus export for machines."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from openpyxl import load_workbook

from tests.blueprints.api.conftest import ApiClient, post
from tests.conftest import XAPIClient
from tests.people import AGENCY, add_people, person_row
from tests.statements import NIP_A, NIP_B, asn, completion

PATH = f"/agencies/{quote(AGENCY)}/siasn"


def verified_and_pending(xapi: XAPIClient, auditor: ApiClient, reader: ApiClient) -> int:
    """A: 6 JP e-learning, verified; B: 2 JP, pending. Returns A's entry id."""
    add_people(person_row(NIP_A, "Siti Aminah"), person_row(NIP_B, "Budi Pribadi"))
    post(
        xapi,
        completion(actor=asn(NIP_A), module=1, minutes=270, timestamp="2025-03-01T02:00:00Z"),
        completion(actor=asn(NIP_B), module=1, minutes=90),
    )
    pending = reader.get("/credit/pending", query_string={"agency": AGENCY}).get_json()
    entry: int = next(e["id"] for e in pending["entries"] if e["nip"] == NIP_A)
    assert auditor.post(f"/credit/entries/{entry}/verify", json={}).status_code == 200
    return entry


def test_the_dry_run_lists_rows_and_what_is_left_out(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    entry = verified_and_pending(xapi, auditor, reader)
    response = reader.get(f"{PATH}/kursus", query_string={"year": 2025})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    assert body["rounding"] == "down"
    assert body["rows"] == [
        {
            "entry_id": entry,
            "nip": NIP_A,
            "nama": "Siti Aminah",
            "jenisDiklatId": 16,
            "namaKursus": "Modul 1",
            "institusiPenyelenggara": "BPSDM",
            "tanggalKursus": "01-03-2025",
            "tanggalSelesaiKursus": "01-03-2025",
            "tahunKursus": 2025,
            "jumlahJam": 6,
            "nomorSertipikat": None,
            "jp": 6.0,
            "change": "new",
        }
    ]
    assert [(item["nip"], item["reasons"]) for item in body["left_out"]] == [
        (NIP_B, ["not_verified"])
    ]
    assert reader.get(f"{PATH}/exports", query_string={"year": 2025}).get_json() == {"exports": []}


def test_recording_needs_the_audit_scope_and_names_the_client(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    verified_and_pending(xapi, auditor, reader)
    assert reader.post(f"{PATH}/kursus", query_string={"year": 2025}).status_code == 403
    made = auditor.post(f"{PATH}/kursus", query_string={"year": 2025})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["recorded"]["exported_by"] == "Auditor BPSDM Lampung"
    assert made.get_json()["new_rows"] == 1
    again = reader.get(f"{PATH}/kursus", query_string={"year": 2025}).get_json()
    assert [row["change"] for row in again["rows"]] == ["exported"]
    history = reader.get(f"{PATH}/exports", query_string={"year": 2025}).get_json()
    assert [(e["row_count"], e["new_rows"]) for e in history["exports"]] == [(1, 1)]


def test_an_unknown_agency_and_a_bad_format_are_refused(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    verified_and_pending(xapi, auditor, reader)
    wrong = f"/agencies/{quote('Pemerintah Provinsi Lampong')}/siasn"
    assert reader.get(f"{wrong}/kursus").status_code == 404
    assert reader.get(f"{wrong}/exports").status_code == 404
    assert auditor.post(f"{wrong}/kursus").status_code == 404
    bad = reader.get(f"{PATH}/kursus", query_string={"format": "pdf"})
    assert bad.status_code == 400
    assert "format" in bad.get_json()["fields"]


def test_the_rows_come_as_csv_or_xlsx_files_too(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    verified_and_pending(xapi, auditor, reader)
    csv = reader.get(f"{PATH}/kursus", query_string={"year": 2025, "format": "csv"})
    assert csv.status_code == 200
    assert csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("nip,jenisDiklatId,namaKursus,institusiPenyelenggara,")
    assert lines[1] == f"{NIP_A},16,Modul 1,BPSDM,01-03-2025,01-03-2025,2025,6,,Siti Aminah,baru"
    made = auditor.post(f"{PATH}/kursus", query_string={"year": 2025, "format": "xlsx"})
    assert made.status_code == 201
    sheet = load_workbook(io.BytesIO(made.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:8] == (NIP_A, 16, "Modul 1", "BPSDM", "01-03-2025", "01-03-2025", 2025, 6)
    assert "ekspor-" in made.headers["Content-Disposition"]
