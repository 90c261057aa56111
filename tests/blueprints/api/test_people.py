"""The directory through the API: one person, a page of people, CSV files of people, identities."""

from __future__ import annotations

from typing import Any

from lms_bridge.db import db
from lms_bridge.people import get_person
from tests.blueprints.api.conftest import ApiClient, post
from tests.conftest import XAPIClient
from tests.people import AGENCY, OTHER_AGENCY, add_people, person_row
from tests.statements import MOODLE, NIP_A, NIP_B, completion, moodle_user

SITI = {
    "name": "Siti Aminah",
    "agency": AGENCY,
    "unit": "Bidang Diklat",
    "employment": "PNS",
    "email": "Siti.Aminah@Lampungprov.go.id",
}
PEOPLE_CSV = (
    "nip;name;agency;unit;position;email;employment\n"
    f"{NIP_A};Siti Aminah;{AGENCY};Bidang Diklat;Analis;siti@lampungprov.go.id;PNS\n"
    f"{NIP_B};Budi Pribadi;{OTHER_AGENCY};Dinas Pendidikan;;;PPPK\n"
)


def test_put_creates_a_person_and_get_returns_them(keeper: ApiClient) -> None:
    response = keeper.put(f"/people/{NIP_A}", json=SITI)
    assert response.status_code == 200, response.get_json()
    stored = keeper.get(f"/people/{NIP_A}").get_json()
    assert stored["name"] == "Siti Aminah"
    assert stored["email"] == "siti.aminah@lampungprov.go.id", "stored lowercased"
    assert stored["position"] is None

    again = keeper.put(f"/people/{NIP_A}", json={**SITI, "unit": "Sekretariat"})
    assert again.get_json()["unit"] == "Sekretariat"


def test_a_person_with_wrong_values_is_400_naming_each_field(keeper: ApiClient) -> None:
    response = keeper.put(
        "/people/123", json={**SITI, "employment": "honorer", "email": "bukan-email"}
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "ValidationError"
    assert set(body["fields"]) == {"nip", "employment", "email"}
    assert "employment: harus PNS, CPNS atau PPPK" in body["detail"]


def test_a_person_without_a_required_field_is_400(keeper: ApiClient) -> None:
    response = keeper.put(f"/people/{NIP_A}", json={"name": "Siti"})
    assert response.status_code == 400
    assert set(response.get_json()["fields"]) == {"agency", "unit", "employment"}


def test_an_unknown_person_is_404(keeper: ApiClient) -> None:
    response = keeper.get(f"/people/{NIP_A}")
    assert response.status_code == 404
    assert response.get_json()["error"] == "NotFound"


def test_people_are_listed_by_nip_a_page_at_a_time_and_by_agency(keeper: ApiClient) -> None:
    nips = sorted(f"19850330201012100{n}" for n in range(1, 6))
    add_people(*[person_row(nip, f"ASN {nip[-1]}") for nip in nips])
    add_people(person_row(NIP_B, "Budi", agency=OTHER_AGENCY))

    first = keeper.get("/people", query_string={"agency": AGENCY, "limit": 3}).get_json()
    assert [p["nip"] for p in first["people"]] == nips[:3]
    rest = keeper.get(
        "/people", query_string={"agency": AGENCY, "limit": 3, "after": first["next_after"]}
    ).get_json()
    assert [p["nip"] for p in rest["people"]] == nips[3:]
    assert rest["next_after"] is None
    everyone = keeper.get("/people").get_json()["people"]
    assert len(everyone) == 6


def test_a_credit_reader_may_read_people_but_not_write_them(reader: ApiClient) -> None:
    add_people(person_row(NIP_A, "Siti"))
    assert reader.get(f"/people/{NIP_A}").status_code == 200
    assert reader.put(f"/people/{NIP_A}", json=SITI).status_code == 403


def test_a_people_file_is_imported_whole(keeper: ApiClient) -> None:
    response = keeper.csv("/people/import", "\ufeff" + PEOPLE_CSV)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "credit_groups_changed": 0,
    }
    assert keeper.csv("/people/import", PEOPLE_CSV).get_json()["unchanged"] == 2


def test_a_person_given_their_e_mail_receives_the_credit_of_that_mbox_actor(
    xapi: XAPIClient, keeper: ApiClient, reader: ApiClient
) -> None:
    post(
        xapi,
        completion(actor={"objectType": "Agent", "mbox": "mailto:Siti.Aminah@lampungprov.go.id"}),
    )
    assert reader.get(f"/people/{NIP_A}/credit").status_code == 404, "parked, nobody's yet"
    assert keeper.put(f"/people/{NIP_A}", json=SITI).status_code == 200
    credit = reader.get(f"/people/{NIP_A}/credit", query_string={"year": 2025}).get_json()
    assert credit["total_jp"] == 2


def test_a_people_file_gives_mbox_actors_their_credit(
    xapi: XAPIClient, keeper: ApiClient, reader: ApiClient
) -> None:
    post(xapi, completion(actor={"objectType": "Agent", "mbox": "mailto:siti@lampungprov.go.id"}))
    result = keeper.csv("/people/import", PEOPLE_CSV).get_json()
    assert result["credit_groups_changed"] >= 1
    credit = reader.get(f"/people/{NIP_A}/credit", query_string={"year": 2025}).get_json()
    assert credit["total_jp"] == 2


def test_a_rejected_people_file_is_400_with_each_line_column_and_reason(
    keeper: ApiClient,
) -> None:
    text = PEOPLE_CSV + "123;Salah;X;Y;;;PNS\n" + f"{NIP_A};Ganda;X;Y;;;PNS\n"
    response = keeper.csv("/people/import", text)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "PeopleImportRejected"
    assert [(p["line"], p["column"]) for p in body["problems"]] == [(4, "nip"), (5, "nip")]
    assert "tidak ada yang disimpan" in body["detail"]
    assert get_person(db.session(), NIP_B) is None, "nothing was stored"


def test_a_file_that_is_not_csv_or_not_utf8_is_refused(keeper: ApiClient) -> None:
    as_json = keeper.post("/people/import", json={"nip": NIP_A})
    assert as_json.status_code == 415
    latin1 = keeper.post(
        "/people/import",
        data=PEOPLE_CSV.replace("Siti", "Sîti").encode("latin-1"),
        content_type="text/csv",
    )
    assert latin1.status_code == 400
    assert "UTF-8" in latin1.get_json()["detail"]


def test_an_identity_file_maps_lms_users_and_credits_their_parked_statements(
    xapi: XAPIClient, keeper: ApiClient, reader: ApiClient
) -> None:
    post(xapi, completion(actor=moodle_user("42"), minutes=90))
    assert reader.get(f"/people/{NIP_A}/credit").status_code == 404, "parked, nobody's yet"
    add_people(person_row(NIP_A, "Siti Aminah"))

    response = keeper.csv("/identities/import", f"homePage,account_name,nip\n{MOODLE},42,{NIP_A}\n")
    assert response.status_code == 200, response.get_json()
    result: dict[str, Any] = response.get_json()
    assert (result["created"], result["rematched_identities"]) == (1, 1)
    assert result["credit_groups_changed"] >= 1
    credit = reader.get(f"/people/{NIP_A}/credit", query_string={"year": 2025}).get_json()
    assert credit["total_jp"] == 2


def test_an_identity_file_naming_an_unknown_nip_is_rejected(keeper: ApiClient) -> None:
    response = keeper.csv("/identities/import", f"mbox,nip\nbudi@example.com,{NIP_B}\n")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "MappingImportRejected"
    assert body["problems"][0]["line"] == 2


def test_csv_the_csv_module_refuses_is_400_naming_the_line_never_500(keeper: ApiClient) -> None:
    heading, first_row = PEOPLE_CSV.splitlines()[:2]
    for path in ("/people/import", "/identities/import"):
        for bad, reason in (
            (f"{heading}\n{first_row}\n{NIP_B};Bu\rdi;X;Y;;;PNS\n", "carriage return"),
            (f"{heading}\n{first_row}\n{NIP_B};{'x' * 140_000};X;Y;;;PNS\n", "128 KiB"),
        ):
            response = keeper.csv(path, bad)
            assert response.status_code == 400, response.get_data(as_text=True)[:200]
            body = response.get_json()
            assert body["error"] == "CsvUnreadable"
            assert "baris 3" in body["detail"]
            assert [(p["line"], p["column"]) for p in body["problems"]] == [(3, "")]
            assert reason in body["problems"][0]["reason"]
    assert get_person(db.session(), NIP_A) is None, "nothing was stored"


def test_people_import_accepts_the_indonesian_headings(keeper: ApiClient) -> None:
    indonesian = PEOPLE_CSV.replace(
        "nip;name;agency;unit;position;email;employment",
        "nip;nama;instansi;unit_kerja;jabatan;email;status_kepegawaian",
    )
    response = keeper.csv("/people/import", indonesian)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 2


def test_the_documented_csv_examples_import_in_both_languages(keeper: ApiClient) -> None:
    document = keeper.client.get("/api/v1/openapi.json").get_json()
    body = document["paths"]["/api/v1/people/import"]["post"]["requestBody"]
    examples = body["content"]["text/csv"]["examples"]
    assert set(examples) == {"english", "indonesia"}
    for example in examples.values():
        response = keeper.csv("/people/import", example["value"])
        assert response.status_code == 200, response.get_json()
    person = get_person(db.session(), NIP_A)
    assert person is not None
    assert person.agency == "BPSDM Provinsi Lampung"
    identities = document["paths"]["/api/v1/identities/import"]["post"]["requestBody"]
    assert set(identities["content"]["text/csv"]["examples"]) == {"english", "indonesia"}
