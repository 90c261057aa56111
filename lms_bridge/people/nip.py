"""The NIP (Nomor Induk Pegawai): the civil servant's 18-digit number, read and checked.

Perka BKN 22/2007 lays a PNS NIP out as four fields, which is what lets a validator catch most
typing and spreadsheet mistakes without asking BKN::

    19850330 201012 1 002
    │        │      │ └── serial number, 001-999
    │        │      └──── gender: 1 male, 2 female
    │        └─────────── first appointment (TMT CPNS) as YYYYMM
    └──────────────────── birth date as YYYYMMDD

PPPK staff carry a number of the same length and shape (the *NI PPPK*), except that the two
digits after the appointment year are not a month but a code BKN gives PPPK numbers (21, 24
for part-time staff, …). Every value above 12 is therefore read as such a code: rejecting them
would refuse credit to a whole class of ASN. Code 00 (neither a month nor a code) stays an
error.

Plausibility bounds, chosen to catch wrong data without refusing real people:

- born in 1940 or later: anyone born earlier is past every retirement age (58-65) by decades;
- appointed no earlier than the year of the 15th birthday. The legal minimum age for an
  applicant is 18 (PP 11/2017, art. 23), but NIPs converted from the old 9-digit numbers in
  2008-2009 carry historical TMT dates, some of them from school-leavers appointed at 16-17;
  three years of slack keeps those and still catches a birth year typed into the TMT field;
- neither the birth date nor the appointment month lies in the future. "Today" is the date in
  WIT (UTC+9), the easternmost Indonesian time zone, so a date that has begun anywhere in
  Indonesia is accepted.

This module is pure Python (no Flask, no database) so the same rules serve the CSV import,
the API and statement ingestion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Literal

NIP_LENGTH = 18
EARLIEST_BIRTH_YEAR = 1940
MIN_AGE_AT_APPOINTMENT = 15
WIT = timezone(timedelta(hours=9), "WIT")

_SCIENTIFIC = re.compile(r"^\d+([.,]\d+)?[eE]\+?\d+$")

Gender = Literal["male", "female"]
Scheme = Literal["PNS", "PPPK"]


class InvalidNip(ValueError):
    """The value is not a plausible NIP; ``reason`` says which rule it breaks."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Nip:
    """A parsed NIP: the normalised 18 digits and what they say about the person."""

    nip: str
    """The 18 digits, without spaces: the form every table stores."""
    birth_date: date
    appointed: tuple[int, int | None]
    """(year, month) of the first appointment; the month is ``None`` for an NI PPPK."""
    gender: Gender
    serial: int
    scheme: Scheme = "PNS"
    """``PNS`` (CPNS included) or ``PPPK``, told apart by the digits after the year."""
    pppk_code: int | None = None
    """The two-digit code an NI PPPK carries instead of the appointment month."""

    def __str__(self) -> str:
        return self.nip

    @property
    def printed(self) -> str:
        """The NIP as it is printed on decrees and ID cards: ``19850330 201012 1 002``."""
        digits = self.nip
        return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}"


def today_in_indonesia() -> date:
    """The calendar date in WIT, the latest of Indonesia's three time zones."""
    return datetime.now(WIT).date()


def parse_nip(value: str, *, today: date | None = None) -> Nip:
    """Read a NIP, accepting the printed form with spaces; raise :class:`InvalidNip` if wrong.

    The checks run in the order of the fields, so the reason names the first field that is
    wrong, as a person correcting the number by hand reads it.
    """
    today = today or today_in_indonesia()
    digits = "".join(value.split())
    if not digits:
        raise InvalidNip("NIP kosong (NIP is empty)")
    if not digits.isascii() or not digits.isdigit():
        if _SCIENTIFIC.match(digits):
            raise InvalidNip(
                "NIP tertulis sebagai angka ilmiah, kemungkinan diubah oleh Excel; format kolom "
                "sebagai teks (NIP is in scientific notation, probably changed by Excel; "
                "format the column as text)"
            )
        raise InvalidNip("NIP hanya boleh berisi angka (NIP must contain only digits)")
    if len(digits) != NIP_LENGTH:
        raise InvalidNip(
            f"NIP harus 18 digit, bukan {len(digits)} (NIP must be 18 digits, not {len(digits)})"
        )

    birth_text = digits[:8]
    try:
        birth_date = date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        raise InvalidNip(
            f"tanggal lahir {birth_text} tidak ada di kalender "
            f"(birth date {birth_text} is not a real date)"
        ) from None
    if birth_date > today:
        raise InvalidNip(
            f"tanggal lahir {birth_date.isoformat()} ada di masa depan "
            f"(birth date {birth_date.isoformat()} is in the future)"
        )
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise InvalidNip(
            f"tahun lahir {birth_date.year} sebelum {EARLIEST_BIRTH_YEAR} tidak masuk akal "
            f"untuk ASN (birth year {birth_date.year} before {EARLIEST_BIRTH_YEAR} is not "
            "plausible)"
        )

    year = int(digits[8:12])
    code = int(digits[12:14])
    if code == 0:
        raise InvalidNip(
            f"bulan pengangkatan {digits[12:14]} tidak ada; harus 01-12 "
            f"(appointment month {digits[12:14]} is not a month; must be 01-12)"
        )
    scheme: Scheme = "PNS" if code <= 12 else "PPPK"
    month = code if scheme == "PNS" else None
    shown = f"{year:04d}-{code:02d}" if month is not None else f"{year:04d}"
    if (year, month or 1) > (today.year, today.month):
        raise InvalidNip(
            f"pengangkatan {shown} ada di masa depan (appointment {shown} is in the future)"
        )
    if year < birth_date.year + MIN_AGE_AT_APPOINTMENT:
        raise InvalidNip(
            f"pengangkatan {shown} sebelum usia {MIN_AGE_AT_APPOINTMENT} tahun tidak masuk akal "
            f"(appointment {shown} before age {MIN_AGE_AT_APPOINTMENT} is not plausible)"
        )

    gender_digit = digits[14]
    if gender_digit not in "12":
        raise InvalidNip(
            f"digit jenis kelamin harus 1 atau 2, bukan {gender_digit} "
            f"(gender digit must be 1 or 2, not {gender_digit})"
        )
    serial = int(digits[15:])
    if serial == 0:
        raise InvalidNip("nomor urut 000 tidak sah; harus 001-999 (serial must be 001-999)")

    return Nip(
        nip=digits,
        birth_date=birth_date,
        appointed=(year, month),
        gender="male" if gender_digit == "1" else "female",
        serial=serial,
        scheme=scheme,
        pppk_code=None if scheme == "PNS" else code,
    )


def is_nip(value: str, *, today: date | None = None) -> bool:
    """Whether ``value`` is a plausible NIP (spaces allowed), without saying why not."""
    try:
        parse_nip(value, today=today)
    except InvalidNip:
        return False
    return True


def normalise_nip(value: str) -> str:
    """``value`` without whitespace: how a NIP someone typed is looked up, valid or not."""
    return "".join(value.split())


def is_nip_shaped(text: str) -> bool:
    """Eighteen ASCII digits: what a stored NIP looks like (a cheap check before a query)."""
    return len(text) == NIP_LENGTH and text.isascii() and text.isdigit()
