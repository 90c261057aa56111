"""The organiser's pages through Flask's client: scoped, validated in the person's language,
uploads all or nothing, registration downloads, certificates and the public verification."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask

from lms_bridge.db import db, unit_of_work
from lms_bridge.programs.catalog import import_program
from lms_bridge.programs.template import load_template, shipped_templates
from tests.blueprints.web.conftest import BALI, LAMPUNG, PageClient
from tests.cohorts import nips
from tests.conftest import HASH_METHOD, XAPIClient, create_client
from tests.lms_bridge.people.test_spreadsheets import workbook
from tests.statements import passing_statements

FORM = {
    "program": "latsar-cpns",
    "year": "2026",
    "number": "3",
    "name": "Latsar CPNS Angkatan III",
    "starts_on": "2026-03-02",
    "ends_on": "2026-05-15",
    "organiser": LAMPUNG,
}


@pytest.fixture
def organiser(pages: PageClient) -> PageClient:
    """Signed in as an organiser of Lampung, with the shipped programs imported."""
    with pages.app.app_context():
        with unit_of_work() as session:
            for path in shipped_templates():
                import_program(session, load_template(path))
        db.session.remove()
    pages.make_person("org@lampung.id", "organiser", LAMPUNG)
    assert pages.sign_in("org@lampung.id").status_code == 302
    return pages


def _create(pages: PageClient, **changes: str) -> Any:
    return pages.post_form("/organiser/cohorts/new", {**FORM, **changes})


def _cohort_id(response: Any) -> int:
    match = re.search(r"/organiser/cohorts/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def _upload(pages: PageClient, cohort_id: int, name: str, data: bytes) -> Any:
    return pages.client.post(
        f"/organiser/cohorts/{cohort_id}/enroll",
        data={"csrf_token": pages.token(), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_bad_cohort_form_names_each_field_in_indonesian(organiser: PageClient) -> None:
    response = _create(organiser, year="dua ribu", starts_on="kemarin", program="tidak-ada")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Pilih program." in page
    assert "Masukkan bilangan bulat dari 2000 sampai 2100." in page
    assert "Masukkan tanggal (TTTT-BB-HH)." in page
    response = _create(organiser, ends_on="2026-01-01")
    assert "Tanggal selesai sebelum tanggal mulai." in response.get_data(as_text=True)
    response = _create(organiser, organiser=BALI)
    assert "Penyelenggara harus salah satu instansi Anda." in response.get_data(as_text=True)


def test_an_organiser_creates_enrolls_and_downloads_registration_ids(
    organiser: PageClient,
) -> None:
    created = _create(organiser)
    assert created.status_code == 302
    cohort_id = _cohort_id(created)
    assert "Latsar CPNS Angkatan III" in organiser.get("/organiser/cohorts").get_data(as_text=True)
    good = nips(2)
    bad = workbook(["nip", "nama"], [good[0], "Siti"], ["123", "Budi"], ["", "tanpa NIP"])
    rejected = _upload(organiser, cohort_id, "peserta.xlsx", bad)
    page = rejected.get_data(as_text=True)
    assert rejected.status_code == 400
    assert "Baris 3" in page
    assert "Baris 4" in page
    assert "Masalah yang ditemukan: 2." in page
    assert "Belum ada peserta." in page
    enrolled = _upload(
        organiser, cohort_id, "peserta.xlsx", workbook(["NIP", "Nama"], *[[n, "P"] for n in good])
    )
    assert enrolled.status_code == 302
    download = organiser.get(f"/organiser/cohorts/{cohort_id}/registrations.csv")
    assert download.status_code == 200
    lines = download.data.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == ["nip", "nama", "registrasi"]
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(good)
    xlsx = organiser.get(f"/organiser/cohorts/{cohort_id}/registrations.xlsx")
    assert xlsx.data[:2] == b"PK"


def test_another_agency_s_cohort_is_404_and_other_roles_are_403(
    organiser: PageClient, app: Flask
) -> None:
    cohort_id = _cohort_id(_create(organiser))
    other = PageClient(app)
    other.make_person("org@bali.id", "organiser", BALI)
    other.sign_in("org@bali.id")
    for path in (
        f"/organiser/cohorts/{cohort_id}",
        f"/organiser/cohorts/{cohort_id}/registrations.csv",
    ):
        assert other.get(path).status_code == 404
    assert _upload(other, cohort_id, "p.csv", b"nip\n1\n").status_code == 404
    auditor = PageClient(app)
    auditor.make_person("aud@lampung.id", "auditor", LAMPUNG)
    auditor.sign_in("aud@lampung.id")
    assert auditor.get("/organiser/cohorts").status_code == 403


def test_a_certificate_is_issued_verified_in_public_and_revoked(
    organiser: PageClient, app: Flask
) -> None:
    cohort_id = _cohort_id(_create(organiser))
    [nip] = nips(1)
    _upload(organiser, cohort_id, "p.csv", f"nip,nama\n{nip},Siti Aminah\n".encode())
    with app.app_context():
        lms = create_client("Moodle", scopes=["all"], hash_method=HASH_METHOD)
        client = XAPIClient(app.test_client(), lms.key, lms.secret)
        statements = passing_statements(nip)
        assert client.post_statements(statements).status_code == 200
        db.session.remove()
    issued = organiser.post_form(f"/organiser/cohorts/{cohort_id}/certificates", {"nip": nip})
    assert issued.status_code == 302
    page = organiser.get(issued.headers["Location"]).get_data(as_text=True)
    assert "0001/STTPL/LATSAR-CPNS/3/2026" in page
    assert "<svg" in page
    code = re.search(r"/verifikasi/([A-Za-z0-9_-]+)", page)
    assert code
    public = PageClient(app).get(f"/verifikasi/{code.group(1)}")
    assert public.status_code == 200
    assert "Sertifikat ini sah." in public.get_data(as_text=True)
    assert nip not in public.get_data(as_text=True)
    again = organiser.post_form(f"/organiser/cohorts/{cohort_id}/certificates", {"nip": nip})
    assert "sudah diterbitkan" in again.get_data(as_text=True)
    organiser.post_form(
        f"/organiser/cohorts/{cohort_id}/certificates/{nip}/revoke", {"reason": "nilai salah"}
    )
    revoked = PageClient(app).get(f"/verifikasi/{code.group(1)}").get_data(as_text=True)
    assert "Sertifikat ini telah dicabut." in revoked
    missing = PageClient(app).get("/verifikasi/tidak-ada-kode-ini")
    assert missing.status_code == 404
    assert "Sertifikat tidak ditemukan" in missing.get_data(as_text=True)
    assert "Certificate not found" in missing.get_data(as_text=True)


def test_form_errors_follow_the_person_s_language(organiser: PageClient) -> None:
    organiser.post_form("/language", {"lang": "en", "next": "/organiser/cohorts/new"})
    page = _create(organiser, number="0").get_data(as_text=True)
    assert "Enter a whole number from 1 to 999." in page
    assert "Masukkan bilangan" not in page


def test_a_file_over_the_upload_bound_is_refused_and_enrolls_nobody(
    organiser: PageClient,
) -> None:
    cohort_id = _cohort_id(_create(organiser))
    header = b"nip,nama\n"
    data = header + b"x" * (5 * 1024 * 1024)
    response = _upload(organiser, cohort_id, "peserta.csv", data)
    assert response.status_code == 400
    assert "Berkas lebih besar dari 5 MiB." in response.get_data(as_text=True)
    assert "Belum ada peserta." in response.get_data(as_text=True)
