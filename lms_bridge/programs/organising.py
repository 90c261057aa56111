"""What organisers do with the cohorts their agency runs: list, create, enroll, download ids.

A cohort belongs to the agency its ``organiser`` names (the same text as the agencies of
accounts and of the people directory, e.g. ``BPSDM Provinsi Lampung``): an organiser of that
agency runs it, and to anyone else it does not exist (:class:`CohortNotFound`, which pages
answer with 404). ``agencies=None`` is an administrator: every agency.

Each function is one use case in one unit of work; the cohort and enrollment rules are those
of :mod:`lms_bridge.programs.cohorts`, written to the audit trail here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work
from lms_bridge.exports import Table
from lms_bridge.models.programs import Certificate, Cohort, Enrollment, Program
from lms_bridge.people.records import rows_from_bytes
from lms_bridge.people.spreadsheets import rows_from_xlsx
from lms_bridge.programs.catalog import list_programs
from lms_bridge.programs.cohorts import EnrollmentImport, create_cohort, enroll_participants
from lms_bridge.programs.errors import CohortInvalid, CohortNotFound

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
"""A participants file: a 20,000-row workbook is well under 1 MiB."""
REGISTRATION_HEADINGS = ("nip", "nama", "registrasi")


@dataclass(frozen=True)
class ProgramChoice:
    """A program an organiser may start a cohort of (its newest version)."""

    code: str
    version: int
    name: str


@dataclass(frozen=True)
class CohortLine:
    """A cohort as the organiser's list shows it."""

    id: int
    program_code: str
    program_name: str
    year: int
    number: int
    name: str
    starts_on: date
    ends_on: date
    organiser: str
    participants: int
    certificates: int


def _scoped(query: Select[Any], agencies: Collection[str] | None) -> Select[Any]:
    return query if agencies is None else query.where(Cohort.organiser.in_(list(agencies)))


def cohort_in_agencies(
    session: Session, cohort_id: int, agencies: Collection[str] | None, *, lock: bool = False
) -> Cohort:
    """The cohort, if one of ``agencies`` runs it (else :class:`CohortNotFound`)."""
    query = select(Cohort).where(Cohort.id == cohort_id)
    if lock:
        query = query.with_for_update()
    cohort = session.scalar(query)
    if cohort is None or (agencies is not None and cohort.organiser not in agencies):
        raise CohortNotFound(f"angkatan {cohort_id} tidak ditemukan (cohort not found)")
    return cohort


def organised_cohorts(agencies: Collection[str] | None) -> list[CohortLine]:
    """The cohorts these agencies run, newest first, with participant and STTPL counts."""
    participants = (
        select(Enrollment.cohort_id, func.count().label("n"))
        .group_by(Enrollment.cohort_id)
        .subquery()
    )
    certificates = (
        select(Certificate.cohort_id, func.count().label("n"))
        .where(Certificate.revoked_at.is_(None))
        .group_by(Certificate.cohort_id)
        .subquery()
    )
    query = (
        select(Cohort, Program, participants.c.n, certificates.c.n)
        .join(Program, Program.id == Cohort.program_id)
        .outerjoin(participants, participants.c.cohort_id == Cohort.id)
        .outerjoin(certificates, certificates.c.cohort_id == Cohort.id)
        .order_by(Cohort.year.desc(), Cohort.starts_on.desc(), Cohort.id.desc())
    )
    with unit_of_work(writes=False) as session:
        rows = session.execute(_scoped(query, agencies)).all()
        return [
            CohortLine(
                id=cohort.id,
                program_code=program.code,
                program_name=program.name,
                year=cohort.year,
                number=cohort.number,
                name=cohort.name,
                starts_on=cohort.starts_on,
                ends_on=cohort.ends_on,
                organiser=cohort.organiser,
                participants=int(enrolled or 0),
                certificates=int(issued or 0),
            )
            for cohort, program, enrolled, issued in rows
        ]


def program_choices() -> list[ProgramChoice]:
    """Every program's newest imported version, by code."""
    with unit_of_work(writes=False) as session:
        newest: dict[str, ProgramChoice] = {}
        for program, _modules in list_programs(session):
            newest[program.code] = ProgramChoice(program.code, program.version, program.name)
        return list(newest.values())


def create_organised_cohort(
    *,
    actor: str,
    agencies: Collection[str] | None,
    program_code: str,
    year: int,
    number: int,
    name: str,
    starts_on: date,
    ends_on: date,
    organiser: str,
) -> int:
    """Create a cohort of the program's newest version for one of the actor's agencies."""
    if agencies is not None and organiser not in agencies:
        raise CohortInvalid(
            "penyelenggara harus instansi Anda (the organiser must be one of your agencies)",
            "agency",
        )
    with unit_of_work() as session:
        try:
            cohort = create_cohort(
                session,
                program_code=program_code,
                program_version=None,
                year=year,
                number=number,
                name=name,
                starts_on=starts_on,
                ends_on=ends_on,
                organiser=organiser,
            )
        except IntegrityError as error:  # the same cohort created at the same moment
            raise CohortInvalid(
                f"angkatan {number} tahun {year} sudah ada (this cohort exists already)",
                "exists",
            ) from error
        record_event(
            session,
            actor=actor,
            action="cohort.create",
            subject_type="cohort",
            subject_id=str(cohort.id),
            after={
                "program": program_code,
                "year": year,
                "number": number,
                "name": name,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
                "organiser": organiser,
            },
        )
        return cohort.id


def participant_rows(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded participants file: XLSX by its name, else CSV (UTF-8)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CohortInvalid(
            f"berkas lebih dari {MAX_UPLOAD_BYTES // 1024 // 1024} MiB "
            f"(the file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MiB)",
            "too_large",
        )
    if filename.lower().endswith(".xlsx"):
        return rows_from_xlsx(data)
    return rows_from_bytes(data)


def enroll_upload(
    cohort_id: int,
    *,
    filename: str,
    data: bytes,
    actor: str,
    agencies: Collection[str] | None,
) -> EnrollmentImport:
    """Enroll the participants of an uploaded CSV or XLSX: all of them or none.

    The cohort is checked before the file is read, so another agency's cohort id answers
    "not found" whatever the file holds.
    """
    with unit_of_work() as session:
        cohort_in_agencies(session, cohort_id, agencies, lock=True)
        rows = participant_rows(filename, data)
        result = enroll_participants(session, cohort_id, rows)
        record_event(
            session,
            actor=actor,
            action="cohort.enroll",
            subject_type="cohort",
            subject_id=str(cohort_id),
            after={
                "file": filename[:200],
                "created": result.created,
                "unchanged": result.unchanged,
            },
        )
        return result


def registration_table(cohort_id: int, agencies: Collection[str] | None) -> tuple[str, Table]:
    """The cohort's registration ids for the LMS (nip, nama, registrasi) and a file name."""
    with unit_of_work(writes=False) as session:
        cohort = cohort_in_agencies(session, cohort_id, agencies)
        program = session.get(Program, cohort.program_id)
        assert program is not None  # a cohort's program is a foreign key
        rows = session.execute(
            select(Enrollment.nip, Enrollment.name, Enrollment.registration)
            .where(Enrollment.cohort_id == cohort_id)
            .order_by(Enrollment.nip)
        ).all()
        table = Table(
            list(REGISTRATION_HEADINGS), [[nip, name or "", reg] for nip, name, reg in rows]
        )
        return f"registrasi-{program.code}-{cohort.year}-{cohort.number}", table
