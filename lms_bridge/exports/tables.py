"""A table as a page shows it, written as CSV (UTF-8 with BOM) or XLSX.

Text that a spreadsheet would read as a formula (it starts with ``= + - @``, a tab or a
carriage return) is prefixed with an apostrophe in both formats (OWASP "CSV injection"):
activity and person names arrive from LMSs and must never run in an auditor's Excel.
Numbers are not text: they stay numbers in XLSX (so sums work) and are written plainly in CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

Cell = str | int | float | Decimal | date | datetime | None
"""What a table cell may hold."""

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SHEET_TITLE_FORBIDDEN = set("[]:*?/\\")
SHEET_TITLE_LENGTH = 31


@dataclass(frozen=True)
class Table:
    """Headers (already translated) and rows of cells."""

    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


def neutralise(text: str) -> str:
    """The text, made inert for a spreadsheet when it could start a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, str):
        return neutralise(cell)
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)  # numbers: a leading minus is a number, not a formula


def as_csv(table: Table) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so Excel shows Indonesian text as written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_text(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([_text(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in SHEET_TITLE_FORBIDDEN else char for char in title).strip()
    return (cleaned or "Sheet")[:SHEET_TITLE_LENGTH]


def as_xlsx(table: Table, sheet_title: str) -> bytes:
    """An XLSX workbook with one sheet; written streaming (write-only) so large tables fit."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    for index, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, min(40, len(header) + 4))
    bold = Font(bold=True)
    header_cells = []
    for header in table.headers:
        cell = WriteOnlyCell(sheet, value=neutralise(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in table.rows:
        sheet.append([_xlsx_value(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(cell: Cell) -> str | int | float | date | datetime | None:
    if isinstance(cell, str):
        return neutralise(cell)
    if isinstance(cell, Decimal):
        return int(cell) if cell == cell.to_integral_value() else float(cell)
    if isinstance(cell, datetime) and cell.tzinfo is not None:
        return cell.replace(tzinfo=None)  # XLSX has no time zones; callers pass local times
    return cell
