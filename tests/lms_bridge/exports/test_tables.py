"""Tables as CSV and XLSX: Indonesian text survives Excel, formulas never run, numbers stay
numbers."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lms_bridge.exports import Table, as_csv, as_xlsx, neutralise

HOSTILE = ['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def sample() -> Table:
    return Table(
        headers=["NIP", "Nama", "Satuan kerja", "JP"],
        rows=[
            ["199001012015011001", "Siti Aminah", "Bidang Kompetensi", Decimal("20.5")],
            ["199202022016022002", "Wayan Suardana", "Sekretariat", 24],
            ["199303032017033003", "=cmd|' /C calc'!A0", None, Decimal("-1.25")],
        ],
    )


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_could_start_a_formula_is_neutralised(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise("Pelatihan " + text) == "Pelatihan " + text


def test_csv_is_utf8_with_a_bom_and_neutralises_formulas() -> None:
    body = as_csv(sample())
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["NIP", "Nama", "Satuan kerja", "JP"]
    assert rows[1] == ["199001012015011001", "Siti Aminah", "Bidang Kompetensi", "20.5"]
    assert rows[3][1] == "'=cmd|' /C calc'!A0"
    assert rows[3][2] == ""
    assert rows[3][3] == "-1.25", "a negative number is a number, not a formula"


def test_xlsx_reads_back_with_numbers_as_numbers_and_formulas_as_text() -> None:
    table = sample()
    table.rows.append(["199404042018044004", "@SUM(A1)", "Bagian Umum", date(2026, 3, 1)])
    workbook = load_workbook(io.BytesIO(as_xlsx(table, "Rekap JP: 2026/BPSDM")))
    [sheet] = workbook.worksheets
    assert sheet.title == "Rekap JP  2026 BPSDM"
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == ["NIP", "Nama", "Satuan kerja", "JP"]
    assert values[1] == ["199001012015011001", "Siti Aminah", "Bidang Kompetensi", 20.5]
    assert values[2][3] == 24
    assert isinstance(values[2][3], int)
    assert values[3][1] == "'=cmd|' /C calc'!A0"
    assert values[3][3] == -1.25
    assert values[4][1] == "'@SUM(A1)"
    assert values[4][3].date() == date(2026, 3, 1)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
