"""SIASN "kursus" exports for machines: the dry run, a recorded export, the past exports.

The same rows as the /exports page, as JSON or (``?format=csv|xlsx``) as the file an agency
uploads. Reading the dry run needs ``credit/read``; recording an export is an auditor's act
(``credit/audit``) and names the client that made it.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from blueprints.api import ApiBlueprint, current_client
from blueprints.api.schemas import (
    ExportHistorySchema,
    ExportQuery,
    KursusExportSchema,
)
from blueprints.web.downloads import send_table
from lms_bridge.access.api_scopes import CREDIT_AUDIT, CREDIT_READ
from lms_bridge.credit import current_policy
from lms_bridge.credit.reports import current_year
from lms_bridge.exports.agency_tables import kursus_table
from lms_bridge.exports.siasn import (
    KursusExport,
    dry_run,
    export_history,
    record_kursus_export,
)

bp = ApiBlueprint(
    "exports",
    __name__,
    description='Ekspor SIASN "kursus" (SIASN kursus exports): dry run, record, history.',
)


def _year(query: dict[str, Any]) -> int:
    year: int | None = query.get("year")
    return year if year is not None else current_year(current_policy())


def _answer(
    export: KursusExport, query: dict[str, Any], status: int = 200
) -> KursusExport | Response:
    """The export as JSON (the view's schema), or its rows as the file ``format`` names."""
    if query["format"] == "json":
        return export
    name = f"siasn-kursus-{export.agency}-{export.year}"
    if export.recorded is not None:
        name += f"-ekspor-{export.recorded.id}"
    response = send_table(kursus_table(export), name, query["format"], sheet_title="kursus")
    response.status_code = status
    return response


@bp.route(
    "/agencies/<path:agency>/siasn/kursus",
    methods=["GET"],
    scopes=(CREDIT_READ,),
    summary="Uji coba ekspor SIASN kursus (dry run of the SIASN kursus export)",
)
@bp.arguments(ExportQuery, location="query")
@bp.response(200, KursusExportSchema)
@bp.alt_response(404, description="Instansi tidak ada di direktori (no such agency)")
def kursus_dry_run(query: dict[str, Any], agency: str) -> KursusExport | Response:
    """Rows as an export would make them now, and each left-out entry with its reasons."""
    export = dry_run(current_policy(), agency=agency, year=_year(query))
    return _answer(export, query)


@bp.route(
    "/agencies/<path:agency>/siasn/kursus",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Ekspor SIASN kursus dan catat (make and record a SIASN kursus export)",
)
@bp.arguments(ExportQuery, location="query")
@bp.response(201, KursusExportSchema)
@bp.alt_response(404, description="Instansi tidak ada di direktori (no such agency)")
def kursus_record(query: dict[str, Any], agency: str) -> KursusExport | Response:
    """The export, recorded: rows say which are new or changed since the last export."""
    export = record_kursus_export(
        current_policy(), agency=agency, year=_year(query), exported_by=current_client().name
    )
    return _answer(export, query, 201)


@bp.route(
    "/agencies/<path:agency>/siasn/exports",
    methods=["GET"],
    scopes=(CREDIT_READ,),
    summary="Riwayat ekspor SIASN (recorded SIASN exports of an agency's year)",
)
@bp.arguments(ExportQuery, location="query")
@bp.response(200, ExportHistorySchema)
@bp.alt_response(404, description="Instansi tidak ada di direktori (no such agency)")
def kursus_history(query: dict[str, Any], agency: str) -> dict[str, Any]:
    """Who exported the agency's year when, how many rows, how many of them new."""
    return {"exports": export_history(agency=agency, year=_year(query))}
