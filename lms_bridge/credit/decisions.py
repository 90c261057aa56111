"""An auditor's decisions on credit entries: verify, reject, correct.

Non-classical credit starts pending until a BPSDM auditor verifies it (domain.md, "How credit
is counted"); an auditor may also reject it, or correct its JP (an entry the policy could not
value, e.g. coaching without a duration, arrives as 0 JP pending review). Each decision names
who took it, why and when, on the entry itself, and the ledger keeps it when the entry is
rebuilt from its evidence (lms_bridge.credit.ledger keeps ``verified``/``rejected`` entries
that carry a ``decided_by``).

A decision changes what counts on that person-day, so the day's caps are settled again in the
same transaction: verifying a 4 JP entry on a day already at the 9 JP cap still counts 9.

Entries that are ``revoked`` (their statements were voided) or ``unmatched`` (nobody knows
whose they are yet) cannot be decided: there is no evidence, or no person, to decide about.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from lms_bridge.audit.trail import record_event
from lms_bridge.credit import current_policy
from lms_bridge.credit.ledger import settle_days
from lms_bridge.credit.reports import EntryLine, entry_line
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import CreditEntry

UNDECIDABLE = ("revoked", "unmatched")
REASON_LENGTH = 2000


class DecisionRefused(ValueError):
    """A decision cannot be taken; ``message`` is safe to show (Bahasa Indonesia first)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EntryNotFound(DecisionRefused):
    """No credit entry has this id."""


class EntryNotDecidable(DecisionRefused):
    """The entry is revoked or unmatched: there is nothing to decide about."""


class DecisionInvalid(DecisionRefused):
    """The decision itself is wrong (no reason given, JP out of range)."""


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if not text:
        if required:
            raise DecisionInvalid("alasan wajib diisi (a reason is required)")
        return None
    if len(text) > REASON_LENGTH:
        raise DecisionInvalid(
            f"alasan paling banyak {REASON_LENGTH} karakter "
            f"(the reason has at most {REASON_LENGTH} characters)"
        )
    return text


def _decide(
    entry_id: int,
    *,
    action: str,
    status: str,
    decided_by: str,
    reason: str | None,
    jp_corrected: Decimal | None = None,
) -> EntryLine:
    """Record the decision on the entry, settle its person-day and write ``action`` to the
    audit trail, in one transaction."""
    policy = current_policy()
    with unit_of_work() as session:
        # Two auditors deciding at once: the row lock makes the later one see the earlier.
        entry = session.scalar(
            select(CreditEntry).where(CreditEntry.id == entry_id).with_for_update()
        )
        if entry is None:
            raise EntryNotFound(f"entri kredit {entry_id} tidak ada (no credit entry {entry_id})")
        if entry.status in UNDECIDABLE or entry.nip is None:
            raise EntryNotDecidable(
                f"entri kredit {entry_id} berstatus {entry.status} dan tidak dapat diputuskan "
                f"(credit entry {entry_id} is {entry.status} and cannot be decided)"
            )
        before = _decision_state(entry)
        now = utcnow()
        entry.status = status
        if jp_corrected is not None:
            entry.jp_corrected = jp_corrected
        entry.decided_by = decided_by
        entry.decision_reason = reason
        entry.decided_at = now
        entry.updated_at = now
        session.flush()
        settle_days(session, {(entry.nip, entry.local_date)}, policy)
        record_event(
            session,
            actor=decided_by,
            action=action,
            subject_type="credit_entry",
            subject_id=str(entry.id),
            before=before,
            after=_decision_state(entry),
            reason=reason,
        )
        return entry_line(entry)


def _decision_state(entry: CreditEntry) -> dict[str, object]:
    """What the audit trail keeps of an entry before and after a decision."""
    return {
        "nip": entry.nip,
        "status": entry.status,
        "jp": entry.jp,
        "jp_corrected": entry.jp_corrected,
        "decided_by": entry.decided_by,
    }


def verify_credit(entry_id: int, *, decided_by: str, reason: str | None = None) -> EntryLine:
    """The auditor confirms the entry: it counts as verified (with any earlier correction)."""
    return _decide(
        entry_id,
        action="credit.verify",
        status="verified",
        decided_by=decided_by,
        reason=_reason(reason, required=False),
    )


def reject_credit(entry_id: int, *, decided_by: str, reason: str) -> EntryLine:
    """The auditor refuses the entry: it stops counting; the reason is required."""
    return _decide(
        entry_id,
        action="credit.reject",
        status="rejected",
        decided_by=decided_by,
        reason=_reason(reason, required=True),
    )


def correct_credit(entry_id: int, *, jp: Decimal, decided_by: str, reason: str) -> EntryLine:
    """The auditor sets the entry's JP and verifies it; the reason is required.

    The corrected JP is still subject to the day's caps. A correction above the daily cap
    could never count in full, so it is refused as a mistake rather than silently capped.
    """
    policy = current_policy()
    if not jp.is_finite() or jp < 0:
        raise DecisionInvalid("JP harus 0 atau lebih (JP must be 0 or more)")
    if jp > policy.daily_cap_jp:
        raise DecisionInvalid(
            f"JP melebihi batas harian {policy.daily_cap_jp} "
            f"(JP exceeds the daily cap of {policy.daily_cap_jp})"
        )
    if jp != jp.quantize(Decimal("0.01")):
        raise DecisionInvalid("JP paling banyak dua angka desimal (JP has at most two decimals)")
    return _decide(
        entry_id,
        action="credit.correct",
        status="verified",
        decided_by=decided_by,
        reason=_reason(reason, required=True),
        jp_corrected=jp,
    )
