"""The auditors' queue and their decisions: verify, reject, correct (and the day's caps after)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from tests.blueprints.api.conftest import ApiClient, post
from tests.conftest import XAPIClient
from tests.people import AGENCY, OTHER_AGENCY, add_people, person_row
from tests.statements import NIP_A, NIP_B, asn, completion, moodle_user, void


def queue(client: ApiClient, **query: Any) -> dict[str, Any]:
    response = client.get("/credit/pending", query_string=query)
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def entries_of(client: ApiClient, nip: str = NIP_A) -> list[dict[str, Any]]:
    body = client.get(f"/people/{nip}/credit", query_string={"year": 2025}).get_json()
    entries: list[dict[str, Any]] = body["entries"]
    return entries


def test_pending_queue_lists_entries_with_their_evidence_a_page_at_a_time(
    xapi: XAPIClient, auditor: ApiClient
) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"), person_row(NIP_B, "Budi", agency=OTHER_AGENCY))
    statements = [
        completion(module=m, minutes=90, timestamp=f"2025-03-0{m}T02:00:00Z") for m in (1, 2, 3)
    ]
    post(xapi, *statements, completion(actor=asn(NIP_B), minutes=90))

    first = queue(auditor, limit=2)
    assert len(first["entries"]) == 2
    entry = first["entries"][0]
    assert (entry["nip"], entry["name"], entry["agency"]) == (NIP_A, "Siti Aminah", AGENCY)
    assert entry["statement_ids"] == [statements[0]["id"]]
    assert entry["explanation"].startswith("90 min e-learning")
    second = queue(auditor, limit=2, after=first["next_after"])
    assert len(second["entries"]) == 2
    assert second["next_after"] is None
    ids = [e["id"] for e in first["entries"] + second["entries"]]
    assert ids == sorted(ids)

    assert [e["nip"] for e in queue(auditor, agency=AGENCY)["entries"]] == [NIP_A] * 3
    assert queue(auditor, year=2024)["entries"] == []

    auditor.post(f"/credit/entries/{entry['id']}/verify", json={})
    assert entry["id"] not in [e["id"] for e in queue(auditor)["entries"]], "decided: gone"


def test_verify_records_who_decided_why_and_when(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(auditor)["entries"]
    response = auditor.post(
        f"/credit/entries/{entry['id']}/verify", json={"reason": "Sertifikat diperiksa"}
    )
    assert response.status_code == 200, response.get_json()
    decided = response.get_json()
    assert decided["status"] == "verified"
    assert decided["jp"] == 2
    assert decided["decided_by"] == "Auditor BPSDM Lampung"
    assert decided["decision_reason"] == "Sertifikat diperiksa"
    assert decided["decided_at"] is not None


def test_verify_needs_no_body(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(auditor)["entries"]
    response = auditor.post(f"/credit/entries/{entry['id']}/verify")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["decision_reason"] is None


def test_a_verified_entry_stays_verified_when_its_statement_is_sent_again(
    xapi: XAPIClient, auditor: ApiClient
) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    [entry] = queue(auditor)["entries"]
    auditor.post(f"/credit/entries/{entry['id']}/verify", json={})
    post(xapi, statement)
    post(xapi, completion(minutes=135))  # same module, a second completion
    [again] = entries_of(auditor)
    assert (again["id"], again["status"]) == (entry["id"], "verified")


def test_reject_needs_a_reason(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(auditor)["entries"]
    response = auditor.post(f"/credit/entries/{entry['id']}/reject", json={})
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"reason": ["Missing data for required field."]}
    blank = auditor.post(f"/credit/entries/{entry['id']}/reject", json={"reason": "   "})
    assert blank.status_code == 400
    assert blank.get_json()["error"] == "DecisionInvalid"
    assert entries_of(auditor)[0]["status"] == "pending"


def test_a_correction_sets_the_jp_and_settles_the_day_cap_again(
    xapi: XAPIClient, auditor: ApiClient
) -> None:
    post(
        xapi,
        *[
            completion(module=m, minutes=180, timestamp=f"2025-03-10T0{m}:00:00Z")
            for m in (1, 2, 3)
        ],
    )
    assert [e["jp"] for e in entries_of(auditor)] == [4, 4, 1], "9 JP a day at most"
    first = entries_of(auditor)[0]
    response = auditor.post(
        f"/credit/entries/{first['id']}/correct",
        json={"jp": 1.5, "reason": "Hanya sepertiga modul yang relevan"},
    )
    assert response.status_code == 200, response.get_json()
    corrected = response.get_json()
    assert (corrected["status"], corrected["jp"], corrected["jp_corrected"]) == (
        "verified",
        1.5,
        1.5,
    )
    assert corrected["jp_raw"] == 4
    assert [e["jp"] for e in entries_of(auditor)] == [1.5, 4, 3.5]


def test_a_correction_above_the_daily_cap_is_refused(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(auditor)["entries"]
    response = auditor.post(
        f"/credit/entries/{entry['id']}/correct", json={"jp": 12, "reason": "salah ketik"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "DecisionInvalid"
    negative = auditor.post(
        f"/credit/entries/{entry['id']}/correct", json={"jp": -1, "reason": "salah ketik"}
    )
    assert negative.status_code == 400
    assert "jp" in negative.get_json()["fields"]


def test_a_revoked_entry_cannot_be_decided(xapi: XAPIClient, auditor: ApiClient) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    [entry] = queue(auditor)["entries"]
    post(xapi, void(statement["id"]))
    for action, body in (
        ("verify", {}),
        ("reject", {"reason": "x"}),
        ("correct", {"jp": 1, "reason": "x"}),
    ):
        response = auditor.post(f"/credit/entries/{entry['id']}/{action}", json=body)
        assert response.status_code == 409, action
        assert response.get_json()["error"] == "EntryNotDecidable"


def test_an_unmatched_entry_cannot_be_decided(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(actor=moodle_user("42"), minutes=90))
    entry_id = db.session.scalar(select(CreditEntry.id))
    response = auditor.post(f"/credit/entries/{entry_id}/verify", json={})
    assert response.status_code == 409


def test_an_unknown_entry_is_404(auditor: ApiClient) -> None:
    response = auditor.post("/credit/entries/987654/verify", json={})
    assert response.status_code == 404
    assert response.get_json()["error"] == "EntryNotFound"


def test_a_reader_may_not_decide(xapi: XAPIClient, reader: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(reader)["entries"]
    response = reader.post(f"/credit/entries/{entry['id']}/verify", json={})
    assert response.status_code == 403


def test_an_auditor_reads_the_evidence_statements_the_queue_points_to(
    xapi: XAPIClient, auditor: ApiClient, reader: ApiClient
) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    [entry] = queue(auditor)["entries"]
    # The LRS itself stays closed to the auditor's key: it has no xAPI read scope.
    assert (
        auditor.client.get(
            "/xapi/statements",
            query_string={"statementId": statement["id"]},
            headers={"Authorization": auditor.auth, "X-Experience-API-Version": "1.0.3"},
        ).status_code
        == 403
    )
    response = auditor.get(f"/credit/entries/{entry['id']}/evidence")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["entry"]["id"] == entry["id"]
    assert [s["id"] for s in body["statements"]] == entry["statement_ids"]
    assert body["statements"][0]["result"]["duration"] == "PT90M"
    assert reader.get(f"/credit/entries/{entry['id']}/evidence").status_code == 403
    missing = auditor.get("/credit/entries/987654/evidence")
    assert (missing.status_code, missing.get_json()["error"]) == (404, "EntryNotFound")


def test_send_back_for_revision_needs_a_reason(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, completion(minutes=90))
    [entry] = queue(auditor)["entries"]
    refused = auditor.post(f"/credit/entries/{entry['id']}/revise", json={"reason": "  "})
    assert refused.status_code == 400
    response = auditor.post(
        f"/credit/entries/{entry['id']}/revise", json={"reason": "Lampirkan sertifikat"}
    )
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["status"], response.get_json()["jp"]) == ("needs_revision", 0)
    assert queue(auditor)["entries"] == []


def test_bulk_verify_is_all_or_nothing(xapi: XAPIClient, auditor: ApiClient) -> None:
    post(xapi, *(completion(module=m, minutes=90) for m in (1, 2, 3)))
    ids = [e["id"] for e in queue(auditor)["entries"]]
    refused = auditor.post("/credit/entries/verify", json={"ids": [*ids, 987654]})
    assert refused.status_code == 404
    assert len(queue(auditor)["entries"]) == 3
    assert auditor.post("/credit/entries/verify", json={"ids": []}).status_code == 400
    response = auditor.post("/credit/entries/verify", json={"ids": ids[:2]})
    assert response.status_code == 200, response.get_json()
    assert [e["status"] for e in response.get_json()["entries"]] == ["verified"] * 2
    assert [e["id"] for e in queue(auditor)["entries"]] == ids[2:]
