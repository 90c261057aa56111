"""Cohorts (angkatan) and their participants.

Each enrollment gets a registration UUID the LMS can send as ``context.registration``: it
ties a statement to one participant's run of one program without relying on how the LMS
names its users (xAPI Data 2.4.6; Moodle's own registration is a session key, not usable).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.db import utcnow
from lms_bridge.models.programs import Cohort, Enrollment
from lms_bridge.people.nip import InvalidNip, parse_nip
from lms_bridge.people.records import RowProblem, read_rows
from lms_bridge.programs.catalog import find_program
from lms_bridge.programs.errors import CohortInvalid, CohortNotFound, EnrollmentRejected
from lms_bridge.programs.rederive import bump_progress_version

PARTICIPANT_COLUMNS = ("nip", "name", "registration")
INDONESIAN_COLUMNS = {"nama": "name", "registrasi": "registration"}


def create_cohort(
    session: Session,
    *,
    program_code: str,
    program_version: int | None,
    year: int,
    number: int,
    name: str,
    starts_on: date,
    ends_on: date,
    organiser: str,
) -> Cohort:
    """Create a cohort of a program version (the newest when no version is given)."""
    if ends_on < starts_on:
        raise CohortInvalid(
            "tanggal selesai sebelum tanggal mulai (the end date is before the start date)",
            "dates",
        )
    if number < 1:
        raise CohortInvalid(
            "nomor angkatan harus 1 atau lebih (number must be at least 1)", "number"
        )
    program = find_program(session, program_code, program_version)
    taken = session.scalar(
        select(Cohort.id).where(
            Cohort.program_id == program.id, Cohort.year == year, Cohort.number == number
        )
    )
    if taken is not None:
        raise CohortInvalid(
            f"angkatan {number} tahun {year} program {program.code} sudah ada (id {taken}) "
            "(this cohort exists already)",
            "exists",
        )
    cohort = Cohort(
        program_id=program.id,
        year=year,
        number=number,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        organiser=organiser,
        activity_id=f"{program.activity_base}/angkatan/{year}-{number}",
        created_at=utcnow(),
        progress_version=0,
    )
    session.add(cohort)
    session.flush()
    return cohort


def get_cohort(session: Session, cohort_id: int) -> Cohort:
    """The cohort, or :class:`CohortNotFound`."""
    cohort = session.get(Cohort, cohort_id)
    if cohort is None:
        raise CohortNotFound(f"angkatan {cohort_id} tidak ditemukan (cohort not found)")
    return cohort


@dataclass(frozen=True)
class EnrollmentImport:
    """How many participants the file added, and how many were enrolled already."""

    created: int
    unchanged: int


def enroll_participants(
    session: Session, cohort_id: int, rows: Iterable[Mapping[str, str]]
) -> EnrollmentImport:
    """Enroll the participants of a CSV (columns nip, name, registration, or in Indonesian
    nip, nama, registrasi): all or none.

    Every problem is collected with its line before anything is written, so one run tells
    the organiser everything to fix.
    """
    get_cohort(session, cohort_id)
    records, problems = read_rows(
        rows,
        PARTICIPANT_COLUMNS,
        ("nip",),
        rejected=EnrollmentRejected,
        other_names=INDONESIAN_COLUMNS,
    )
    existing = {
        enrollment.nip: enrollment
        for enrollment in session.scalars(
            select(Enrollment).where(Enrollment.cohort_id == cohort_id)
        )
    }
    wanted: list[tuple[str, str | None, str]] = []
    seen: dict[str, int] = {}
    registrations: dict[str, int] = {}
    for line, values in records:
        try:
            nip = str(parse_nip(values.get("nip", "")))
        except InvalidNip as error:
            problems.append(RowProblem(line, "nip", str(error)))
            continue
        if nip in seen:
            problems.append(
                RowProblem(line, "nip", f"NIP sudah ada di baris {seen[nip]} (duplicate NIP)")
            )
            continue
        seen[nip] = line
        registration = values.get("registration") or ""
        if registration:
            try:
                registration = str(uuid.UUID(registration))
            except ValueError:
                problems.append(RowProblem(line, "registration", "bukan UUID (not a UUID)"))
                continue
            if registration in registrations:
                problems.append(
                    RowProblem(
                        line,
                        "registration",
                        f"sudah dipakai di baris {registrations[registration]} (used twice)",
                    )
                )
                continue
            registrations[registration] = line
        wanted.append((nip, values.get("name") or None, registration or str(uuid.uuid4())))
    if registrations:
        taken = set(
            session.scalars(
                select(Enrollment.registration).where(
                    Enrollment.registration.in_(list(registrations))
                )
            )
        )
        for registration in sorted(taken):
            line = registrations[registration]
            nip = next(nip for nip, number in seen.items() if number == line)
            if existing.get(nip) is None or existing[nip].registration != registration:
                problems.append(
                    RowProblem(
                        line,
                        "registration",
                        "sudah dipakai peserta lain (used by another enrollment)",
                    )
                )
    if problems:
        raise EnrollmentRejected(problems)
    now = utcnow()
    new = [
        Enrollment(
            cohort_id=cohort_id,
            nip=nip,
            name=name,
            registration=registration,
            completed=False,
            passed=False,
            enrolled_at=now,
        )
        for nip, name, registration in wanted
        if nip not in existing
    ]
    session.add_all(new)
    session.flush()
    if new:
        bump_progress_version(session, [cohort_id])
    return EnrollmentImport(created=len(new), unchanged=len(wanted) - len(new))


def list_cohorts(session: Session) -> list[Cohort]:
    """Every cohort, newest first."""
    return list(session.scalars(select(Cohort).order_by(Cohort.year.desc(), Cohort.id.desc())))
