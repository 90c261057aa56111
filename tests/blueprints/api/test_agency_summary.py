"""GET /api/v1/agencies/{agency}/summary: the share of staff reaching 20 JP, aggregated in SQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tests.blueprints.api.conftest import ApiClient, QueryLog, post
from tests.conftest import XAPIClient
from tests.people import AGENCY, OTHER_AGENCY, add_people, person_row
from tests.statements import ATTENDED, MEETING, NIP_A, NIP_B, asn, completion

NIP_C = "199507172019022001"
NIP_D = "198801012012011004"


def summary_of(client: ApiClient, agency: str = AGENCY, year: int = 2025) -> dict[str, Any]:
    response = client.get(f"/agencies/{quote(agency)}/summary", query_string={"year": year})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def twenty_jp(nip: str) -> list[dict[str, Any]]:
    """8 + 8 + 4 JP of e-learning on three days of March 2025."""
    return [
        completion(actor=asn(nip), module=m, minutes=minutes, timestamp=f"2025-03-0{m}T02:00:00Z")
        for m, minutes in ((1, 360), (2, 360), (3, 180))
    ]


def webinar(nip: str) -> dict[str, Any]:
    """A webinar attended without a duration: 2 JP (the policy's fallback)."""
    return completion(
        actor=asn(nip),
        module=9,
        minutes=None,
        verb=ATTENDED,
        activity_type=MEETING,
        timestamp="2025-04-01T02:00:00Z",
    )


def test_agency_summary_counts_staff_reaching_the_target(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    add_people(
        person_row(NIP_A, "Siti Aminah"),
        person_row(NIP_B, "Budi Pribadi"),
        person_row(NIP_C, "Citra Lestari"),  # no credit at all
        person_row(NIP_D, "Dedi Kurniawan", agency=OTHER_AGENCY),
    )
    post(xapi, *twenty_jp(NIP_A), *twenty_jp(NIP_D))
    post(xapi, completion(actor=asn(NIP_B), module=1, minutes=360), webinar(NIP_B))

    summary = summary_of(reader)
    assert summary["agency"] == AGENCY
    assert summary["year"] == 2025
    assert (summary["staff"], summary["reached_target"]) == (3, 1)
    assert summary["reached_target_share"] == 0.3333
    assert summary["total_jp"] == 30
    assert summary["jp_by_form"] == {"e-learning": 28, "webinar": 2}
    assert summary["jp_by_path"] == {"klasikal": 0, "nonklasikal": 30}
    assert summary["pending_entries"] == 5

    pending = reader.get("/credit/pending", query_string={"agency": AGENCY}).get_json()
    webinar_entry = next(e for e in pending["entries"] if e["form"] == "webinar")
    auditor.post(f"/credit/entries/{webinar_entry['id']}/reject", json={"reason": "tidak hadir"})
    summary = summary_of(reader)
    assert summary["total_jp"] == 28
    assert summary["jp_by_form"] == {"e-learning": 28}
    assert summary["pending_entries"] == 4

    assert summary_of(reader, OTHER_AGENCY)["reached_target"] == 1
    assert summary_of(reader, year=2024)["total_jp"] == 0


def test_an_unknown_agency_is_a_404_not_zeros(reader: ApiClient) -> None:
    """A misspelt agency used to answer 200 with zeros, which reads as "nobody trained"."""
    add_people(person_row(NIP_A, "Siti Aminah"))
    response = reader.get(f"/agencies/{quote('Pemerintah Provinsi Lampong')}/summary")
    assert response.status_code == 404
    body = response.get_json()
    assert body["error"] == "AgencyUnknown"
    assert "Lampong" in body["detail"]
    assert reader.get(f"/agencies/{quote(AGENCY)}/summary").status_code == 200


def test_agency_summary_takes_a_fixed_number_of_queries_however_many_staff(
    xapi: XAPIClient, reader: ApiClient, query_log: Callable[[], QueryLog]
) -> None:
    """Aggregation happens in the database: 40 people cost what 2 people cost (no N+1)."""
    small, large = "Pemerintah Kabupaten Kecil", "Pemerintah Kabupaten Besar"
    people = [(small, f"19850330201012{1:01d}{n:03d}") for n in range(1, 3)]
    people += [(large, f"19900101201503{2:01d}{n:03d}") for n in range(1, 41)]
    add_people(*[person_row(nip, f"ASN {nip[-3:]}", agency=agency) for agency, nip in people])
    post(xapi, *[statement for _, nip in people for statement in twenty_jp(nip)])

    counts = []
    for agency, staff in ((small, 2), (large, 40)):
        log = query_log()
        summary = summary_of(reader, agency)
        assert (summary["staff"], summary["reached_target"]) == (staff, staff)
        counts.append(len(log.touching("credit_entries", "people")))
    assert counts[0] == counts[1] <= 2, counts
