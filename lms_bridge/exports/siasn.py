"""The SIASN "kursus" export of an agency's year, its dry run, and the record of each export.

**A training record is one credit entry**: one person x one activity x one policy rule (the
ledger's unit, lms_bridge.models.credit.CreditEntry). Re-sent statements of the same activity
are already one entry, so one entry is one row, and a row's ``jumlahJam`` is that entry's
counted JP rounded as the policy says (``siasn.rounding``, default down, per record: the
ledger keeps fractions, SIASN takes integers). ``tanggalKursus`` and ``tanggalSelesaiKursus``
are the entry's day in the policy's time zone (an entry is one activity on one day).

Only *verified* entries are exported. The dry run lists, with a reason, every entry of the
agency's year that would not be: still pending or sent back, a form without a SIASN code,
0 JP after rounding, a NIP that is not a valid NIP. Rejected and revoked entries are not
training the agency recognises and are left out of both lists.

Each real export is recorded (``siasn_exports`` and its rows) so the next one marks each
row ``new`` (never exported for this agency and year), ``changed`` (exported before with
another code, JP or date) or ``exported`` (sent before as it is now).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.reports import AgencyUnknown
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.lrs.activity_names import activity_names
from lms_bridge.models import CreditEntry, Person, SiasnExport, SiasnExportRow
from lms_bridge.people.nip import is_nip
from lms_bridge.programs.certificates import certificate_numbers

Change = Literal["new", "changed", "exported"]
Reason = Literal["not_verified", "no_code", "zero_jp", "no_nip"]
NOT_TRAINING = ("rejected", "revoked", "unmatched")
ROUNDING = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "half-up": ROUND_HALF_UP}
DATE_FORMAT = "%d-%m-%Y"

REASON_TEXT: dict[str, str] = {
    "not_verified": "belum diverifikasi (not verified)",
    "no_code": "bentuk ini tidak punya kode jenisDiklat SIASN (no SIASN code for the form)",
    "zero_jp": "0 JP setelah pembulatan (0 JP after rounding)",
    "no_nip": "tanpa NIP yang sah (no valid NIP)",
}
"""Each reason as one line, Bahasa Indonesia then English (pages translate the codes)."""


@dataclass(frozen=True)
class KursusRow:
    """One row of the export, in SIASN's field names where SIASN has them."""

    entry_id: int
    nip: str
    nama: str
    """The person's name: not a SIASN field, shown so an auditor can read the row."""
    jenis_diklat_id: int
    nama_kursus: str
    institusi_penyelenggara: str
    tanggal_kursus: date
    tanggal_selesai_kursus: date
    tahun_kursus: int
    jumlah_jam: int
    nomor_sertipikat: str | None
    jp: Decimal
    """The ledger's JP before rounding."""
    change: Change


@dataclass(frozen=True)
class Unexportable:
    """An entry of the agency's year that the export leaves out, and why."""

    entry_id: int
    nip: str
    nama: str
    nama_kursus: str
    form: str
    status: str
    jp: Decimal
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ExportRecord:
    """A recorded export (what the list of past exports shows)."""

    id: int
    agency: str
    year: int
    exported_by: str
    exported_at: datetime
    row_count: int
    new_rows: int


@dataclass(frozen=True)
class KursusExport:
    """The export of an agency's year: its rows, what is left out, and the last export."""

    agency: str
    year: int
    rows: tuple[KursusRow, ...]
    left_out: tuple[Unexportable, ...]
    previous: ExportRecord | None
    rounding: str
    recorded: ExportRecord | None = None
    """Set when this export was recorded (a real export, not a dry run)."""

    @property
    def new_rows(self) -> int:
        """Rows new or changed since the previous exports of this agency's year."""
        return sum(1 for row in self.rows if row.change != "exported")


def jumlah_jam(jp: Decimal, rounding: str) -> int:
    """A record's JP as SIASN's integer hours, rounded as the policy says."""
    return int(jp.to_integral_value(rounding=ROUNDING[rounding]))


def siasn_date(day: date) -> str:
    """SIASN's date format, d-m-Y (``31-12-2025``)."""
    return day.strftime(DATE_FORMAT)


def _record(export: SiasnExport) -> ExportRecord:
    return ExportRecord(
        id=export.id,
        agency=export.agency,
        year=export.year,
        exported_by=export.exported_by,
        exported_at=export.exported_at,
        row_count=export.row_count,
        new_rows=export.new_rows,
    )


def _previously_sent(session: Session, agency: str, year: int) -> dict[int, tuple[int, int, date]]:
    """What the latest export carrying each entry said: (code, hours, date) by entry id."""
    rows = session.execute(
        select(
            SiasnExportRow.entry_id,
            SiasnExportRow.jenis_diklat_id,
            SiasnExportRow.jumlah_jam,
            SiasnExportRow.tanggal_kursus,
        )
        .join(SiasnExport, SiasnExport.id == SiasnExportRow.export_id)
        .where(SiasnExport.agency == agency, SiasnExport.year == year)
        .order_by(SiasnExport.id)
    ).all()
    return {entry_id: (code, hours, day) for entry_id, code, hours, day in rows}


def recorded_exports(session: Session, *, agency: str, year: int) -> list[ExportRecord]:
    """The agency's recorded exports of ``year``, newest first."""
    exports = session.scalars(
        select(SiasnExport)
        .where(SiasnExport.agency == agency, SiasnExport.year == year)
        .order_by(SiasnExport.id.desc())
    ).all()
    return [_record(export) for export in exports]


def kursus_export(session: Session, policy: Policy, *, agency: str, year: int) -> KursusExport:
    """The export as it would be made now (the dry run): rows, and what is left out."""
    if session.scalar(select(Person.nip).where(Person.agency == agency).limit(1)) is None:
        raise AgencyUnknown(agency)
    entries: Sequence[tuple[CreditEntry, str]] = [
        (entry, name)
        for entry, name in session.execute(
            select(CreditEntry, Person.name)
            .join(Person, Person.nip == CreditEntry.nip)
            .where(
                Person.agency == agency,
                CreditEntry.year == year,
                CreditEntry.status.not_in(NOT_TRAINING),
            )
            .order_by(CreditEntry.nip, CreditEntry.local_date, CreditEntry.id)
        )
    ]
    names = activity_names(session, ((e.activity_id, e.statement_ids) for e, _ in entries))
    sent = _previously_sent(session, agency, year)
    certificates = certificate_numbers(session, {e.nip for e, _ in entries if e.nip})
    codes = {rule.id: rule.siasn_jenis_diklat for rule in policy.rules}
    rounding = policy.siasn.rounding
    rows: list[KursusRow] = []
    left_out: list[Unexportable] = []
    for entry, person_name in entries:
        nip = entry.nip or ""
        course = names.get(entry.activity_id, entry.activity_id)
        code = codes.get(entry.rule_id)
        hours = jumlah_jam(entry.jp, rounding)
        reasons: list[Reason] = []
        if not is_nip(nip):
            reasons.append("no_nip")
        if entry.status != "verified":
            reasons.append("not_verified")
        if code is None:
            reasons.append("no_code")
        if hours <= 0:
            reasons.append("zero_jp")
        if reasons or code is None:
            left_out.append(
                Unexportable(
                    entry.id,
                    nip,
                    person_name,
                    course,
                    entry.form,
                    entry.status,
                    entry.jp,
                    tuple(reasons),
                )
            )
            continue
        before = sent.get(entry.id)
        change: Change = (
            "new"
            if before is None
            else "exported"
            if before == (code, hours, entry.local_date)
            else "changed"
        )
        rows.append(
            KursusRow(
                entry_id=entry.id,
                nip=nip,
                nama=person_name,
                jenis_diklat_id=code,
                nama_kursus=course,
                institusi_penyelenggara=policy.siasn.organiser,
                tanggal_kursus=entry.local_date,
                tanggal_selesai_kursus=entry.local_date,
                tahun_kursus=entry.year,
                jumlah_jam=hours,
                nomor_sertipikat=certificates.number_for(nip, activity_id=entry.activity_id),
                jp=entry.jp,
                change=change,
            )
        )
    previous = session.scalar(
        select(SiasnExport)
        .where(SiasnExport.agency == agency, SiasnExport.year == year)
        .order_by(SiasnExport.id.desc())
        .limit(1)
    )
    return KursusExport(
        agency=agency,
        year=year,
        rows=tuple(rows),
        left_out=tuple(left_out),
        previous=_record(previous) if previous is not None else None,
        rounding=rounding,
    )


def record_kursus_export(
    policy: Policy,
    *,
    agency: str,
    year: int,
    exported_by: str,
) -> KursusExport:
    """Make the export for real: the rows as the dry run shows them, recorded in one transaction.

    The rows' ``change`` is relative to the exports before this one, so the file handed out
    says which rows are new; the next export then compares with this one. The export is
    written to the audit trail in the same transaction (who, agency, year, rows).
    """
    with unit_of_work() as session:
        export = kursus_export(session, policy, agency=agency, year=year)
        row = SiasnExport(
            agency=agency,
            year=year,
            exported_by=exported_by,
            exported_at=utcnow(),
            row_count=len(export.rows),
            new_rows=export.new_rows,
            policy_version=policy.version,
        )
        session.add(row)
        session.flush()
        if export.rows:
            session.execute(
                insert(SiasnExportRow),
                [
                    {
                        "export_id": row.id,
                        "entry_id": line.entry_id,
                        "nip": line.nip,
                        "jenis_diklat_id": line.jenis_diklat_id,
                        "jumlah_jam": line.jumlah_jam,
                        "tanggal_kursus": line.tanggal_kursus,
                    }
                    for line in export.rows
                ],
            )
        record = _record(row)
        record_event(
            session,
            actor=exported_by,
            action="siasn.export",
            subject_type="siasn_export",
            subject_id=str(row.id),
            after={
                "agency": agency,
                "year": year,
                "rows": record.row_count,
                "new_rows": record.new_rows,
                "policy_version": policy.version,
            },
        )
    return KursusExport(
        agency=export.agency,
        year=export.year,
        rows=export.rows,
        left_out=export.left_out,
        previous=export.previous,
        rounding=export.rounding,
        recorded=record,
    )


def dry_run(policy: Policy, *, agency: str, year: int) -> KursusExport:
    """The dry run in its own read-only unit of work (what views call)."""
    with unit_of_work(writes=False) as session:
        return kursus_export(session, policy, agency=agency, year=year)


def export_history(*, agency: str, year: int) -> list[ExportRecord]:
    """The recorded exports of an agency's year, newest first (AgencyUnknown if no such agency)."""
    with unit_of_work(writes=False) as session:
        if session.scalar(select(Person.nip).where(Person.agency == agency).limit(1)) is None:
            raise AgencyUnknown(agency)
        return recorded_exports(session, agency=agency, year=year)
