"""Exports made for BKN's SIASN: what was sent, when, by whom, row by row.

An agency uploads each export to SIASN by hand or by its client; keeping the rows lets the
next export say which of its rows are new (or changed) since the last one, so nobody uploads
the same training twice.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from lms_bridge.db import Base, BigId, UTCDateTime


class SiasnExport(Base):
    """One recorded "kursus" export of an agency's year."""

    __tablename__ = "siasn_exports"
    __table_args__ = (Index("ix_siasn_exports_agency_year", "agency", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    exported_by: Mapped[str] = mapped_column(String(200))
    exported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    row_count: Mapped[int] = mapped_column(Integer)
    new_rows: Mapped[int] = mapped_column(Integer)
    """Rows no earlier export of the agency's year carried with these values."""
    policy_version: Mapped[str] = mapped_column(String(50))


class SiasnExportRow(Base):
    """A row of a recorded export: the credit entry it came from and what it said.

    ``entry_id`` is not a foreign key: a ledger recompute may replace entries, and what was
    sent to SIASN stays history either way.
    """

    __tablename__ = "siasn_export_rows"
    __table_args__ = (
        Index("ix_siasn_export_rows_export_id", "export_id"),
        Index("ix_siasn_export_rows_entry_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    export_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("siasn_exports.id"))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    nip: Mapped[str] = mapped_column(String(18))
    jenis_diklat_id: Mapped[int] = mapped_column(Integer)
    jumlah_jam: Mapped[int] = mapped_column(Integer)
    tanggal_kursus: Mapped[date] = mapped_column(Date)
