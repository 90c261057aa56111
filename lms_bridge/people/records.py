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
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from xapi.fields import NUL

SHOWN_PROBLEMS = 50
"""Problems listed in one message; a file with more is wrong in a way the first ones show."""
HEADING_LINE = 1
FIRST_ROW_LINE = 2
_SEPARATORS = (",", ";", "\t")
NUL_PROBLEM = (
    "berisi karakter NUL (U+0000) yang tidak bisa disimpan; simpan ulang berkasnya sebagai "
    "teks (contains the NUL character U+0000, which cannot be stored; save the file as text)"
)


class RowProblem(NamedTuple):
    """One thing wrong in a file: where (line and column) and why."""

    line: int | None
    """The line in the file (heading = 1); ``None`` for a single record from the API."""
    column: str
    reason: str

    def __str__(self) -> str:
        where = [f"baris {self.line}"] if self.line is not None else []
        where += [f"kolom {self.column}"] if self.column else []
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class RecordsRejected(ValueError):
    """Records were refused and nothing was stored; ``problems`` lists every reason."""

    def __init__(self, problems: Iterable[RowProblem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        count = len(self.problems)
        super().__init__(
            f"{count} masalah, tidak ada yang disimpan ({count} problem(s), nothing was stored)"
        )

    def listed(self, limit: int = SHOWN_PROBLEMS) -> str:
        """The first ``limit`` problems on one line, ``;``-separated, and how many more."""
        return listed_problems(self.problems, limit)


def listed_problems(problems: Sequence[object], limit: int = SHOWN_PROBLEMS) -> str:
    """Problems (of a CSV or a data file) on one line, for a command's or an API's message."""
    shown = "; ".join(str(problem) for problem in problems[:limit])
    hidden = len(problems) - limit
    return shown + (f"; … dan {hidden} masalah lain (and {hidden} more)" if hidden > 0 else "")


class CsvUnreadable(RecordsRejected):
    """The file is not a CSV text that can be read to its end: nothing of it is used."""


def rows_from_file(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file (see :func:`rows_from_bytes`); OSError when it cannot be read."""
    return rows_from_bytes(path.read_bytes())


def rows_from_bytes(data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV file's bytes, which must be UTF-8 (a byte-order mark is allowed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + HEADING_LINE
        raise CsvUnreadable(
            [
                RowProblem(
                    line,
                    "",
                    "berkas harus ber-encoding UTF-8; simpan ulang sebagai 'CSV UTF-8' "
                    "(the file must be UTF-8; save it again as 'CSV UTF-8')",
                )
            ]
        ) from error
    return rows_from_csv(text)


def _csv_problem(error: csv.Error, line: int) -> CsvUnreadable:
    """The csv module's refusal as a problem of the line a spreadsheet would show."""
    message = str(error)
    if "field limit" in message:
        limit = csv.field_size_limit() // 1024
        reason = (
            f"ada nilai lebih dari {limit} KiB; apakah ini memang berkas CSV? (a value is "
            f"longer than {limit} KiB; is this really a CSV file?)"
        )
    elif "new-line" in message:
        reason = (
            "ada karakter CR (carriage return) di dalam nilai tanpa tanda kutip; simpan ulang "
            "sebagai 'CSV UTF-8' (a bare carriage return in an unquoted value; save the file "
            "again as 'CSV UTF-8')"
        )
    else:
        reason = f"CSV tidak dapat dibaca (unreadable CSV): {message}"
    return CsvUnreadable([RowProblem(line, "", reason)])


def rows_from_csv(text: str) -> list[dict[str, str]]:
    """The rows of a CSV text as dicts keyed by the (stripped) headings.

    Every record after the heading yields one dict, blank lines included (as ``{}``), so the
    n-th dict is line n + 1 of the file. Cells beyond the headings are joined under the
    heading ``""``: :func:`read_rows` reports them unless they are empty. A heading given
    twice, or a record the csv module refuses (a bare carriage return, a value over its
    field limit), raises :class:`CsvUnreadable` naming the line.
    """
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    separator = max(_SEPARATORS, key=first_line.count)
    if first_line.count(separator) == 0:
        separator = ","
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    try:
        headings = [heading.strip() for heading in next(reader)]
    except StopIteration:
        return []
    except csv.Error as error:
        raise _csv_problem(error, HEADING_LINE) from error
    refuse_repeated_headings(headings)
    rows: list[dict[str, str]] = []
    try:
        for record in reader:
            rows.append(_row(record, headings, separator))
    except csv.Error as error:
        raise _csv_problem(error, FIRST_ROW_LINE + len(rows)) from error
    return rows


def refuse_repeated_headings(
    headings: list[str], rejected: type[RecordsRejected] = CsvUnreadable
) -> None:
    """Two cells with one heading would be merged into one value: refuse the file."""
    seen: set[str] = set()
    problems: list[RowProblem] = []
    for heading in headings:
        if heading and heading.lower() in seen:
            problems.append(
                RowProblem(
                    HEADING_LINE, heading, "kolom ini muncul dua kali (the column appears twice)"
                )
            )
        seen.add(heading.lower())
    if problems:
        raise rejected(problems)


def _row(record: list[str], headings: list[str], separator: str) -> dict[str, str]:
    row: dict[str, str] = {}
    for index, value in enumerate(record):
        heading = headings[index] if index < len(headings) else ""
        if heading in row and value:
            row[heading] = f"{row[heading]}{separator}{value}" if row[heading] else value
        elif heading not in row:
            row[heading] = value
    return row


def read_rows(
    rows: Iterable[Mapping[str, str]],
    columns: Sequence[str],
    required: Iterable[str],
    *,
    rejected: type[RecordsRejected],
    first_line: int = FIRST_ROW_LINE,
    other_names: Mapping[str, str] | None = None,
) -> tuple[list[tuple[int, dict[str, str]]], list[RowProblem]]:
    """Each non-empty row with its line, keyed by canonical column names, values stripped.

    Headings match ``columns``, or the other (Indonesian) names ``other_names`` maps to
    them, without regard to case or surrounding spaces. Problems with the headings
    themselves (a required column missing, an unknown one, two headings for one column)
    raise ``rejected`` at once: with the wrong columns every row would be wrong, and one
    message says it better than a thousand. A value under no heading is returned as a
    problem of its line, to be reported with the rows' other problems.
    """
    names = dict(other_names or {})
    canonical = {column.lower(): column for column in columns}
    canonical.update((name.lower(), column) for name, column in names.items())
    known = ", ".join(columns) + (f" (atau/or {', '.join(names)})" if names else "")
    heading_line = first_line - 1
    heading_problems: list[RowProblem] = []
    row_problems: list[RowProblem] = []
    unknown: set[str] = set()
    heading_of: dict[str, str] = {}
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
            first = heading_of.setdefault(column, name) if column is not None else None
            if column is None or first != name:
                if name not in unknown:
                    unknown.add(name)
                    reason = (
                        f"kolom tidak dikenal; yang dikenal: {known} (unknown column)"
                        if column is None
                        else f"kolom ini sama dengan kolom {first}; pakai salah satu (the same "
                        f"column as {first}; keep one of them)"
                    )
                    heading_problems.append(RowProblem(heading_line, name, reason))
                continue
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
        other_name = {column: name for name, column in names.items()}
        heading_problems.extend(
            RowProblem(
                heading_line,
                column,
                "kolom wajib tidak ada (required column missing)"
                + (f"; atau/or {other_name[column]}" if column in other_name else ""),
            )
            for column in required
            if column not in heading_of
        )
    if heading_problems:
        raise rejected(heading_problems)
    return result, row_problems
