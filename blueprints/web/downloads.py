"""Send a page's table as a CSV or XLSX download with a safe file name."""

from __future__ import annotations

import re
import unicodedata

from flask import Response, abort

from lms_bridge.exports import Table, as_csv, as_xlsx

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str) -> str:
    """ASCII letters, digits, dot, dash, underscore: safe in any header and file system."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = UNSAFE.sub("-", ascii_name).strip("-.")
    return cleaned[:100] or "table"


def send_table(table: Table, name: str, file_format: str, *, sheet_title: str = "") -> Response:
    """The table as ``<name>.<file_format>`` (``csv`` or ``xlsx``; anything else is 404)."""
    if file_format not in FORMATS:
        abort(404)
    body = as_csv(table) if file_format == "csv" else as_xlsx(table, sheet_title or name)
    response = Response(body, mimetype=FORMATS[file_format])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{safe_filename(name)}.{file_format}"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
