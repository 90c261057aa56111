"""The ASN directory: files are stored whole or not at all, matched to people by NIP."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from flask import Flask

from lms_bridge.db import db
from lms_bridge.models import Person
from lms_bridge.people import (
    PeopleImportRejected,
    PersonRejected,
    RowProblem,
    get_person,
    import_people,
    list_people,
    rows_from_csv,
    upsert_person,
)
from tests.conftest import count_rows

BUDI = "198503302010121002"
SITI = "199001152015032001"
ANDI = "197812312005011003"


def row(nip: str = BUDI, **values: str) -> dict[str, str]:
    """A directory row as a CSV reader gives it: every column present, strings only."""
    base = {
        "nip": nip,
        "name": "Budi Santoso",
        "agency": "Pemerintah Provinsi Lampung",
        "unit": "Dinas Pendidikan",
        "position": "Analis Kebijakan",
        "email": "",
        "employment": "PNS",
    }
    base.update(values)
    return base


def problems_of(rows: list[dict[str, Any]]) -> list[RowProblem]:
    with pytest.raises(PeopleImportRejected) as caught:
        import_people(rows)
    return caught.value.problems


def test_import_creates_people_with_normalised_values(app_context: Flask) -> None:
    result = import_people(
        [
            row("19850330 201012 1 002", name="  Budi   Santoso ", email=" Budi@Lampung.GO.ID "),
            row(SITI, name="Siti Aminah", position="", employment="cpns"),
        ]
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert result.changed_nips == {BUDI, SITI}
    budi = get_person(db.session(), BUDI)
    assert budi is not None
    assert budi.name == "Budi Santoso"
    assert budi.email == "budi@lampung.go.id"
    assert (
        budi.email_sha1
        == hashlib.sha1(b"mailto:budi@lampung.go.id", usedforsecurity=False).hexdigest()
    )
    siti = get_person(db.session(), SITI)
    assert siti is not None
    assert siti.position is None
    assert siti.email is None
    assert siti.employment == "CPNS"


def test_reimport_updates_changed_people_and_counts_the_rest_unchanged(
    app_context: Flask,
) -> None:
    import_people([row(BUDI), row(SITI, name="Siti Aminah")])
    before = get_person(db.session(), SITI)
    assert before is not None
    created_at = before.created_at
    result = import_people(
        [row(BUDI), row(SITI, name="Siti Aminah", employment="PNS", unit="BPSDM"), row(ANDI)]
    )
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert result.changed_nips == {SITI, ANDI}
    siti = get_person(db.session(), SITI)
    assert siti is not None
    assert siti.unit == "BPSDM"
    assert siti.created_at == created_at
    assert siti.updated_at >= created_at


def test_an_empty_optional_cell_clears_the_stored_value(app_context: Flask) -> None:
    import_people([row(email="budi@lampung.go.id")])
    import_people([row(email="", position="")])
    budi = get_person(db.session(), BUDI)
    assert budi is not None
    assert (budi.email, budi.email_sha1, budi.position) == (None, None, None)


def test_people_the_file_does_not_name_are_left_alone(app_context: Flask) -> None:
    import_people([row(BUDI), row(SITI)])
    import_people([row(ANDI)])
    assert count_rows(Person) == 3


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_line(app_context: Flask) -> None:
    problems = problems_of([row(BUDI), row(SITI), row(ANDI, employment="honorer")])
    assert problems == [
        RowProblem(
            4, "employment", "harus PNS, CPNS atau PPPK (employment must be PNS, CPNS or PPPK)"
        )
    ]
    assert str(problems[0]).startswith("baris 4, kolom employment: harus PNS")
    assert count_rows(Person) == 0


def test_a_bad_file_leaves_the_directory_as_it_was(app_context: Flask) -> None:
    import_people([row(BUDI, unit="Dinas Pendidikan")])
    problems_of([row(BUDI, unit="BPSDM"), row("123")])
    budi = get_person(db.session(), BUDI)
    assert budi is not None
    assert budi.unit == "Dinas Pendidikan"


def test_every_problem_of_a_file_is_reported_not_only_the_first(app_context: Flask) -> None:
    problems = problems_of(
        [
            row("19850330201012100", name="", email="budi-at-lampung"),
            row(SITI, agency="", unit="x" * 201),
        ]
    )
    assert [(problem.line, problem.column) for problem in problems] == [
        (2, "nip"),
        (2, "name"),
        (2, "email"),
        (3, "agency"),
        (3, "unit"),
    ]
    assert problems[0].reason.startswith("NIP harus 18 digit")
    assert problems[1].reason == "wajib diisi (required)"
    assert "paling banyak 200 karakter" in problems[4].reason


def test_a_nip_twice_in_one_file_is_rejected(app_context: Flask) -> None:
    problems = problems_of([row(BUDI), row(SITI), row("19850330 201012 1 002", name="Budi S.")])
    assert problems == [RowProblem(4, "nip", "NIP sudah ada di baris 2 (duplicate of line 2)")]
    assert count_rows(Person) == 0


def test_an_email_twice_in_one_file_is_rejected(app_context: Flask) -> None:
    problems = problems_of([row(BUDI, email="a@x.go.id"), row(SITI, email="A@x.go.id")])
    assert [(problem.line, problem.column) for problem in problems] == [(3, "email")]
    assert "baris 2" in problems[0].reason


def test_an_email_held_by_someone_outside_the_file_is_rejected(app_context: Flask) -> None:
    import_people([row(BUDI, email="a@x.go.id")])
    problems = problems_of([row(SITI, email="a@x.go.id")])
    assert problems == [
        RowProblem(
            2,
            "email",
            f"e-mail sudah dipakai NIP {BUDI} di direktori "
            f"(e-mail already used by NIP {BUDI} in the directory)",
        )
    ]


def test_an_email_can_move_between_people_the_file_names(app_context: Flask) -> None:
    import_people([row(BUDI, email="a@x.go.id"), row(SITI, email="b@x.go.id")])
    import_people([row(BUDI, email="b@x.go.id"), row(SITI, email="a@x.go.id")])
    budi, siti = get_person(db.session(), BUDI), get_person(db.session(), SITI)
    assert budi is not None
    assert siti is not None
    assert (budi.email, siti.email) == ("b@x.go.id", "a@x.go.id")


def test_a_missing_required_column_is_reported_once_on_the_heading_line(
    app_context: Flask,
) -> None:
    rows = [
        {key: value for key, value in row(nip).items() if key != "unit"} for nip in (BUDI, SITI)
    ]
    assert problems_of(rows) == [
        RowProblem(1, "unit", "kolom wajib tidak ada (required column missing); atau/or unit_kerja")
    ]


def test_an_unknown_column_is_rejected_rather_than_ignored(app_context: Flask) -> None:
    problems = problems_of([{**row(), "emial": "budi@x.go.id"}])
    assert [(problem.line, problem.column) for problem in problems] == [(1, "emial")]
    assert problems[0].reason.startswith("kolom tidak dikenal")


def test_csv_headings_match_in_any_case_and_semicolons_separate(app_context: Flask) -> None:
    text = (
        "\ufeffNIP;Name;Agency;Unit;Position;Email;Employment\n"
        f"{BUDI};Budi Santoso;Pemprov Lampung;Dinas Pendidikan;;budi@x.go.id;PNS\n"
    )
    result = import_people(rows_from_csv(text))
    assert result.created == 1


def test_blank_lines_keep_the_line_numbers_of_the_file(app_context: Flask) -> None:
    text = (
        "nip,name,agency,unit,position,email,employment\n"
        f"{BUDI},Budi,Pemprov Lampung,Dinas Pendidikan,,,PNS\n"
        "\n"
        f"{SITI},Siti,Pemprov Lampung,Dinas Pendidikan,,,ASN\n"
    )
    problems = problems_of(rows_from_csv(text))
    assert [(problem.line, problem.column) for problem in problems] == [(4, "employment")]


def test_an_unquoted_comma_in_a_value_is_reported_at_its_line(app_context: Flask) -> None:
    text = (
        "nip,name,agency,unit,position,email,employment\n"
        f"{BUDI},Budi Santoso, S.Pd.,Pemprov Lampung,Dinas Pendidikan,,,PNS\n"
    )
    problems = problems_of(rows_from_csv(text))
    assert (problems[0].line, problems[0].column) == (2, "")
    assert "tanpa tanda kutip" in problems[0].reason


def test_trailing_empty_cells_are_ignored(app_context: Flask) -> None:
    text = (
        "nip,name,agency,unit,position,email,employment,,\n"
        f"{BUDI},Budi,Pemprov Lampung,Dinas Pendidikan,,,PNS,,\n"
    )
    assert import_people(rows_from_csv(text)).created == 1


def test_an_empty_file_imports_nothing(app_context: Flask) -> None:
    assert import_people(rows_from_csv("nip,name,agency,unit,position,email,employment\n")) == (
        import_people([])
    )


def test_upsert_person_creates_then_overwrites(app_context: Flask) -> None:
    upsert_person(BUDI, name="Budi", agency="Pemprov Lampung", unit="Dinas", employment="PNS")
    person = upsert_person(
        "19850330 201012 1 002",
        name="Budi Santoso",
        agency="Pemprov Lampung",
        unit="BPSDM",
        employment="PNS",
        email="Budi@X.go.id",
    )
    assert (person.nip, person.unit, person.email) == (BUDI, "BPSDM", "budi@x.go.id")
    assert count_rows(Person) == 1


def test_upsert_person_names_every_wrong_value(app_context: Flask) -> None:
    with pytest.raises(PersonRejected) as caught:
        upsert_person("123", name="", agency="A", unit="U", employment="X")
    assert [(problem.line, problem.column) for problem in caught.value.problems] == [
        (None, "nip"),
        (None, "name"),
        (None, "employment"),
    ]
    assert str(caught.value.problems[0]).startswith("kolom nip: NIP harus 18 digit")


def test_upsert_person_refuses_an_email_someone_else_holds(app_context: Flask) -> None:
    upsert_person(BUDI, name="Budi", agency="A", unit="U", employment="PNS", email="a@x.go.id")
    with pytest.raises(PersonRejected):
        upsert_person(SITI, name="Siti", agency="A", unit="U", employment="PNS", email="a@x.go.id")
    assert (
        upsert_person(
            BUDI, name="Budi", agency="A", unit="U", employment="PNS", email="a@x.go.id"
        ).email
        == "a@x.go.id"
    )


def test_list_people_filters_by_agency_and_pages_by_nip(app_context: Flask) -> None:
    import_people(
        [
            row(BUDI, agency="Pemprov Lampung"),
            row(SITI, agency="Pemprov Lampung"),
            row(ANDI, agency="Pemkab Lampung Selatan"),
        ]
    )
    assert [person.nip for person in list_people(db.session())] == [ANDI, BUDI, SITI]
    first = list_people(db.session(), "Pemprov Lampung", limit=1)
    assert [person.nip for person in first] == [BUDI]
    assert [
        person.nip for person in list_people(db.session(), "Pemprov Lampung", after=first[-1].nip)
    ] == [SITI]
    assert list_people(db.session(), "Pemprov Lampung", unit="Tidak Ada") == []


def test_get_person_accepts_the_printed_form_and_answers_none_when_unknown(
    app_context: Flask,
) -> None:
    import_people([row(BUDI)])
    assert get_person(db.session(), "19850330 201012 1 002") is not None
    assert get_person(db.session(), SITI) is None
