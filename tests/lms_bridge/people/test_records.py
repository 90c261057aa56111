"""CSV files as agencies' spreadsheets make them: Indonesian headings, and files the csv module
refuses (a bare carriage return, a cell over its field limit), each refused naming the line."""

from __future__ import annotations

import pytest
from flask import Flask

from lms_bridge.db import db, unit_of_work
from lms_bridge.models import ActorMapping, Enrollment, Person
from lms_bridge.people import (
    CsvUnreadable,
    MappingImportRejected,
    PeopleImportRejected,
    get_person,
    import_actor_mappings,
    import_people,
    rows_from_bytes,
    rows_from_csv,
)
from lms_bridge.programs import EnrollmentRejected, enroll_participants
from tests.cohorts import latsar_cohort, nips
from tests.conftest import count_rows

BUDI = "198503302010121002"
INDONESIAN_PEOPLE = (
    "NIP;Nama;Instansi;Unit_Kerja;Jabatan;Email;Status_Kepegawaian\n"
    f"{BUDI};Budi Santoso;Pemprov Lampung;BPSDM;Analis;budi@lampungprov.go.id;PNS\n"
)


def test_people_import_reads_the_indonesian_headings_in_any_case(app_context: Flask) -> None:
    result = import_people(rows_from_csv(INDONESIAN_PEOPLE))
    assert result.created == 1
    budi = get_person(db.session(), BUDI)
    assert budi is not None
    assert (budi.name, budi.agency, budi.unit, budi.position, budi.employment) == (
        "Budi Santoso",
        "Pemprov Lampung",
        "BPSDM",
        "Analis",
        "PNS",
    )


def test_one_column_under_both_names_is_rejected(app_context: Flask) -> None:
    text = INDONESIAN_PEOPLE.replace("Jabatan", "position")
    text = text.replace("Nama;", "nama;name;", 1).replace("Budi Santoso;", "Budi;Budi;", 1)
    with pytest.raises(PeopleImportRejected) as caught:
        import_people(rows_from_csv(text))
    [problem] = caught.value.problems
    assert (problem.line, problem.column) == (1, "name")
    assert "sama dengan kolom nama" in problem.reason
    assert count_rows(Person) == 0


def test_a_missing_required_column_names_its_indonesian_heading(app_context: Flask) -> None:
    text = INDONESIAN_PEOPLE.replace(";Status_Kepegawaian", "").replace(";PNS", "")
    with pytest.raises(PeopleImportRejected) as caught:
        import_people(rows_from_csv(text))
    [problem] = caught.value.problems
    assert problem.column == "employment"
    assert problem.reason.endswith("atau/or status_kepegawaian")


def test_identity_import_reads_the_indonesian_headings(app_context: Flask) -> None:
    import_people(rows_from_csv(INDONESIAN_PEOPLE))
    text = (
        "laman,NAMA_AKUN,surel,nip\n"
        f"https://lms.bpsdm.example.go.id,42,,{BUDI}\n"
        f",,mailto:budi.lain@example.com,{BUDI}\n"
    )
    result = import_actor_mappings(rows_from_csv(text))
    assert result.created == 2
    assert count_rows(ActorMapping) == 2


def test_an_identity_file_with_an_unknown_heading_lists_both_names(app_context: Flask) -> None:
    with pytest.raises(MappingImportRejected) as caught:
        import_actor_mappings(rows_from_csv(f"akun,nip\n42,{BUDI}\n"))
    [problem] = caught.value.problems
    assert problem.column == "akun"
    assert "homePage, account_name, mbox, nip (atau/or laman, nama_akun, surel)" in (problem.reason)


def test_cohort_enrolment_reads_the_indonesian_headings(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort([])
    first, second = nips(2)
    registration = "0b1d4a8e-5c1f-4a55-9a1e-6c9e3f1b2d7a"
    text = f"NIP,Nama,Registrasi\n{first},Ani,{registration}\n{second},Budi,\n"
    with unit_of_work() as session:
        result = enroll_participants(session, cohort_id, rows_from_csv(text))
    assert result.created == 2
    with unit_of_work(writes=False) as session:
        kept = {e.nip: e.registration for e in session.query(Enrollment)}
    assert kept[first] == registration


def test_cohort_enrolment_rejects_an_unknown_heading(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort([])
    with pytest.raises(EnrollmentRejected) as caught, unit_of_work() as session:
        enroll_participants(session, cohort_id, rows_from_csv(f"nip,angkatan\n{nips(1)[0]},1\n"))
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, "angkatan")]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("nip,name\n1,Budi\n2,Bu\rdi\n", 3, "carriage return"),
        ("nip,name\r1,Budi\r", 1, "carriage return"),
        ("nip,name\n1,Budi\n2," + "x" * (128 * 1024 + 1) + "\n", 3, "128 KiB"),
        ("nip,name,Name\n1,Budi,Budi\n", 1, "muncul dua kali"),
    ],
    ids=["carriage return in a row", "carriage returns only", "huge cell", "heading twice"],
)
def test_a_csv_the_csv_module_refuses_is_rejected_naming_the_line(
    text: str, line: int, reason: str
) -> None:
    with pytest.raises(CsvUnreadable) as caught:
        rows_from_csv(text)
    [problem] = caught.value.problems
    assert problem.line == line
    assert reason in problem.reason


def test_a_quoted_carriage_return_is_a_value_not_an_error() -> None:
    assert rows_from_csv('nip,name\n1,"Bu\rdi"\n') == [{"nip": "1", "name": "Bu\rdi"}]


def test_bytes_that_are_not_utf8_are_rejected_naming_the_line() -> None:
    with pytest.raises(CsvUnreadable) as caught:
        rows_from_bytes("nip,name\n1,Budi\n2,Búdi\n".encode("latin-1"))
    [problem] = caught.value.problems
    assert problem.line == 3
    assert "UTF-8" in problem.reason
