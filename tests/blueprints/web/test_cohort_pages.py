"""Instructors' and coaches' pages through HTTP: scope, the matrix and its download, the forms."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from lms_bridge.access import create_client
from lms_bridge.accounts import assign_cohort, assign_participant
from lms_bridge.db import db
from lms_bridge.models import Enrollment
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.cohorts import latsar_cohort, nips
from tests.conftest import HASH_METHOD, basic_auth

XSS = "<script>alert(1)</script>"
STATEMENT = re.compile(r'data-statement-id="([0-9a-f-]{36})"')


class Cohorts:
    """Two cohorts; an instructor of the first and a coach of one of its participants."""

    def __init__(self, pages: PageClient) -> None:
        self.pages = pages
        self.people = nips(4)
        with pages.app.app_context():
            self.first, _ = latsar_cohort(self.people[:3], number=1)
            self.second, _ = latsar_cohort(self.people[3:], number=2)
            enrollment = db.session.query(Enrollment).filter_by(nip=self.people[2]).one()
            enrollment.name = XSS
            db.session.commit()
            db.session.remove()
        pages.make_person("guru@lampung.id", "instructor", LAMPUNG)
        pages.make_person("coach@lampung.id", "coach", LAMPUNG)
        with pages.app.app_context():
            assign_cohort("guru@lampung.id", self.first, actor="test")
            assign_participant("coach@lampung.id", self.people[0], actor="test")
            db.session.remove()

    def api_matrix(self) -> dict[str, object]:
        with self.pages.app.app_context():
            create_client(
                "Dashboard",
                key="dash",
                secret="dash-secret",
                scopes=["all"],
                hash_method=HASH_METHOD,
            )
            db.session.remove()
        response = self.pages.app.test_client().get(
            f"/api/v1/cohorts/{self.first}/progress",
            headers={"Authorization": basic_auth("dash", "dash-secret")},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        document: dict[str, object] = response.get_json()
        return document


@pytest.fixture
def cohorts(pages: PageClient) -> Cohorts:
    return Cohorts(pages)


def test_an_instructor_sees_only_their_cohorts(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("guru@lampung.id").status_code == 302
    listing = pages.get("/cohorts").get_data(as_text=True)
    assert f'data-cohort-id="{cohorts.first}"' in listing
    assert f'data-cohort-id="{cohorts.second}"' not in listing
    page = pages.get(f"/cohorts/{cohorts.first}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Belum mulai" in html
    assert "○" in html
    assert XSS not in html
    assert "&lt;script&gt;" in html
    for path in (
        f"/cohorts/{cohorts.second}",
        f"/cohorts/{cohorts.second}/progress.xlsx",
        f"/cohorts/{cohorts.second}/attendance",
        f"/cohorts/{cohorts.second}/participants/{cohorts.people[3]}",
        f"/cohorts/{cohorts.first}/participants/{cohorts.people[3]}",
        "/cohorts/999999",
    ):
        assert pages.get(path).status_code == 404, path


def test_other_roles_and_strangers_are_kept_out(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.get("/cohorts").status_code == 302  # to the sign-in page
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    assert pages.sign_in("auditor@lampung.id").status_code == 302
    assert pages.get("/cohorts").status_code == 403
    assert pages.get(f"/cohorts/{cohorts.first}").status_code == 403


def test_the_matrix_downloads_as_the_api_has_it(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("guru@lampung.id").status_code == 302
    response = pages.get(f"/cohorts/{cohorts.first}/progress.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    api = cohorts.api_matrix()
    participants = api["participants"]
    assert isinstance(participants, list)
    assert [row[0] for row in rows[1:]] == [p["nip"] for p in participants]
    assert rows[0][3] == "mooc-pengantar: status"
    assert all(row[3] == "Belum mulai" for row in rows[1:])
    assert rows[1][-3] == "tidak"
    assert pages.get(f"/cohorts/{cohorts.first}/progress.pdf").status_code == 404


def test_search_filter_and_sort(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("guru@lampung.id").status_code == 302
    base = f"/cohorts/{cohorts.first}"
    found = pages.get(f"{base}?q={cohorts.people[1][:8]}%20{cohorts.people[1][8:]}").get_data(
        as_text=True
    )
    assert f'data-nip="{cohorts.people[1]}"' in found
    assert f'data-nip="{cohorts.people[0]}"' not in found
    behind = pages.get(f"{base}?status=behind&sort=behind").get_data(as_text=True)
    assert behind.count('data-nip="') == 3  # the cohort ended in May: every module is late
    assert "Tertinggal" in behind
    assert pages.get(f"{base}?status=passed").get_data(as_text=True).count('data-nip="') == 0
    assert pages.get(f"{base}?sort=%3Cx%3E&status=zzz").status_code == 200


def test_attendance_moves_the_matrix_and_a_void_moves_it_back(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("guru@lampung.id").status_code == 302
    form = pages.get(f"/cohorts/{cohorts.first}/attendance").get_data(as_text=True)
    assert 'value="klasikal"' in form
    assert 'value="habituasi"' not in form
    token = pages.token(f"/cohorts/{cohorts.first}/attendance")
    recorded = pages.client.post(
        f"/cohorts/{cohorts.first}/attendance",
        data={
            "csrf_token": token,
            "date": "2026-04-06",
            "module": "klasikal",
            "nip": [cohorts.people[0], cohorts.people[1]],
        },
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    page = pages.get(f"/cohorts/{cohorts.first}").get_data(as_text=True)
    assert "Kehadiran dicatat untuk 2 peserta." in page
    assert "54 / 54" in page
    person = f"/cohorts/{cohorts.first}/participants/{cohorts.people[0]}"
    timeline = pages.get(person).get_data(as_text=True)
    assert "dicatat oleh guru" in timeline
    [statement_id] = STATEMENT.findall(timeline)
    voided = pages.post_form(f"{person}/void", {"statement": statement_id, "reason": "keliru"})
    assert voided.status_code == 302
    after = pages.get(person).get_data(as_text=True)
    assert "dibatalkan" in after
    assert "Batalkan catatan ini" not in after
    page = pages.get(f"/cohorts/{cohorts.first}").get_data(as_text=True)
    assert page.count("54 / 54") == 1  # only the second participant keeps the session


def test_attendance_refusals_are_shown_in_indonesian(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("guru@lampung.id").status_code == 302
    path = f"/cohorts/{cohorts.first}/attendance"
    none = pages.post_form(path, {"date": "2026-04-06", "module": "klasikal"})
    assert none.status_code == 200
    assert "Centang minimal satu peserta" in none.get_data(as_text=True)
    bad_date = pages.post_form(
        path, {"date": "06/04/2026", "module": "klasikal", "nip": cohorts.people[0]}
    )
    assert "TTTT-BB-HH" in bad_date.get_data(as_text=True)
    future = pages.post_form(
        path, {"date": "2027-01-01", "module": "klasikal", "nip": cohorts.people[0]}
    )
    assert "masa angkatan" in future.get_data(as_text=True)
    stranger = pages.post_form(
        path, {"date": "2026-04-06", "module": "klasikal", "nip": cohorts.people[3]}
    )
    assert stranger.status_code == 404


def test_a_coach_sees_their_participants_and_records_an_assessment(cohorts: Cohorts) -> None:
    pages = cohorts.pages
    assert pages.sign_in("coach@lampung.id").status_code == 302
    page = pages.get(f"/cohorts/{cohorts.first}").get_data(as_text=True)
    assert page.count('data-nip="') == 1
    assert pages.get(f"/cohorts/{cohorts.first}/attendance").status_code == 403
    assert (
        pages.get(f"/cohorts/{cohorts.first}/participants/{cohorts.people[1]}").status_code == 404
    )
    path = f"/cohorts/{cohorts.first}/assessment"
    done = pages.post_form(
        path,
        {
            "nip": cohorts.people[0],
            "module": "seminar-aktualisasi",
            "score": "85,5",
            "completed": "yes",
            "note": XSS,
        },
    )
    assert done.status_code == 302
    timeline = pages.get(done.headers["Location"]).get_data(as_text=True)
    assert "Penilaian dicatat." in timeline
    assert "85,5" in timeline
    assert "Lulus" in timeline
    assert XSS not in timeline
    wrong = pages.post_form(path, {"nip": cohorts.people[0], "module": "habituasi", "score": "abc"})
    assert "angka dari 0 sampai 100" in wrong.get_data(as_text=True)
    other = pages.post_form(
        path, {"nip": cohorts.people[1], "module": "habituasi", "completed": "yes"}
    )
    assert other.status_code == 404


def test_nul_and_malformed_values_are_refused_without_a_500(cohorts: Cohorts) -> None:
    """NUL is the pages' gate's (a 400 page, tests/blueprints/web/test_input_gate.py); values
    that are merely wrong are the cohort pages' own: not found, or the form's message."""
    pages = cohorts.pages
    pages.make_person("admin@bpsdm.id", "admin")
    assert pages.sign_in("admin@bpsdm.id").status_code == 302
    base = f"/cohorts/{cohorts.first}"
    person = f"{base}/participants/{cohorts.people[0]}"
    refused = [
        pages.get(f"{base}/participants/%00"),
        pages.get(f"{base}?q=%00&unit=%00&status=%00&sort=%00"),
        pages.post_form(
            f"{base}/attendance", {"date": "2026-04-06", "module": "klasikal\x00", "nip": "\x00"}
        ),
        pages.post_form(
            f"{base}/assessment",
            {"nip": cohorts.people[0], "module": "habituasi", "completed": "yes", "note": "a\x00b"},
        ),
        pages.post_form(f"{person}/void", {"statement": "\x00"}),
    ]
    for answer in refused:
        assert answer.status_code == 400
        assert "tidak dapat disimpan" in answer.get_data(as_text=True)
    assert pages.get(f"{base}/participants/{'9' * 300}").status_code == 404
    assert pages.get(f"{base}?q=zz&unit=zz&status=zz&sort=zz").status_code == 200
    unknown_module = pages.post_form(
        f"{base}/attendance", {"date": "2026-04-06", "module": "nope", "nip": cohorts.people[0]}
    )
    assert "Pilih sesi klasikal" in unknown_module.get_data(as_text=True)
    assert pages.post_form(f"{person}/void", {"statement": "not-a-uuid"}).status_code == 404
