"""Cohorts and enrollment: a participants file is stored whole or not at all."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask

from lms_bridge.db import unit_of_work
from lms_bridge.models import Enrollment
from lms_bridge.programs import (
    CohortInvalid,
    EnrollmentRejected,
    create_cohort,
    enroll_participants,
)
from tests.cohorts import ENDS, STARTS, latsar_cohort, nips
from tests.conftest import count_rows


def test_each_enrollment_gets_its_own_registration_uuid(app_context: Flask) -> None:
    _, registrations = latsar_cohort(nips(5))
    assert len(set(registrations.values())) == 5
    for registration in registrations.values():
        assert str(uuid.UUID(registration)) == registration


def test_a_file_with_one_bad_line_stores_nothing_and_names_every_line(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort([])
    good = nips(3)
    rows = [
        {"nip": good[0], "name": "A"},
        {"nip": "12345", "name": "B"},
        {"nip": good[1], "registration": "bukan-uuid"},
        {"nip": good[0], "name": "A lagi"},
        {"nip": good[2]},
    ]
    with pytest.raises(EnrollmentRejected) as caught, unit_of_work() as session:
        enroll_participants(session, cohort_id, rows)
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (3, "nip"),
        (4, "registration"),
        (5, "nip"),
    ]
    assert count_rows(Enrollment) == 0


def test_enrolling_again_keeps_the_registration(app_context: Flask) -> None:
    cohort_id, registrations = latsar_cohort(nips(2))
    with unit_of_work() as session:
        result = enroll_participants(session, cohort_id, [{"nip": n} for n in nips(3)])
    assert (result.created, result.unchanged) == (1, 2)
    _, after = latsar_cohort([], number=2)
    assert after == {}
    with unit_of_work() as session:
        kept = {
            e.nip: e.registration
            for e in session.query(Enrollment).filter(Enrollment.cohort_id == cohort_id)
        }
    assert all(kept[nip] == registration for nip, registration in registrations.items())


def test_a_cohort_ending_before_it_starts_is_refused(app_context: Flask) -> None:
    latsar_cohort([])
    with pytest.raises(CohortInvalid), unit_of_work() as session:
        create_cohort(
            session,
            program_code="latsar-cpns",
            program_version=None,
            year=2026,
            number=9,
            name="x",
            starts_on=ENDS,
            ends_on=STARTS,
            organiser="BPSDM",
        )


def test_cohorts_commands_create_and_enroll_from_csv(app_context: Flask, tmp_path: Path) -> None:
    runner = app_context.test_cli_runner()
    runner.invoke(args=["programs", "import", "lms_bridge/programs/templates/pkp.yaml"])
    created = runner.invoke(
        args=[
            "cohorts",
            "create",
            "--program",
            "pkp",
            "--year",
            "2026",
            "--number",
            "4",
            "--name",
            "PKP Angkatan IV",
            "--start",
            "2026-02-01",
            "--end",
            "2026-05-31",
            "--organiser",
            "BPSDM Provinsi Lampung",
        ]
    )
    assert created.exit_code == 0, created.output
    assert "https://lms.bpsdm.example.go.id/program/pkp/angkatan/2026-4" in created.output
    cohort_id = created.output.split()[2].rstrip(":")
    csv = tmp_path / "peserta.csv"
    csv.write_text("nip,name\n" + "".join(f"{n},Peserta\n" for n in nips(4)), encoding="utf-8")
    enrolled = runner.invoke(args=["cohorts", "enroll", cohort_id, str(csv)])
    assert enrolled.exit_code == 0, enrolled.output
    assert "peserta baru 4" in enrolled.output
    bad = tmp_path / "salah.csv"
    bad.write_text("nip\n123\n", encoding="utf-8")
    refused = runner.invoke(args=["cohorts", "enroll", cohort_id, str(bad)])
    assert refused.exit_code != 0
    assert "baris 2, kolom nip" in refused.output
