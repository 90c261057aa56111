"""The people directory and identity mappings pages: search, edit, CSV/XLSX import with
each row's problem, a mapping added (credit moves) and removed (credit parked again)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from lms_bridge.audit.trail import history
from lms_bridge.credit import current_policy
from lms_bridge.credit.reports import person_credit
from lms_bridge.db import db
from lms_bridge.people import get_person, import_people
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import MOODLE, NIP_A, NIP_B, completion, moodle_user

NIP_C = "199203152019031004"


@pytest.fixture
def admin(pages: PageClient) -> PageClient:
    with pages.app.app_context():
        import_people([person_row(NIP_A, "Siti Aminah", agency=LAMPUNG)])
        db.session.remove()
    pages.make_person("admin@bpsdm.id", "admin")
    assert pages.sign_in("admin@bpsdm.id").status_code == 302
    return pages


def upload(admin: PageClient, name: str, data: bytes) -> tuple[int, str]:
    response = admin.client.post(
        "/admin/people/import",
        data={"csrf_token": admin.token(), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    if response.status_code == 302:
        response = admin.get(response.headers["Location"])
    return response.status_code, response.get_data(as_text=True)


def test_search_and_edit_a_person_audited(admin: PageClient) -> None:
    by_name = admin.get("/admin/people", query_string={"q": "aminah"}).get_data(as_text=True)
    by_nip = admin.get("/admin/people", query_string={"q": NIP_A[:8]}).get_data(as_text=True)
    assert f"/admin/people/{NIP_A}" in by_name
    assert f"/admin/people/{NIP_A}" in by_nip
    assert "/admin/people/" not in admin.get("/admin/people", query_string={"q": "budi"}).get_data(
        as_text=True
    ).replace("/admin/people/import", "")
    values = {
        "name": "Siti Aminah, S.Pd.",
        "agency": LAMPUNG,
        "unit": "Dinas Kesehatan",
        "position": "",
        "email": "siti@lampung.go.id",
        "employment": "PNS",
    }
    assert admin.post_form(f"/admin/people/{NIP_A}", values).status_code == 302
    refused = admin.post_form(f"/admin/people/{NIP_A}", {**values, "email": "not-an-email"})
    assert refused.status_code == 400
    assert "email" in refused.get_data(as_text=True)
    with admin.app.app_context():
        person = get_person(db.session(), NIP_A)
        assert person is not None
        assert (person.unit, person.email) == ("Dinas Kesehatan", "siti@lampung.go.id")
        [event] = history(db.session(), "person", NIP_A)
        assert event.before is not None
        assert event.after is not None
        assert (event.before["unit"], event.after["unit"]) == (
            "Badan Pengembangan SDM",
            "Dinas Kesehatan",
        )
        db.session.remove()
    assert admin.get("/admin/people/199999999999999999").status_code == 404


def test_a_csv_with_bad_rows_stores_nothing_and_names_each_line(admin: PageClient) -> None:
    csv = (
        "nip;nama;instansi;unit_kerja;jabatan;email;status_kepegawaian\n"
        f"{NIP_B};I Made Budi;{LAMPUNG};Dinas;;;PNS\n"
        "12345;Salah;X;Y;;;PNS\n"
        f"{NIP_C};Tanpa Status;{LAMPUNG};Dinas;;;HONORER\n"
    ).encode()
    status, html = upload(admin, "direktori.csv", csv)
    assert status == 400
    assert '<td class="number">3</td><td>nip</td>' in html
    assert '<td class="number">4</td><td>employment</td>' in html
    with admin.app.app_context():
        assert get_person(db.session(), NIP_B) is None
        db.session.remove()


def test_an_xlsx_is_read_into_the_same_rows_as_a_csv(admin: PageClient) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        ["nip", "nama", "instansi", "unit_kerja", "jabatan", "email", "status_kepegawaian"]
    )
    sheet.append([NIP_B, "I Made Budi", LAMPUNG, "Dinas Kesehatan", None, None, "PNS"])
    sheet.append([])
    sheet.append([NIP_C, "Putu Ayu", LAMPUNG, "Dinas Pendidikan", "Guru", None, "PPPK"])
    data = io.BytesIO()
    workbook.save(data)
    status, html = upload(admin, "direktori.xlsx", data.getvalue())
    assert status == 200, html
    assert "2 baru" in html
    with admin.app.app_context():
        person = get_person(db.session(), NIP_C)
        assert person is not None
        assert (person.name, person.position, person.employment) == ("Putu Ayu", "Guru", "PPPK")
        db.session.remove()
    bad = io.BytesIO()
    workbook.active.append([12345, "Angka", LAMPUNG, "Dinas", None, None, "PNS"])  # type: ignore[union-attr]
    workbook.save(bad)
    status, html = upload(admin, "direktori.xlsx", bad.getvalue())
    assert status == 400
    assert '<td class="number">5</td><td>nip</td>' in html
    status, html = upload(admin, "rusak.xlsx", b"PK\x03\x04 not a workbook")
    assert status == 400


def test_a_mapping_added_moves_the_credit_and_removed_parks_it_again(admin: PageClient) -> None:
    with admin.app.app_context():
        create_moodle_client()
    posted = admin.app.test_client().post(
        "/xapi/statements",
        json=completion(actor=moodle_user("42")),
        headers=moodle_headers(),
    )
    assert posted.status_code == 200

    def jp() -> Decimal:
        with admin.app.app_context():
            total = person_credit(db.session(), current_policy(), NIP_A, 2025).total_jp
            db.session.remove()
        return total

    assert jp() == 0
    refused = admin.post_form("/admin/identities", {"homePage": MOODLE, "nip": NIP_A})
    assert refused.status_code == 400
    assert "account_name" in refused.get_data(as_text=True)
    added = admin.post_form(
        "/admin/identities", {"homePage": MOODLE, "account_name": "42", "nip": NIP_A}
    )
    assert added.status_code == 302
    assert jp() == 2
    listing = admin.get("/admin/identities", query_string={"q": "Aminah"}).get_data(as_text=True)
    assert f"account:{MOODLE} 42" in listing
    mapping_id = listing.split('data-mapping-id="', 1)[1].split('"', 1)[0]
    assert admin.post_form(f"/admin/identities/{mapping_id}/remove", {}).status_code == 302
    assert jp() == 0
    with admin.app.app_context():
        actions = [e.action for e in history(db.session(), "actor", f"account:{MOODLE} 42")]
        assert actions == ["identity.map", "identity.unmap"]
        db.session.remove()
    assert admin.post_form(f"/admin/identities/{mapping_id}/remove", {}).status_code == 404


def test_only_admins_keep_the_directory(pages: PageClient) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert pages.get("/admin/people").status_code == 403
    assert pages.get("/admin/identities").status_code == 403
    assert pages.post_form("/admin/identities", {"nip": NIP_A}).status_code == 403
