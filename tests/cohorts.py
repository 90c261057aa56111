"""Participants' NIPs and a Latsar CPNS cohort, built through the real programs services."""

from __future__ import annotations

from datetime import date

from lms_bridge.db import db, unit_of_work
from lms_bridge.models import Enrollment
from lms_bridge.programs import (
    create_cohort,
    enroll_participants,
    import_program,
    load_template,
    shipped_templates,
)

STARTS = date(2026, 3, 2)
ENDS = date(2026, 5, 15)


def nips(count: int) -> list[str]:
    """Distinct valid NIPs (born 1995, CPNS appointed 2025-01, code 1 or 2)."""
    return [
        f"19950{1 + i % 9}{10 + i % 18:02d}20250{1 + i % 2}{1 + i % 2}{1 + i % 999:03d}"
        for i in range(count)
    ]


def latsar_cohort(participants: list[str], *, number: int = 1) -> tuple[int, dict[str, str]]:
    """A Latsar CPNS cohort with these participants; returns its id and NIP → registration."""
    template = load_template(next(p for p in shipped_templates() if p.stem == "latsar-cpns"))
    rows = [{"nip": nip, "name": f"Peserta {nip[-3:]}"} for nip in participants]
    with unit_of_work() as session:
        import_program(session, template)
        cohort = create_cohort(
            session,
            program_code="latsar-cpns",
            program_version=None,
            year=2026,
            number=number,
            name=f"Latsar CPNS Angkatan {number} Tahun 2026",
            starts_on=STARTS,
            ends_on=ENDS,
            organiser="BPSDM Provinsi Lampung",
        )
        enroll_participants(session, cohort.id, rows)
        cohort_id = cohort.id
    registrations = {
        e.nip: e.registration
        for e in db.session.query(Enrollment).filter(Enrollment.cohort_id == cohort_id)
    }
    return cohort_id, registrations
