"""Rows of an uploaded file: reading CSV, naming columns, and saying what is wrong where.

Directory and mapping files are prepared by hand or exported from spreadsheets, so the rules
here are about what spreadsheets do: a byte-order mark, ``;`` as the separator (Excel's
default under the Indonesian locale, where ``,`` is the decimal mark), headings typed with
another capitalisation, blank lines, trailing empty cells. Anything that could silently drop
data (an unknown heading, a value under no heading) is a problem reported with its line, and a
file with any problem is rejected whole, so a corrected file can simply be imported again.

Line numbers are those a spreadsheet shows: the heading is line 1, the first row line 2 (a
quoted value that spans lines counts as one line, as it is one row in the spreadsheet).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from xapi.fields import NUL

IN_LIST_SIZE = 1000
"""Values per ``IN (…)`` list: far below SQLite's and PostgreSQL's bound-parameter limits."""

HEADING_LINE = 1
FIRST_ROW_LINE = 2
_SEPARATORS = (",", ";", "\t")
NUL_PROBLEM = (
    "berisi karakter NUL (U+0000) yang tidak bisa disimpan; simpan ulang berkasnya sebagai "
    "teks (contains the NUL character U+0000, which cannot be stored; save the file as text)"
)

T = TypeVar("T")


class RowProblem(NamedTuple):
    """One thing wrong in a file: where (line and column) and why."""

    line: int | None
    """The line in the file (heading = 1); ``None`` for a single record from the API."""
    column: str
    reason: str

    def __str__(self) -> str:
        if self.line is None:
            return f"kolom {self.column}: {self.reason}"
        return f"baris {self.line}, kolom {self.column}: {self.reason}"


class RecordsRejected(ValueError):
    """Records were refused and nothing was stored; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        count = len(self.problems)
        super().__init__(
            f"{count} masalah, tidak ada yang disimpan ({count} problem(s), nothing was stored)"
        )


def rows_from_csv(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text as dicts keyed by the (stripped) headings.

    Every record after the heading yields one dict, blank lines included (as ``{}``), so the
    n-th dict is line n + 1 of the file. Cells beyond the headings are joined under the
    heading ``""``: :func:`read_rows` reports them unless they are empty.
    """
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    separator = max(_SEPARATORS, key=first_line.count)
    if first_line.count(separator) == 0:
        separator = ","
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        return _rows(reader, separator)
    except csv.Error as error:
        # A bare carriage return in an unquoted cell, a cell over the csv module's limit.
        reason = f"berkas CSV tidak bisa dibaca (the CSV cannot be read): {error}"
        raise RecordsRejected([RowProblem(reader.line_num, "", reason)]) from error


def _rows(reader: Iterator[list[str]], separator: str) -> list[dict[str, str]]:
    try:
        headings = [heading.strip() for heading in next(reader)]
    except StopIteration:
        return []
    rows: list[dict[str, str]] = []
    for record in reader:
        row: dict[str, str] = {}
        for index, value in enumerate(record):
            heading = headings[index] if index < len(headings) else ""
            if heading in row and value:
                row[heading] = f"{row[heading]}{separator}{value}" if row[heading] else value
            elif heading not in row:
                row[heading] = value
        rows.append(row)
    return rows


def read_rows(
    rows: Iterable[Mapping[str, str]],
    columns: Sequence[str],
    required: Iterable[str],
    *,
    rejected: type[RecordsRejected],
    first_line: int = FIRST_ROW_LINE,
) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Each non-empty row with its line, keyed by canonical column names, values stripped.

    Headings match ``columns`` without regard to case or surrounding spaces. Problems with
    the headings themselves (a required column missing, an unknown one) raise ``rejected`` at
    once: with the wrong columns every row would be wrong, and one message says it better
    than a thousand. A value under no heading is returned as a problem of its line, to be
    reported with the rows' other problems.
    """
    canonical = {column.lower(): column for column in columns}
    heading_line = first_line - 1
    heading_problems: list[RowProblem] = []
    row_problems: list[RowProblem] = []
    unknown: set[str] = set()
    seen: set[str] = set()
    result: list[tuple[int, dict[str, str]]] = []
    for offset, row in enumerate(rows):
        line = first_line + offset
        values: dict[str, str] = {}
        untitled = False
        raw: Mapping[Any, Any] = row
        for heading, value in raw.items():
            text = "" if value is None else str(value).strip()
            name = "" if heading is None else str(heading).strip()
            if not name:
                untitled = untitled or bool(text)
                continue
            column = canonical.get(name.lower())
            if column is None:
                if name not in unknown:
                    unknown.add(name)
                    heading_problems.append(
                        RowProblem(
                            heading_line,
                            name,
                            f"kolom tidak dikenal; yang dikenal: {', '.join(columns)} "
                            "(unknown column)",
                        )
                    )
                continue
            seen.add(column)
            if NUL in text:
                row_problems.append(RowProblem(line, column, NUL_PROBLEM))
                continue
            values[column] = text
        if untitled:
            row_problems.append(
                RowProblem(
                    line,
                    "",
                    "ada nilai di luar kolom yang berjudul; mungkin ada pemisah (koma) di dalam "
                    "nilai tanpa tanda kutip (a value outside the named columns; perhaps an "
                    "unquoted separator inside a value)",
                )
            )
        if untitled or any(values.values()):
            result.append((line, values))
    if result:
        heading_problems.extend(
            RowProblem(heading_line, column, "kolom wajib tidak ada (required column missing)")
            for column in required
            if column not in seen
        )
    if heading_problems:
        raise rejected(heading_problems)
    return result, row_problems


def chunked(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """``values`` in slices of at most ``size``, for ``IN (…)`` lists of bounded length."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
