"""XLSX uploads read as CSV ones do: headings, blank rows keeping line numbers, bounded."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import Workbook

from lms_bridge.people.spreadsheets import (
    MAX_UNPACKED_BYTES,
    SpreadsheetUnreadable,
    rows_from_xlsx,
)


def workbook(*rows: list[object]) -> bytes:
    """An XLSX file whose first sheet holds ``rows``."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_rows_are_keyed_by_headings_and_blank_rows_keep_their_line() -> None:
    data = workbook(
        [" NIP ", "Nama"],
        ["199501102025011001", "Siti"],
        [None, None],
        [199501, date(2026, 3, 2)],
    )
    assert rows_from_xlsx(data) == [
        {"NIP": "199501102025011001", "Nama": "Siti"},
        {},
        {"NIP": "199501", "Nama": "2026-03-02"},
    ]


def test_an_18_digit_nip_typed_as_a_number_is_refused_with_its_line() -> None:
    data = workbook(["nip"], ["199501102025011001"], [199501102025011001.0])
    with pytest.raises(SpreadsheetUnreadable) as caught:
        rows_from_xlsx(data)
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "nip")]


def test_a_heading_given_twice_is_refused() -> None:
    with pytest.raises(SpreadsheetUnreadable) as caught:
        rows_from_xlsx(workbook(["nip", "NIP"], ["1", "2"]))
    assert caught.value.problems[0].line == 1


def test_a_file_that_is_not_a_workbook_is_refused() -> None:
    with pytest.raises(SpreadsheetUnreadable):
        rows_from_xlsx(b"nip,nama\n1,2\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(SpreadsheetUnreadable):
        rows_from_xlsx(buffer.getvalue())


def test_a_workbook_that_unpacks_beyond_the_bound_is_refused_unread() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (MAX_UNPACKED_BYTES + 1))
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(SpreadsheetUnreadable) as caught:
        rows_from_xlsx(buffer.getvalue())
    assert "MiB" in caught.value.problems[0].reason
