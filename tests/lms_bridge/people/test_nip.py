"""NIP rules: 18 digits = birth date + first appointment + gender + serial, plausibly."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms_bridge.people.nip import InvalidNip, Nip, is_nip, parse_nip

TODAY = date(2026, 11, 23)
FULL_WIDTH = "".join(chr(ord(digit) + 0xFEE0) for digit in "198503302010121002")
"""A valid NIP typed in full-width digits (an East Asian input method): not ASCII digits."""


def reason_for(value: str) -> str:
    with pytest.raises(InvalidNip) as caught:
        parse_nip(value, today=TODAY)
    return caught.value.reason


def test_a_valid_nip_says_who_and_when() -> None:
    nip = parse_nip("198503302010121002", today=TODAY)
    assert nip == Nip(
        nip="198503302010121002",
        birth_date=date(1985, 3, 30),
        appointed=(2010, 12),
        gender="male",
        serial=2,
        scheme="PNS",
    )


def test_the_printed_form_with_spaces_is_accepted_and_normalised() -> None:
    nip = parse_nip(" 19850330 201012 1 002 ", today=TODAY)
    assert nip.nip == "198503302010121002"
    assert nip.printed == "19850330 201012 1 002"
    assert str(nip) == "198503302010121002"


def test_gender_digit_two_is_female() -> None:
    assert parse_nip("199001152015032001", today=TODAY).gender == "female"


def test_an_ni_pppk_carries_a_code_instead_of_the_appointment_month() -> None:
    nip = parse_nip("199009132025242014", today=TODAY)
    assert nip.scheme == "PPPK"
    assert nip.appointed == (2025, None)
    assert nip.pppk_code == 24
    assert nip.gender == "female"
    assert nip.serial == 14


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "NIP kosong (NIP is empty)"),
        ("   ", "NIP kosong (NIP is empty)"),
        ("19850330201012100X", "hanya boleh berisi angka"),
        ("1985-03-30 201012 1 002", "hanya boleh berisi angka"),
        ("1.98503E+17", "angka ilmiah"),
        (FULL_WIDTH, "hanya boleh berisi angka"),
        ("19850330201012100", "NIP harus 18 digit, bukan 17 (NIP must be 18 digits, not 17)"),
        ("1985033020101210021", "NIP harus 18 digit, bukan 19"),
        ("198502302010121002", "tanggal lahir 19850230 tidak ada di kalender"),
        ("198513012010121002", "tanggal lahir 19851301 tidak ada di kalender"),
        ("202712012010121002", "tanggal lahir 2027-12-01 ada di masa depan"),
        ("193912312010121002", "tahun lahir 1939 sebelum 1940"),
        ("198503302010001002", "bulan pengangkatan 00 tidak ada"),
        ("198503302027011002", "pengangkatan 2027-01 ada di masa depan"),
        ("198503302026121002", "pengangkatan 2026-12 ada di masa depan"),
        ("198503301999121002", "pengangkatan 1999-12 sebelum usia 15 tahun"),
        ("198503302010123002", "digit jenis kelamin harus 1 atau 2, bukan 3"),
        ("198503302010120002", "digit jenis kelamin harus 1 atau 2, bukan 0"),
        ("198503302010121000", "nomor urut 000 tidak sah"),
    ],
)
def test_each_broken_rule_is_named_in_the_reason(value: str, expected: str) -> None:
    assert expected in reason_for(value)


def test_reasons_are_in_bahasa_indonesia_then_english() -> None:
    reason = reason_for("19850330201012100")
    assert reason.index("NIP harus") < reason.index("(NIP must")


def test_appointment_in_the_year_of_the_fifteenth_birthday_is_accepted() -> None:
    assert is_nip("198503302000071002", today=TODAY)


def test_appointment_this_month_is_not_in_the_future() -> None:
    assert is_nip("199001012026111001", today=TODAY)


def test_is_nip_answers_without_raising() -> None:
    assert is_nip("19850330 201012 1 002", today=TODAY)
    assert not is_nip("not a nip", today=TODAY)


@st.composite
def valid_nips(draw: st.DrawFn) -> tuple[str, date, int, int, str, int]:
    """A NIP valid on TODAY, with the parts it was built from."""
    birth = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(TODAY.year - 15, 12, 31)))
    year = draw(st.integers(min_value=birth.year + 15, max_value=TODAY.year))
    last_month = TODAY.month if year == TODAY.year else 12
    month = draw(st.integers(min_value=1, max_value=last_month))
    gender = draw(st.sampled_from("12"))
    serial = draw(st.integers(min_value=1, max_value=999))
    digits = f"{birth:%Y%m%d}{year:04d}{month:02d}{gender}{serial:03d}"
    return digits, birth, year, month, gender, serial


@given(valid_nips())
def test_every_valid_nip_parses_to_its_parts_and_round_trips(
    case: tuple[str, date, int, int, str, int],
) -> None:
    digits, birth, year, month, gender, serial = case
    nip = parse_nip(digits, today=TODAY)
    assert nip.nip == digits
    assert nip.birth_date == birth
    assert nip.appointed == (year, month)
    assert nip.gender == ("male" if gender == "1" else "female")
    assert nip.serial == serial
    assert parse_nip(nip.printed, today=TODAY) == nip


@given(valid_nips(), st.integers(min_value=0, max_value=17), st.sampled_from("xX -."))
def test_a_valid_nip_with_a_foreign_character_is_refused(
    case: tuple[str, date, int, int, str, int], position: int, character: str
) -> None:
    digits = case[0]
    changed = digits[:position] + character + digits[position + 1 :]
    if character == " ":
        assert not is_nip(changed, today=TODAY)  # one digit fewer
    else:
        assert "hanya boleh berisi angka" in reason_for(changed)
