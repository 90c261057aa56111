"""/api/v1 refuses, with a 400 naming the field, whatever the database could not store.

U+0000 in a path segment, parameter, header or JSON field, and integers beyond 64 bits, used
to reach PostgreSQL and fail there (``psycopg.DataError``, ``bigint out of range``) as 500s.
"""

from __future__ import annotations

from typing import Any

import pytest

from lms_bridge.db import BIGINT_MAX
from tests.blueprints.api.conftest import ApiClient
from tests.statements import NIP_A

TOO_BIG = str(2**64)


def _names(response: Any, field: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) >= {"error", "detail"}
    assert field in body["fields"], body


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/credit/pending", {"after": TOO_BIG}, "after"),
        ("/credit/pending", {"after": str(BIGINT_MAX + 1)}, "after"),
        ("/credit/pending", {"after": "-1"}, "after"),
        ("/credit/pending", {"limit": TOO_BIG}, "limit"),
        ("/credit/pending", {"agency": "BPSDM\x00"}, "agency"),
        ("/credit/pending", {"year": TOO_BIG}, "year"),
        ("/people", {"after": "1985\x00"}, "after"),
        (f"/people/{NIP_A}/credit", {"year": "2025\x00"}, "year"),
        ("/people/1985\x00/credit", {}, "nip"),
        ("/people/1985\x00", {}, "nip"),
        ("/agencies/BPSDM\x00/summary", {}, "agency"),
        (f"/cohorts/{TOO_BIG}/progress", {}, "cohort_id"),
        (f"/cohorts/1/participants/{NIP_A}\x00/progress", {}, "nip"),
    ],
)
def test_reads_refuse_nul_and_integers_beyond_64_bits(
    api_as: Any, path: str, query: dict[str, str], field: str
) -> None:
    client: ApiClient = api_as("all")
    _names(client.get(path, query_string=query), field)


@pytest.mark.parametrize("action", ["verify", "reject", "correct"])
def test_decisions_refuse_an_entry_id_beyond_64_bits(auditor: ApiClient, action: str) -> None:
    body = {"reason": "cek", "jp": 1}
    _names(auditor.post(f"/credit/entries/{TOO_BIG}/{action}", json=body), "entry_id")


def test_bulk_verification_refuses_an_entry_id_beyond_64_bits(auditor: ApiClient) -> None:
    _names(auditor.post("/credit/entries/verify", json={"ids": [1, int(TOO_BIG)]}), "ids[1]")


def test_json_fields_with_nul_are_refused_by_name(auditor: ApiClient, keeper: ApiClient) -> None:
    _names(auditor.post("/credit/entries/1/reject", json={"reason": "bukan\x00"}), "reason")
    person = {
        "name": "Siti\x00",
        "agency": "BPSDM",
        "unit": "Diklat",
        "employment": "PNS",
    }
    _names(keeper.put(f"/people/{NIP_A}", json=person), "name")


def test_a_correction_beyond_the_ledger_is_refused(auditor: ApiClient) -> None:
    _names(auditor.post("/credit/entries/1/correct", json={"jp": 1e20, "reason": "x"}), "jp")


def test_json_nested_too_deep_is_a_400(auditor: ApiClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    response = auditor.post("/credit/entries/1/reject", data=deep, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["fields"]["body"]


def test_a_csv_cell_with_nul_is_a_problem_of_its_line(keeper: ApiClient, reader: ApiClient) -> None:
    text = (
        "nip,name,agency,unit,position,email,employment\n"
        f"{NIP_A},Siti\x00 Aminah,BPSDM Provinsi Lampung,Bidang Diklat,,,PNS\n"
    )
    response = keeper.csv("/people/import", text)
    assert response.status_code == 400, response.get_data(as_text=True)
    problems = response.get_json()["problems"]
    assert problems[0]["line"] == 2
    assert problems[0]["column"] == "name"
    assert "U+0000" in problems[0]["reason"]
    assert reader.get(f"/people/{NIP_A}").status_code == 404  # nothing was stored
