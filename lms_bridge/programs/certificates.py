"""STTPL certificates: issued to a participant who completed and passed, verified in public.

The number follows the program's ``certificate_number`` pattern (template data, validated
when the template loads) filled with the cohort's next sequence. The sequence is drawn with
the cohort row locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so
two organisers issuing at the same moment queue and get consecutive numbers, and the unique
constraints are the last word: one certificate per enrollment, one sequence per cohort.

Each certificate has a random public code (128 bits) that addresses its verification page:
it cannot be guessed from the number, which is printed and predictable. A revoked
certificate stays verifiable, as revoked, with the date; its number is never reused.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import segno
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models.programs import Certificate, Cohort, Enrollment, Program
from lms_bridge.programs.errors import CertificateRefused, EnrollmentNotFound
from lms_bridge.programs.organising import cohort_in_agencies
from lms_bridge.programs.template import DEFAULT_CERTIFICATE_NUMBER, certificate_number
from lms_bridge.sql.chunks import chunked

CODE_BYTES = 16
REASON_LENGTH = 500
CODE_LENGTH = 32


@dataclass(frozen=True)
class CertificateView:
    """A certificate as the verification page, the API and the cohort page show it."""

    number: str
    public_code: str
    nip: str
    name: str
    program_code: str
    program_name: str
    cohort_name: str
    cohort_year: int
    cohort_number: int
    organiser: str
    issued_on: date
    issued_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None

    @property
    def valid(self) -> bool:
        """Issued and not revoked."""
        return self.revoked_at is None


@dataclass(frozen=True)
class ParticipantLine:
    """A participant of a cohort as the organiser's cohort page lists them."""

    nip: str
    name: str
    registration: str
    completed: bool
    passed: bool
    final_score: str | None
    certificate: CertificateView | None


def _view(
    certificate: Certificate, enrollment: Enrollment, cohort: Cohort, program: Program
) -> CertificateView:
    return CertificateView(
        number=certificate.number,
        public_code=certificate.public_code,
        nip=certificate.nip,
        name=enrollment.name or "",
        program_code=program.code,
        program_name=program.name,
        cohort_name=cohort.name,
        cohort_year=cohort.year,
        cohort_number=cohort.number,
        organiser=cohort.organiser,
        issued_on=certificate.issued_at.date(),
        issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at,
        revocation_reason=certificate.revocation_reason,
    )


def _joined() -> Select[Certificate, Enrollment, Cohort, Program]:
    return (
        select(Certificate, Enrollment, Cohort, Program)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(Cohort, Cohort.id == Certificate.cohort_id)
        .join(Program, Program.id == Cohort.program_id)
    )


def _enrollment(session: Session, cohort_id: int, nip: str) -> Enrollment:
    enrollment = session.scalar(
        select(Enrollment).where(Enrollment.cohort_id == cohort_id, Enrollment.nip == nip)
    )
    if enrollment is None:
        raise EnrollmentNotFound(f"NIP {nip} bukan peserta angkatan ini (not a participant)")
    return enrollment


def issue_certificate(
    cohort_id: int, nip: str, *, actor: str, agencies: Collection[str] | None
) -> CertificateView:
    """Issue the STTPL of a participant who completed and passed the program."""
    with unit_of_work() as session:
        cohort = cohort_in_agencies(session, cohort_id, agencies, lock=True)
        enrollment = _enrollment(session, cohort_id, nip)
        if not (enrollment.completed and enrollment.passed):
            raise CertificateRefused(
                f"NIP {nip} belum menyelesaikan atau belum lulus program (has not completed "
                "and passed the program)",
                "not_completed",
            )
        if session.scalar(select(Certificate.id).where(Certificate.enrollment_id == enrollment.id)):
            raise CertificateRefused(
                f"STTPL NIP {nip} sudah diterbitkan (already issued)", "issued"
            )
        program = session.get(Program, cohort.program_id)
        assert program is not None  # a cohort's program is a foreign key
        sequence = 1 + (
            session.scalar(
                select(func.max(Certificate.sequence)).where(Certificate.cohort_id == cohort_id)
            )
            or 0
        )
        pattern = str(program.definition.get("certificate_number") or DEFAULT_CERTIFICATE_NUMBER)
        certificate = Certificate(
            cohort_id=cohort_id,
            enrollment_id=enrollment.id,
            nip=enrollment.nip,
            sequence=sequence,
            number=certificate_number(
                pattern,
                seq=sequence,
                program=program.code,
                cohort_number=cohort.number,
                year=cohort.year,
            ),
            public_code=secrets.token_urlsafe(CODE_BYTES),
            issued_at=utcnow(),
            issued_by=actor,
        )
        session.add(certificate)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="certificate.issue",
            subject_type="certificate",
            subject_id=str(certificate.id),
            after={"number": certificate.number, "nip": nip, "cohort": cohort_id},
        )
        return _view(certificate, enrollment, cohort, program)


def revoke_certificate(
    cohort_id: int, nip: str, *, reason: str, actor: str, agencies: Collection[str] | None
) -> CertificateView:
    """Revoke a participant's certificate, with the reason (it stays verifiable, revoked)."""
    reason = reason.strip()
    if not reason or len(reason) > REASON_LENGTH:
        raise CertificateRefused(
            f"alasan wajib diisi, paling panjang {REASON_LENGTH} karakter "
            f"(a reason is required, at most {REASON_LENGTH} characters)",
            "reason",
        )
    with unit_of_work() as session:
        cohort = cohort_in_agencies(session, cohort_id, agencies, lock=True)
        enrollment = _enrollment(session, cohort_id, nip)
        certificate = session.scalar(
            select(Certificate).where(Certificate.enrollment_id == enrollment.id)
        )
        if certificate is None:
            raise CertificateRefused(f"NIP {nip} belum punya STTPL (no certificate)", "not_issued")
        if certificate.revoked_at is not None:
            raise CertificateRefused("STTPL ini sudah dicabut (already revoked)", "revoked")
        certificate.revoked_at = utcnow()
        certificate.revoked_by = actor
        certificate.revocation_reason = reason
        session.flush()
        record_event(
            session,
            actor=actor,
            action="certificate.revoke",
            subject_type="certificate",
            subject_id=str(certificate.id),
            before={"number": certificate.number, "revoked": False},
            after={"number": certificate.number, "revoked": True},
            reason=reason,
        )
        program = session.get(Program, cohort.program_id)
        assert program is not None
        return _view(certificate, enrollment, cohort, program)


def verify_certificate(code: str) -> CertificateView | None:
    """The certificate with this public code, valid or revoked; None when there is none."""
    if not code or len(code) > CODE_LENGTH:
        return None
    with unit_of_work(writes=False) as session:
        row = session.execute(_joined().where(Certificate.public_code == code)).first()
        if row is None:
            return None
        certificate, enrollment, cohort, program = row
        return _view(certificate, enrollment, cohort, program)


def cohort_certificates(cohort_id: int, agencies: Collection[str] | None) -> list[CertificateView]:
    """The certificates of a cohort, by sequence (revoked ones included)."""
    with unit_of_work(writes=False) as session:
        cohort_in_agencies(session, cohort_id, agencies)
        rows = session.execute(
            _joined().where(Certificate.cohort_id == cohort_id).order_by(Certificate.sequence)
        ).all()
        return [
            _view(certificate, enrollment, cohort, program)
            for certificate, enrollment, cohort, program in rows
        ]


def cohort_participants(
    cohort_id: int, agencies: Collection[str] | None
) -> tuple[Cohort, Program, list[ParticipantLine]]:
    """A cohort, its program and its participants with their state and certificate."""
    with unit_of_work(writes=False) as session:
        cohort = cohort_in_agencies(session, cohort_id, agencies)
        program = session.get(Program, cohort.program_id)
        assert program is not None
        certificates = {
            certificate.enrollment_id: certificate
            for certificate in session.scalars(
                select(Certificate).where(Certificate.cohort_id == cohort_id)
            )
        }
        lines = [
            ParticipantLine(
                nip=enrollment.nip,
                name=enrollment.name or "",
                registration=enrollment.registration,
                completed=enrollment.completed,
                passed=enrollment.passed,
                final_score=(
                    f"{enrollment.final_score:f}" if enrollment.final_score is not None else None
                ),
                certificate=(
                    _view(certificates[enrollment.id], enrollment, cohort, program)
                    if enrollment.id in certificates
                    else None
                ),
            )
            for enrollment in session.scalars(
                select(Enrollment).where(Enrollment.cohort_id == cohort_id).order_by(Enrollment.nip)
            )
        ]
        session.expunge(cohort)
        session.expunge(program)
        return cohort, program, lines


@dataclass(frozen=True)
class _Issued:
    number: str
    program_code: str
    activity_base: str
    cohort_activity: str

    def covers(self, program_code: str | None, activity_id: str | None) -> bool:
        if program_code is not None and program_code != self.program_code:
            return False
        if activity_id is None:
            return True
        return activity_id in {self.cohort_activity, self.activity_base} or activity_id.startswith(
            self.activity_base + "/"
        )


class CertificateNumbers:
    """The valid STTPL numbers of many people, read in a few queries, for an export's rows."""

    def __init__(self, issued: Mapping[str, list[_Issued]]) -> None:
        self._issued = issued

    def number_for(
        self, nip: str, *, program_code: str | None = None, activity_id: str | None = None
    ) -> str | None:
        """The person's newest valid number for the program named by code or activity IRI."""
        if program_code is None and activity_id is None:
            raise ValueError("program_code or activity_id is required")
        for issued in self._issued.get(nip, []):
            if issued.covers(program_code, activity_id):
                return issued.number
        return None


def certificate_numbers(session: Session, nips: Iterable[str]) -> CertificateNumbers:
    """The valid (not revoked) certificates of ``nips``, newest first per person.

    One query per 1,000 NIPs, so an export of an agency's year asks once per chunk instead
    of once per row.
    """
    wanted = sorted(set(nips))
    issued: dict[str, list[_Issued]] = {}
    for chunk in chunked(wanted):
        rows = session.execute(
            select(
                Certificate.nip,
                Certificate.number,
                Program.code,
                Program.activity_base,
                Cohort.activity_id,
            )
            .join(Cohort, Cohort.id == Certificate.cohort_id)
            .join(Program, Program.id == Cohort.program_id)
            .where(Certificate.nip.in_(list(chunk)), Certificate.revoked_at.is_(None))
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        )
        for nip, number, code, base, cohort_activity in rows:
            issued.setdefault(nip, []).append(_Issued(number, code, base, cohort_activity))
    return CertificateNumbers(issued)


def certificate_number_for(
    session: Session,
    nip: str,
    *,
    program_code: str | None = None,
    activity_id: str | None = None,
) -> str | None:
    """The valid STTPL number of ``nip`` for a program, for exports (the SIASN kursus file).

    Name the program by its code, or by an activity IRI the export holds: the cohort's
    activity or any activity under the program's ``activity_base`` (its modules). The newest
    valid certificate wins; None when the person has none (or only revoked ones). For many
    rows, read :func:`certificate_numbers` once instead.
    """
    return certificate_numbers(session, [nip]).number_for(
        nip, program_code=program_code, activity_id=activity_id
    )


def verification_qr_svg(url: str) -> str:
    """A QR code of the verification address as an inline ``<svg>`` (no image file, no CDN).

    The SVG holds only the code's squares (no text taken from the address), so a page may
    embed it as markup.
    """
    return str(segno.make(url, error="m").svg_inline(scale=4, border=2, title=None))
