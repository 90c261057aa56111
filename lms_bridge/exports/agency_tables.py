"""The tables of the agency page, the person page and the SIASN export, as downloads.

Each table is built once from a service's result and either rendered or downloaded (CSV or
XLSX through lms_bridge.exports.tables), so a download always has the numbers the page
shows. Headers are Indonesian, the language of the people who open the files; JP stay
numbers (a spreadsheet sums them), everything an LMS sent (activity names) is text that
the writers neutralise when it looks like a formula.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from lms_bridge.credit.agency_year import AgencyYear, PersonYear
from lms_bridge.credit.reports import PersonCredit
from lms_bridge.exports.siasn import REASON_TEXT, KursusExport, siasn_date
from lms_bridge.exports.tables import Cell, Table

Rows = list[list[Cell]]

PATH_NAMES = {"klasikal": "Klasikal", "nonklasikal": "Nonklasikal"}
STATUS_NAMES = {
    "pending": "menunggu verifikasi",
    "verified": "terverifikasi",
    "needs_revision": "perlu revisi",
    "rejected": "ditolak",
    "revoked": "dicabut",
    "unmatched": "belum cocok",
}
CHANGE_NAMES = {"new": "baru", "changed": "berubah", "exported": "sudah diekspor"}


def _yes(value: bool) -> str:
    return "Ya" if value else "Tidak"


def summary_table(year: AgencyYear) -> Table:
    s = year.summary
    rows: Rows = [
        ["Jumlah pegawai", s.staff],
        ["Mencapai target JP", s.reached_target],
        ["Persentase mencapai target", float(s.reached_target_share)],
        ["Target JP per tahun", s.target_jp],
        ["Total JP", s.total_jp],
        ["Entri menunggu verifikasi", s.pending_entries],
        ["PPPK di atas batas JP", len(year.pppk_over_ceiling)],
    ]
    return Table(["Indikator", "Nilai"], rows)


def forms_table(year: AgencyYear) -> Table:
    return Table(["Bentuk", "JP"], [[form, jp] for form, jp in year.summary.jp_by_form.items()])


def paths_table(year: AgencyYear) -> Table:
    return Table(
        ["Jalur", "JP"],
        [[PATH_NAMES.get(path, path), jp] for path, jp in year.summary.jp_by_path.items()],
    )


def range_label(low: Decimal, high: Decimal | None) -> str:
    """``0-<5`` style labels: the bin includes ``low`` and stops before ``high``."""
    if high is None:
        return f"≥ {_plain(low)}"
    return f"{_plain(low)}-<{_plain(high)}"


def _plain(value: Decimal) -> str:
    """5 not 5.00, 22.5 not 22.50, 40 not 4E+1."""
    return format(value.normalize(), "f")


def distribution_table(year: AgencyYear) -> Table:
    return Table(
        ["Rentang JP", "Jumlah pegawai", "Mencapai target"],
        [[range_label(b.low, b.high), b.people, _yes(b.reaches_target)] for b in year.distribution],
    )


def units_table(year: AgencyYear) -> Table:
    return Table(
        ["Unit kerja", "Jumlah pegawai", "Mencapai target", "Persentase"],
        [[u.unit, u.staff, u.reached_target, float(u.share)] for u in year.units],
    )


def _person_row(person: PersonYear, target: Decimal) -> list[Cell]:
    return [
        person.unit,
        person.nip,
        person.name,
        person.employment,
        person.total_jp,
        max(Decimal(0), target - person.total_jp),
    ]


PEOPLE_HEADERS = ["Unit kerja", "NIP", "Nama", "Status kepegawaian", "JP", "Kekurangan JP"]


def below_target_table(year: AgencyYear) -> Table:
    target = year.summary.target_jp
    return Table(
        PEOPLE_HEADERS,
        [_person_row(person, target) for unit in year.units for person in unit.below_target],
    )


def pppk_table(year: AgencyYear) -> Table:
    return Table(
        ["Unit kerja", "NIP", "Nama", "JP", "Batas JP"],
        [[p.unit, p.nip, p.name, p.total_jp, year.pppk_ceiling_jp] for p in year.pppk_over_ceiling],
    )


def people_table(year: AgencyYear) -> Table:
    """Everyone of the agency (the 10,000-row download)."""
    target = year.summary.target_jp
    return Table(
        [*PEOPLE_HEADERS, "Mencapai target"],
        [[*_person_row(person, target), _yes(person.total_jp >= target)] for person in year.people],
    )


AGENCY_TABLES: dict[str, tuple[str, Callable[[AgencyYear], Table]]] = {
    "ringkasan": ("Ringkasan", summary_table),
    "bentuk": ("JP per bentuk", forms_table),
    "jalur": ("JP per jalur", paths_table),
    "sebaran": ("Sebaran JP per pegawai", distribution_table),
    "unit": ("Per unit kerja", units_table),
    "di-bawah-target": ("Pegawai di bawah target", below_target_table),
    "pppk": ("PPPK di atas batas JP", pppk_table),
    "pegawai": ("Semua pegawai", people_table),
}
"""Every downloadable table of the agency page: its file name, sheet title and builder."""


def person_entries_table(credit: PersonCredit, names: dict[str, str]) -> Table:
    return Table(
        ["Tanggal", "Kegiatan", "Bentuk", "Jalur", "Aturan", "Status", "JP"],
        [
            [
                entry.date,
                names.get(entry.activity_id, entry.activity_id),
                entry.form,
                PATH_NAMES.get(entry.path, entry.path),
                entry.rule_id,
                STATUS_NAMES.get(entry.status, entry.status),
                entry.jp,
            ]
            for entry in credit.entries
        ],
    )


KURSUS_HEADERS = [
    "nip",
    "jenisDiklatId",
    "namaKursus",
    "institusiPenyelenggara",
    "tanggalKursus",
    "tanggalSelesaiKursus",
    "tahunKursus",
    "jumlahJam",
    "nomorSertipikat",
    "nama",
    "status",
]
"""SIASN's own field names first (what an upload maps), then two columns for people."""


def kursus_table(export: KursusExport) -> Table:
    return Table(
        KURSUS_HEADERS,
        [
            [
                row.nip,
                row.jenis_diklat_id,
                row.nama_kursus,
                row.institusi_penyelenggara,
                siasn_date(row.tanggal_kursus),
                siasn_date(row.tanggal_selesai_kursus),
                row.tahun_kursus,
                row.jumlah_jam,
                row.nomor_sertipikat or "",
                row.nama,
                CHANGE_NAMES[row.change],
            ]
            for row in export.rows
        ],
    )


def left_out_table(export: KursusExport) -> Table:
    return Table(
        ["ID entri", "NIP", "Nama", "Kegiatan", "Bentuk", "Status", "JP", "Alasan"],
        [
            [
                item.entry_id,
                item.nip,
                item.nama,
                item.nama_kursus,
                item.form,
                STATUS_NAMES.get(item.status, item.status),
                item.jp,
                "; ".join(REASON_TEXT[reason] for reason in item.reasons),
            ]
            for item in export.left_out
        ],
    )
