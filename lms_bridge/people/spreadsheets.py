"""Rows of an uploaded XLSX workbook, as :func:`lms_bridge.people.records.rows_from_csv` gives
them for a CSV: one dict per row after the heading (blank rows as ``{}``), so the line numbers
of every problem are the row numbers the spreadsheet shows.

A workbook is a zip archive, so its size is bounded twice: the upload, and what it would
unpack to (a small file can inflate to gigabytes). It is read in openpyxl's read-only mode,
which streams the first sheet instead of building it in memory.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from lms_bridge.people.records import (
    HEADING_LINE,
    RecordsRejected,
    RowProblem,
    refuse_repeated_headings,
)

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ROWS = 20_000
EXACT_DIGITS = 15
"""A spreadsheet number keeps 15 significant digits: an 18-digit NIP typed as a number is
already wrong in the file, so it is refused rather than guessed."""


class SpreadsheetUnreadable(RecordsRejected):
    """The workbook cannot be read as rows (not XLSX, too big, inexact numbers)."""


def _unreadable(reason: str, line: int = HEADING_LINE, column: str = "") -> SpreadsheetUnreadable:
    return SpreadsheetUnreadable([RowProblem(line, column, reason)])


def _text(value: Any) -> str | None:
    """A cell as the text a person typed; None when it cannot be given exactly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        if not abs(value) < 10**EXACT_DIGITS:  # NaN, infinite, or beyond exact digits
            return None
        if float(value).is_integer():
            return str(int(value))
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def rows_from_xlsx(data: bytes) -> list[dict[str, str]]:
    """The first sheet's rows keyed by the (stripped) headings of its first row."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise _unreadable(
            "bukan berkas XLSX; simpan ulang sebagai 'Excel Workbook (.xlsx)' "
            "(not an XLSX file; save it again as 'Excel Workbook (.xlsx)')"
        ) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise _unreadable(
            f"isi berkas lebih dari {MAX_UNPACKED_BYTES // 1024 // 1024} MiB "
            f"(the workbook unpacks to more than {MAX_UNPACKED_BYTES // 1024 // 1024} MiB)"
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged workbook
        raise _unreadable(
            "berkas XLSX rusak atau tidak dapat dibaca (a damaged or unreadable XLSX file)"
        ) from error
    try:
        return _sheet_rows(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def _sheet_rows(records: Any) -> list[dict[str, str]]:
    try:
        first = next(records)
    except StopIteration:
        return []
    headings = [(_text(cell) or "").strip() for cell in first]
    refuse_repeated_headings(headings, SpreadsheetUnreadable)
    problems: list[RowProblem] = []
    rows: list[dict[str, str]] = []
    for line, record in enumerate(records, start=HEADING_LINE + 1):
        if len(rows) >= MAX_ROWS:
            raise _unreadable(f"lebih dari {MAX_ROWS} baris (more than {MAX_ROWS} rows)", line)
        row: dict[str, str] = {}
        for index, cell in enumerate(record):
            heading = headings[index] if index < len(headings) else ""
            text = _text(cell)
            if text is None:
                problems.append(
                    RowProblem(
                        line,
                        heading,
                        "angka terlalu panjang untuk disimpan tepat oleh spreadsheet; ketik "
                        "sebagai teks (a number too long for a spreadsheet to keep exactly; "
                        "type it as text)",
                    )
                )
                continue
            if heading in row:
                if text:
                    row[heading] = f"{row[heading]} {text}".strip()
            else:
                row[heading] = text
        rows.append(row if any(row.values()) else {})
    if problems:
        raise SpreadsheetUnreadable(problems)
    return rows
