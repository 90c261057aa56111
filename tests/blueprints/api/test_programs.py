"""GET /api/v1/cohorts/{id}/progress and /participants/{nip}/progress."""

from __future__ import annotations

from flask import Flask

from lms_bridge.access import create_client
from lms_bridge.db import unit_of_work
from lms_bridge.programs import enroll_participants
from tests.cohorts import latsar_cohort, nips
from tests.conftest import HASH_METHOD, XAPIClient, basic_auth
from tests.statements import passing_statements


def test_the_cohort_matrix_shows_every_participant_and_module(
    xapi: XAPIClient, app_context: Flask
) -> None:
    done, idle = nips(2)
    cohort_id, registrations = latsar_cohort([done, idle])
    assert xapi.post_statements(passing_statements(done)).status_code == 200
    response = xapi.client.get(f"/api/v1/cohorts/{cohort_id}/progress", headers=xapi.headers())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [m["id"] for m in body["modules"]][:2] == ["mooc-pengantar", "bela-negara"]
    rows = {row["nip"]: row for row in body["participants"]}
    assert rows[done]["completed"]
    assert rows[done]["passed"]
    assert rows[done]["jp"]["classical"] == {"done": 54.0, "required": 54.0}
    assert rows[idle]["modules"]["klasikal"]["status"] == "not_started"
    assert rows[idle]["registration"] == registrations[idle]
    one = xapi.client.get(
        f"/api/v1/cohorts/{cohort_id}/participants/{done}/progress", headers=xapi.headers()
    )
    assert one.get_json()["participant"] == rows[done]


def test_unknown_cohort_or_participant_is_a_404_in_the_error_shape(
    xapi: XAPIClient, app_context: Flask
) -> None:
    cohort_id, _ = latsar_cohort(nips(1))
    missing = xapi.client.get("/api/v1/cohorts/99999/progress", headers=xapi.headers())
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "CohortNotFound"
    stranger = xapi.client.get(
        f"/api/v1/cohorts/{cohort_id}/participants/{nips(2)[1]}/progress", headers=xapi.headers()
    )
    assert stranger.status_code == 404
    assert stranger.get_json()["error"] == "EnrollmentNotFound"


def test_a_client_without_the_scope_is_refused(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort(nips(1))
    writer = create_client(
        "LMS tulis", key="writer", secret="w", scopes=["statements/write"], hash_method=HASH_METHOD
    )
    response = app_context.test_client().get(
        f"/api/v1/cohorts/{cohort_id}/progress",
        headers={"Authorization": basic_auth(writer.key, writer.secret)},
    )
    assert response.status_code == 403


def test_a_reloaded_matrix_shows_what_changed_since_the_last_load(
    xapi: XAPIClient, app_context: Flask
) -> None:
    first, second = nips(2)
    cohort_id, _ = latsar_cohort([first])
    path = f"/api/v1/cohorts/{cohort_id}/progress"
    before = xapi.client.get(path, headers=xapi.headers()).get_json()
    assert xapi.client.get(path, headers=xapi.headers()).get_json() == before
    assert xapi.post_statements(passing_statements(first)).status_code == 200
    after = xapi.client.get(path, headers=xapi.headers()).get_json()
    assert after["participants"][0]["passed"]
    with unit_of_work() as session:
        enroll_participants(session, cohort_id, [{"nip": second}])
    enrolled = xapi.client.get(path, headers=xapi.headers()).get_json()
    assert {row["nip"] for row in enrolled["participants"]} == {first, second}


def test_a_cohort_s_certificates_and_one_verified_by_code(
    xapi: XAPIClient, app_context: Flask
) -> None:
    from lms_bridge.programs.certificates import (  # noqa: PLC0415
        issue_certificate,
        revoke_certificate,
    )

    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    assert xapi.post_statements(passing_statements(nip)).status_code == 200
    issued = issue_certificate(cohort_id, nip, actor="o", agencies=None)
    listed = xapi.client.get(f"/api/v1/cohorts/{cohort_id}/certificates", headers=xapi.headers())
    assert listed.status_code == 200, listed.get_json()
    [row] = listed.get_json()["certificates"]
    assert (row["number"], row["nip"], row["valid"]) == (issued.number, nip, True)
    code = row["verification_code"]
    assert code == issued.public_code
    revoke_certificate(cohort_id, nip, reason="salah input", actor="o", agencies=None)
    one = xapi.client.get(f"/api/v1/certificates/{code}", headers=xapi.headers()).get_json()
    assert (one["valid"], one["revocation_reason"]) == (False, "salah input")
    missing = xapi.client.get("/api/v1/certificates/tidak-ada", headers=xapi.headers())
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "CertificateNotFound"
    unknown = xapi.client.get("/api/v1/cohorts/99999/certificates", headers=xapi.headers())
    assert unknown.status_code == 404
