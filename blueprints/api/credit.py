"""JP credit: a person's year, an agency's year, the auditors' queue and their decisions."""

from __future__ import annotations

from typing import Any

from blueprints.api import ApiBlueprint, current_client
from blueprints.api.schemas import (
    AgencySummarySchema,
    BulkDecisionSchema,
    BulkVerifyBody,
    CorrectBody,
    EntryEvidenceSchema,
    EntrySchema,
    PendingPageSchema,
    PendingQuery,
    PersonCreditSchema,
    RejectBody,
    VerifyBody,
    YearQuery,
)
from lms_bridge.access.api_scopes import CREDIT_AUDIT, CREDIT_READ
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import (
    EntryNotFound,
    correct_credit,
    reject_credit,
    send_back_credit,
    verify_credit,
    verify_credits,
)
from lms_bridge.credit.queue import EntryEvidence, entry_evidence
from lms_bridge.credit.reports import (
    AgencySummary,
    EntryLine,
    PendingPage,
    PersonCredit,
    agency_summary,
    pending_entries,
    person_credit,
)
from lms_bridge.db import db

bp = ApiBlueprint(
    "credit",
    __name__,
    description="Kredit JP (JP credit): per person, per agency, and auditors' decisions.",
)


@bp.route(
    "/people/<nip>/credit",
    methods=["GET"],
    scopes=(CREDIT_READ,),
    summary="Kredit JP seseorang dalam setahun (a person's JP for a year)",
)
@bp.arguments(YearQuery, location="query")
@bp.response(200, PersonCreditSchema)
@bp.alt_response(404, description="NIP tidak dikenal (unknown NIP, no credit)")
def person_year(query: dict[str, Any], nip: str) -> PersonCredit:
    """Total, verified and pending JP against the yearly target, with every entry."""
    return person_credit(db.session(), current_policy(), nip, query.get("year"))


@bp.route(
    "/agencies/<path:agency>/summary",
    methods=["GET"],
    scopes=(CREDIT_READ,),
    summary="Ringkasan JP instansi dalam setahun (an agency's JP for a year)",
)
@bp.arguments(YearQuery, location="query")
@bp.response(200, AgencySummarySchema)
@bp.alt_response(404, description="Instansi tidak ada di direktori (no such agency)")
def agency_year(query: dict[str, Any], agency: str) -> AgencySummary:
    """Staff reaching the target, and JP by form and by path (the directory's agency)."""
    return agency_summary(db.session(), current_policy(), agency, query.get("year"))


@bp.route(
    "/credit/pending",
    methods=["GET"],
    scopes=(CREDIT_READ,),
    summary="Entri menunggu verifikasi (pending entries, for auditors)",
)
@bp.arguments(PendingQuery, location="query")
@bp.response(200, PendingPageSchema)
def pending(query: dict[str, Any]) -> PendingPage:
    """Pending entries with their evidence statement ids, a page at a time."""
    return pending_entries(
        db.session(),
        agency=query.get("agency"),
        year=query.get("year"),
        after=query.get("after"),
        limit=query["limit"],
    )


@bp.route(
    "/credit/entries/<int:entry_id>/verify",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Verifikasi entri (verify an entry)",
)
@bp.arguments(VerifyBody, required=False)
@bp.response(200, EntrySchema)
@bp.alt_response(404, description="Entri tidak ada (no such entry)")
@bp.alt_response(409, description="Entri dicabut atau belum cocok (revoked or unmatched)")
def verify(body: dict[str, Any], entry_id: int) -> EntryLine:
    """The entry counts as verified; the decision names this client."""
    return verify_credit(
        current_policy(), entry_id, decided_by=current_client().name, reason=body.get("reason")
    )


@bp.route(
    "/credit/entries/<int:entry_id>/reject",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Tolak entri (reject an entry)",
)
@bp.arguments(RejectBody)
@bp.response(200, EntrySchema)
@bp.alt_response(404, description="Entri tidak ada (no such entry)")
@bp.alt_response(409, description="Entri dicabut atau belum cocok (revoked or unmatched)")
def reject(body: dict[str, Any], entry_id: int) -> EntryLine:
    """The entry stops counting; the reason is kept with the decision."""
    return reject_credit(
        current_policy(), entry_id, decided_by=current_client().name, reason=body["reason"]
    )


@bp.route(
    "/credit/entries/<int:entry_id>/correct",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Koreksi JP entri (correct an entry's JP)",
)
@bp.arguments(CorrectBody)
@bp.response(200, EntrySchema)
@bp.alt_response(404, description="Entri tidak ada (no such entry)")
@bp.alt_response(409, description="Entri dicabut atau belum cocok (revoked or unmatched)")
def correct(body: dict[str, Any], entry_id: int) -> EntryLine:
    """The entry is worth ``jp`` (still capped per day) and counts as verified."""
    return correct_credit(
        current_policy(),
        entry_id,
        jp=body["jp"],
        decided_by=current_client().name,
        reason=body["reason"],
    )


@bp.route(
    "/credit/entries/<int:entry_id>/revise",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Kembalikan untuk revisi (send an entry back for revision, perlu revisi)",
)
@bp.arguments(RejectBody)
@bp.response(200, EntrySchema)
@bp.alt_response(404, description="Entri tidak ada (no such entry)")
@bp.alt_response(409, description="Entri dicabut atau belum cocok (revoked or unmatched)")
def revise(body: dict[str, Any], entry_id: int) -> EntryLine:
    """The entry waits for the learner (status ``needs_revision``) and does not count; more
    evidence for the same activity puts it back in the queue as pending."""
    return send_back_credit(
        current_policy(), entry_id, decided_by=current_client().name, reason=body["reason"]
    )


@bp.route(
    "/credit/entries/verify",
    methods=["POST"],
    scopes=(CREDIT_AUDIT,),
    summary="Verifikasi sekaligus (verify a selection of entries: all or none)",
)
@bp.arguments(BulkVerifyBody)
@bp.response(200, BulkDecisionSchema)
@bp.alt_response(404, description="Salah satu entri tidak ada (an entry does not exist)")
@bp.alt_response(409, description="Salah satu entri dicabut atau belum cocok (one is undecidable)")
def verify_selection(body: dict[str, Any]) -> dict[str, list[EntryLine]]:
    """Every entry is verified in one transaction, each audited; one refusal refuses all."""
    entries = verify_credits(current_policy(), body["ids"], decided_by=current_client().name)
    return {"entries": entries}


@bp.route(
    "/credit/entries/<int:entry_id>/evidence",
    methods=["GET"],
    scopes=(CREDIT_AUDIT,),
    summary="Bukti entri: pernyataan xAPI (an entry's evidence statements, for auditors)",
)
@bp.response(200, EntryEvidenceSchema)
@bp.alt_response(404, description="Entri tidak ada (no such entry)")
def evidence(entry_id: int) -> EntryEvidence:
    """The entry and the statements the queue's ``statement_ids`` name, as stored: an auditor's
    key reads the evidence it decides on without an LRS read scope."""
    found = entry_evidence(db.session(), entry_id)
    if found is None:
        raise EntryNotFound(f"entri kredit {entry_id} tidak ada (no credit entry {entry_id})")
    return found
