"""The organiser's use cases: scoped to the agencies that run a cohort, audited, all or none."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.db import db, unit_of_work
from lms_bridge.models import AuditEvent, Enrollment
from lms_bridge.programs import CohortInvalid, CohortNotFound, EnrollmentRejected
from lms_bridge.programs.catalog import import_program
from lms_bridge.programs.organising import (
    create_organised_cohort,
    enroll_upload,
    organised_cohorts,
    program_choices,
    registration_table,
)
from lms_bridge.programs.template import load_template, shipped_templates
from tests.cohorts import nips
from tests.conftest import count_rows
from tests.lms_bridge.people.test_spreadsheets import workbook

LAMPUNG = "BPSDM Provinsi Lampung"
BALI = "BPSDM Provinsi Bali"


def _programs() -> None:
    with unit_of_work() as session:
        for path in shipped_templates():
            import_program(session, load_template(path))


def _create(agency: str = LAMPUNG, *, agencies: list[str] | None = None, number: int = 1) -> int:
    return create_organised_cohort(
        actor="org@lampung.go.id",
        agencies=[LAMPUNG] if agencies is None else agencies,
        program_code="pkp",
        year=2026,
        number=number,
        name=f"PKP Angkatan {number}",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 6, 5),
        organiser=agency,
    )


def test_an_organiser_creates_a_cohort_of_their_agency_and_it_is_audited(
    app_context: Flask,
) -> None:
    _programs()
    assert {choice.code for choice in program_choices()} == {"latsar-cpns", "pka", "pkn-ii", "pkp"}
    cohort_id = _create()
    [line] = organised_cohorts([LAMPUNG])
    assert (line.id, line.program_code, line.participants) == (cohort_id, "pkp", 0)
    assert organised_cohorts([BALI]) == []
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.create"))
    assert event.subject_id == str(cohort_id)
    with pytest.raises(CohortInvalid) as twice:
        _create()
    assert twice.value.problem == "exists"
    with pytest.raises(CohortInvalid) as elsewhere:
        _create(BALI, number=2)
    assert elsewhere.value.problem == "agency"


def test_an_xlsx_upload_enrolls_everyone_or_nobody(app_context: Flask) -> None:
    _programs()
    cohort_id = _create()
    good = nips(2)
    bad = workbook(["nip", "nama"], [good[0], "Siti"], ["12345", "Budi"], [good[0], "lagi"])
    with pytest.raises(EnrollmentRejected) as rejected:
        enroll_upload(cohort_id, filename="peserta.xlsx", data=bad, actor="o", agencies=[LAMPUNG])
    assert [problem.line for problem in rejected.value.problems] == [3, 4]
    assert count_rows(Enrollment) == 0
    data = workbook(["NIP", "Nama"], [good[0], "Siti"], [good[1], "Budi"])
    result = enroll_upload(
        cohort_id, filename="PESERTA.XLSX", data=data, actor="o", agencies=[LAMPUNG]
    )
    assert (result.created, result.unchanged) == (2, 0)
    name, table = registration_table(cohort_id, [LAMPUNG])
    assert name == "registrasi-pkp-2026-1"
    assert table.headers == ["nip", "nama", "registrasi"]
    assert sorted(row[0] for row in table.rows) == sorted(good)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "cohort.enroll"))
    assert [event.after["created"] for event in events] == [2]


def test_a_csv_upload_with_indonesian_headings_enrolls(app_context: Flask) -> None:
    _programs()
    cohort_id = _create()
    data = f"nip;nama\n{nips(1)[0]};Siti\n".encode()
    result = enroll_upload(cohort_id, filename="peserta.csv", data=data, actor="o", agencies=None)
    assert result.created == 1


def test_another_agency_s_cohort_is_not_found_whatever_the_file(app_context: Flask) -> None:
    _programs()
    cohort_id = _create()
    with pytest.raises(CohortNotFound):
        enroll_upload(cohort_id, filename="x.xlsx", data=b"junk", actor="o", agencies=[BALI])
    with pytest.raises(CohortNotFound):
        registration_table(cohort_id, [BALI])
