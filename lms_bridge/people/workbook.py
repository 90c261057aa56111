"""Rows of an uploaded directory file, CSV or XLSX, in the one shape the imports read.

An XLSX is read with openpyxl in read-only mode (streamed, never the whole workbook in
memory) from its first sheet: the first row is the heading, each later row becomes the same
``{heading: text}`` dict :func:`rows_from_csv` makes, blank rows included as ``{}``, so a
problem names the line a spreadsheet shows. Numbers come back as the digits a person typed
(``42``, not ``42.0``); a NIP typed as a number has lost its last digits in Excel already
and is refused by the NIP check, as it should be.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from openpyxl import load_workbook

from lms_bridge.people.records import CsvUnreadable, RowProblem, rows_from_bytes

XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 100_000
"""More rows than any agency's directory: a larger sheet is refused, not read."""


def rows_from_upload(filename: str, data: bytes) -> list[dict[str, str]]:
    """The rows of an uploaded ``.xlsx`` or CSV file (by its content, not only its name)."""
    if filename.lower().endswith(".xlsx") or data.startswith(XLSX_MAGIC):
        return rows_from_xlsx(data)
    return rows_from_bytes(data)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def rows_from_xlsx(data: bytes) -> list[dict[str, str]]:
    """The first sheet's rows as dicts keyed by the heading row's (stripped) texts."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise CsvUnreadable(
            [
                RowProblem(
                    None, "", f"berkas XLSX tidak dapat dibaca (unreadable XLSX file): {error}"
                )
            ]
        ) from error
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headings = [_text(cell) for cell in next(rows, ())]
        read: list[dict[str, str]] = []
        for number, row in enumerate(rows, start=2):
            if number > MAX_ROWS:
                raise CsvUnreadable(
                    [
                        RowProblem(
                            number, "", f"lebih dari {MAX_ROWS} baris (more than {MAX_ROWS} rows)"
                        )
                    ]
                )
            texts = [_text(cell) for cell in row]
            if not any(texts):
                read.append({})
                continue
            values = {
                heading: text for heading, text in zip(headings, texts, strict=False) if heading
            }
            # Cells under no heading go under "", as rows_from_csv does: read_rows names them.
            unheaded = [
                text
                for position, text in enumerate(texts)
                if text and (position >= len(headings) or not headings[position])
            ]
            if unheaded:
                values[""] = ",".join(unheaded)
            read.append(values)
        return read
    finally:
        workbook.close()
