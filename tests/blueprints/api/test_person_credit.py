"""GET /api/v1/people/{nip}/credit: a person's year of JP against the 20 JP duty."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.blueprints.api.conftest import ApiClient, post
from tests.conftest import XAPIClient
from tests.people import NIP_PPPK, add_people, person_row
from tests.statements import NIP_A, NIP_B, asn, completion


def day(n: int) -> str:
    """09:00 WIB on the n-th of March 2025."""
    return f"2025-03-{n:02d}T02:00:00Z"


def credit_of(client: ApiClient, nip: str = NIP_A, year: int | None = 2025) -> dict[str, Any]:
    response = client.get(f"/people/{nip}/credit", query_string={"year": year} if year else {})
    assert response.status_code == 200, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_person_credit_sums_pending_and_verified_and_shows_progress_to_20_jp(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    first = completion(module=1, minutes=360, timestamp=day(10))  # 8 JP
    post(
        xapi,
        first,
        completion(module=2, minutes=360, timestamp=day(11)),  # 8 JP
        completion(module=3, minutes=135, timestamp=day(12)),  # 3 JP
    )
    [entry_id] = [e["id"] for e in credit_of(reader)["entries"] if e["activity_id"].endswith("=1")]
    assert auditor.post(f"/credit/entries/{entry_id}/verify", json={}).status_code == 200

    credit = credit_of(reader)
    assert (credit["nip"], credit["name"], credit["agency"]) == (
        NIP_A,
        "Siti Aminah",
        "Pemerintah Provinsi Lampung",
    )
    assert credit["year"] == 2025
    assert credit["target_jp"] == 20
    assert (credit["total_jp"], credit["verified_jp"], credit["pending_jp"]) == (19, 8, 11)
    assert credit["progress"] == 0.95
    assert credit["reached_target"] is False
    assert credit["by_path"] == {"klasikal": 0, "nonklasikal": 19}
    assert credit["by_form"] == {"e-learning": 19}
    assert [e["status"] for e in credit["entries"]] == ["verified", "pending", "pending"]
    assert credit["entries"][0]["statement_ids"] == [first["id"]]
    assert credit["entries"][0]["date"] == "2025-03-10"
    assert credit["entries"][0]["rule_id"] == "elearning-duration"
    assert credit["entries"][0]["policy_version"] == "2025.1"

    post(xapi, completion(module=4, minutes=45, timestamp=day(13)))  # 1 JP: 20 in all
    credit = credit_of(reader)
    assert (credit["total_jp"], credit["progress"], credit["reached_target"]) == (20, 1, True)

    post(xapi, completion(module=5, minutes=180, timestamp=day(14)))  # beyond the target
    credit = credit_of(reader)
    assert (credit["total_jp"], credit["progress"]) == (24, 1), "progress stops at 1"


def test_rejected_entry_does_not_count(
    xapi: XAPIClient, reader: ApiClient, auditor: ApiClient
) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    post(
        xapi,
        completion(module=1, minutes=90, timestamp=day(10)),
        completion(module=2, minutes=180, timestamp=day(11)),
    )
    entries = credit_of(reader)["entries"]
    response = auditor.post(
        f"/credit/entries/{entries[1]['id']}/reject",
        json={"reason": "Modul dibuka tetapi tidak diikuti (opened, not followed)"},
    )
    assert response.status_code == 200, response.get_json()

    credit = credit_of(reader)
    assert (credit["total_jp"], credit["pending_jp"], credit["verified_jp"]) == (2, 2, 0)
    assert credit["by_form"] == {"e-learning": 2}
    rejected = credit["entries"][1]
    assert (rejected["status"], rejected["jp"], rejected["jp_raw"]) == ("rejected", 0, 4)
    assert rejected["decision_reason"].startswith("Modul dibuka")


def test_credit_counts_only_the_asked_year_in_the_agencys_time_zone(
    xapi: XAPIClient, reader: ApiClient
) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    post(
        xapi,
        completion(module=1, minutes=90, timestamp="2025-12-31T16:30:00Z"),  # 23:30 WIB
        completion(module=2, minutes=90, timestamp="2025-12-31T17:30:00Z"),  # 1 Jan WIB
    )
    assert credit_of(reader, year=2025)["total_jp"] == 2
    assert credit_of(reader, year=2026)["total_jp"] == 2
    assert credit_of(reader, year=2024)["entries"] == []


def test_the_year_defaults_to_this_year_in_the_policys_time_zone(
    xapi: XAPIClient, reader: ApiClient
) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    now = datetime.now(UTC)
    post(xapi, completion(minutes=90, timestamp=now.strftime("%Y-%m-%dT%H:%M:%SZ")))
    credit = credit_of(reader, year=None)
    assert credit["year"] == now.astimezone(ZoneInfo("Asia/Jakarta")).year
    assert credit["total_jp"] == 2


def test_unknown_nip_is_404(reader: ApiClient) -> None:
    response = reader.get(f"/people/{NIP_B}/credit")
    assert response.status_code == 404
    assert response.get_json()["error"] == "PersonUnknown"


def test_credit_of_a_nip_not_yet_in_the_directory_is_shown_without_a_name(
    xapi: XAPIClient, reader: ApiClient
) -> None:
    post(xapi, completion(actor=asn(NIP_B), minutes=90))
    credit = credit_of(reader, NIP_B)
    assert (credit["name"], credit["agency"], credit["unit"]) == (None, None, None)
    assert credit["total_jp"] == 2
    assert credit_of(reader, NIP_B, year=2024)["total_jp"] == 0, "known by its credit, any year"


def test_pppk_staff_over_24_jp_are_flagged(xapi: XAPIClient, reader: ApiClient) -> None:
    add_people(
        person_row(NIP_PPPK, "Rina Wulandari", employment="PPPK"),
        person_row(NIP_A, "Siti Aminah"),
    )
    for nip in (NIP_PPPK, NIP_A):
        post(
            xapi,
            *[
                completion(actor=asn(nip), module=m, minutes=360, timestamp=day(m))
                for m in (1, 2, 3)
            ],
        )  # 24 JP: at the ceiling, not over it
    pppk = credit_of(reader, NIP_PPPK)
    assert (pppk["total_jp"], pppk["pppk_ceiling_jp"], pppk["pppk_ceiling_exceeded"]) == (
        24,
        24,
        False,
    )
    post(xapi, completion(actor=asn(NIP_PPPK), module=4, minutes=45, timestamp=day(4)))
    assert credit_of(reader, NIP_PPPK)["pppk_ceiling_exceeded"] is True

    post(xapi, completion(actor=asn(NIP_A), module=4, minutes=45, timestamp=day(4)))
    pns = credit_of(reader, NIP_A)
    assert (pns["pppk_ceiling_jp"], pns["pppk_ceiling_exceeded"]) == (None, False)


def test_a_nip_typed_with_spaces_finds_the_person(xapi: XAPIClient, reader: ApiClient) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    post(xapi, completion(minutes=90))
    assert credit_of(reader, "19850330 201012 1 002")["nip"] == NIP_A
