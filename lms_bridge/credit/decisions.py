"""An auditor's decisions on credit entries: verify, reject, send back for revision, correct.

Non-classical credit starts pending until a BPSDM auditor verifies it (docs/domain.md, "How credit
is counted"); an auditor may also reject it, or correct its JP (an entry the policy could not
value, e.g. coaching without a duration, arrives as 0 JP pending review). Each decision names
who took it, why and when, on the entry itself, and the ledger keeps it when the entry is
rebuilt from its evidence (lms_bridge.credit.ledger keeps ``verified``/``rejected`` entries
that carry a ``decided_by``, and ``needs_revision`` ones until new evidence arrives). Every
decision is written to the audit trail (lms_bridge.audit) in the same transaction, with the
entry's status and JP before and after.

A decision changes what counts on that person-day, so the day's caps are settled again in the
same transaction: verifying a 4 JP entry on a day already at the 9 JP cap still counts 9.

Entries that are ``revoked`` (their statements were voided) or ``unmatched`` (nobody knows
whose they are yet) cannot be decided: there is no evidence, or no person, to decide about.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.credit.ledger import settle_days
from lms_bridge.credit.policy import Policy
from lms_bridge.credit.queue import DECISION_SUBJECT
from lms_bridge.credit.reports import EntryLine, entry_line
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models import CreditEntry, Person

UNDECIDABLE = ("revoked", "unmatched")
REASON_LENGTH = 2000
BULK_LIMIT = 500
"""At most this many entries in one bulk verification (one page of the queue at most)."""


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
    """The decision itself is wrong (no reason given, JP out of range).

    ``problem`` names what is wrong, for pages that say it in the reader's language:
    ``reason_required``, ``reason_too_long``, ``jp_negative``, ``jp_over_daily_cap``,
    ``jp_decimals``, ``nothing_chosen``, ``chosen_twice``, ``too_many``.
    """

    def __init__(self, message: str, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


def _reason(reason: str | None, *, required: bool) -> str | None:
    text = " ".join((reason or "").split())
    if not text:
        if required:
            raise DecisionInvalid("alasan wajib diisi (a reason is required)", "reason_required")
        return None
    if len(text) > REASON_LENGTH:
        raise DecisionInvalid(
            f"alasan paling banyak {REASON_LENGTH} karakter "
            f"(the reason has at most {REASON_LENGTH} characters)",
            "reason_too_long",
        )
    return text


@dataclass(frozen=True)
class Decision:
    """What an auditor decided, before it is applied to one or more entries."""

    action: str
    """``verify``, ``reject``, ``revise`` or ``correct``: the audit trail's verb."""
    status: str
    decided_by: str
    reason: str | None
    jp_corrected: Decimal | None = None


def _locked_entries(
    session: Session, entry_ids: Sequence[int], agencies: Collection[str] | None
) -> list[CreditEntry]:
    """The entries, locked, in the order asked; refuses if any is missing or not decidable.

    Two auditors deciding at once: the row lock makes the later one see the earlier. An
    entry of an agency outside ``agencies`` is reported as missing, exactly like an id that
    does not exist, so a scoped auditor learns nothing about other agencies' entries.
    """
    rows = session.execute(
        select(CreditEntry, Person.agency)
        .outerjoin(Person, Person.nip == CreditEntry.nip)
        .where(CreditEntry.id.in_(list(entry_ids)))
        .order_by(CreditEntry.id)
        .with_for_update(of=CreditEntry)
    ).all()
    found = {
        entry.id: entry
        for entry, agency in rows
        if agencies is None or (agency is not None and agency in agencies)
    }
    entries = []
    for entry_id in entry_ids:
        entry = found.get(entry_id)
        if entry is None:
            raise EntryNotFound(f"entri kredit {entry_id} tidak ada (no credit entry {entry_id})")
        if entry.status in UNDECIDABLE or entry.nip is None:
            raise EntryNotDecidable(
                f"entri kredit {entry_id} berstatus {entry.status} dan tidak dapat diputuskan "
                f"(credit entry {entry_id} is {entry.status} and cannot be decided)"
            )
        entries.append(entry)
    return entries


def _decision_state(entry: CreditEntry) -> dict[str, object]:
    """What the audit trail keeps of an entry before and after a decision."""
    return {
        "nip": entry.nip,
        "status": entry.status,
        "jp": entry.jp,
        "jp_corrected": entry.jp_corrected,
        "decided_by": entry.decided_by,
    }


def _decide(
    policy: Policy,
    entry_ids: Sequence[int],
    decision: Decision,
    agencies: Collection[str] | None,
) -> list[EntryLine]:
    """Record the decision on every entry and settle their person-days, in one transaction.

    Any entry that cannot be decided refuses the whole call: nothing is written.
    """
    if len(set(entry_ids)) != len(entry_ids):
        raise DecisionInvalid(
            "entri yang sama dipilih dua kali (the same entry was chosen twice)", "chosen_twice"
        )
    with unit_of_work() as session:
        entries = _locked_entries(session, entry_ids, agencies)
        before = {entry.id: _decision_state(entry) for entry in entries}
        now = utcnow()
        for entry in entries:
            entry.status = decision.status
            if decision.jp_corrected is not None:
                entry.jp_corrected = decision.jp_corrected
            entry.decided_by = decision.decided_by
            entry.decision_reason = decision.reason
            entry.decided_at = now
            entry.updated_at = now
        session.flush()
        settle_days(
            session, {(entry.nip, entry.local_date) for entry in entries if entry.nip}, policy
        )
        session.flush()
        for entry in entries:
            session.refresh(entry)
            record_event(
                session,
                actor=decision.decided_by,
                action=f"credit.{decision.action}",
                subject_type=DECISION_SUBJECT,
                subject_id=str(entry.id),
                before=before[entry.id],
                after=_decision_state(entry),
                reason=decision.reason,
            )
        return [entry_line(entry) for entry in entries]


def _one(
    policy: Policy, entry_id: int, decision: Decision, agencies: Collection[str] | None
) -> EntryLine:
    [line] = _decide(policy, [entry_id], decision, agencies)
    return line


def verify_credit(
    policy: Policy,
    entry_id: int,
    *,
    decided_by: str,
    reason: str | None = None,
    agencies: Collection[str] | None = None,
) -> EntryLine:
    """The auditor confirms the entry: it counts as verified (with any earlier correction).

    ``agencies``: the agencies the decider may see (``None``: all of them).
    """
    decision = Decision("verify", "verified", decided_by, _reason(reason, required=False))
    return _one(policy, entry_id, decision, agencies)


def verify_credits(
    policy: Policy,
    entry_ids: Sequence[int],
    *,
    decided_by: str,
    agencies: Collection[str] | None = None,
) -> list[EntryLine]:
    """Bulk verification of a selection: every entry or none (one transaction, each audited)."""
    if not entry_ids:
        raise DecisionInvalid(
            "pilih minimal satu entri (choose at least one entry)", "nothing_chosen"
        )
    if len(entry_ids) > BULK_LIMIT:
        raise DecisionInvalid(
            f"paling banyak {BULK_LIMIT} entri sekaligus (at most {BULK_LIMIT} entries at once)",
            "too_many",
        )
    return _decide(
        policy, list(entry_ids), Decision("verify", "verified", decided_by, None), agencies
    )


def reject_credit(
    policy: Policy,
    entry_id: int,
    *,
    decided_by: str,
    reason: str,
    agencies: Collection[str] | None = None,
) -> EntryLine:
    """The auditor refuses the entry: it stops counting; the reason is required."""
    decision = Decision("reject", "rejected", decided_by, _reason(reason, required=True))
    return _one(policy, entry_id, decision, agencies)


def send_back_credit(
    policy: Policy,
    entry_id: int,
    *,
    decided_by: str,
    reason: str,
    agencies: Collection[str] | None = None,
) -> EntryLine:
    """The auditor sends the entry back for revision (*perlu revisi*); the reason is required.

    It does not count meanwhile. When the learner's LMS sends more evidence for the same
    activity the entry returns to the queue as pending (lms_bridge.credit.ledger).
    """
    decision = Decision("revise", "needs_revision", decided_by, _reason(reason, required=True))
    return _one(policy, entry_id, decision, agencies)


def correct_credit(
    policy: Policy,
    entry_id: int,
    *,
    jp: Decimal,
    decided_by: str,
    reason: str,
    agencies: Collection[str] | None = None,
) -> EntryLine:
    """The auditor sets the entry's JP and verifies it; the reason is required.

    The corrected JP is still subject to the day's caps. A correction above the daily cap
    could never count in full, so it is refused as a mistake rather than silently capped.
    """
    if not jp.is_finite() or jp < 0:
        raise DecisionInvalid("JP harus 0 atau lebih (JP must be 0 or more)", "jp_negative")
    if jp > policy.daily_cap_jp:
        raise DecisionInvalid(
            f"JP melebihi batas harian {policy.daily_cap_jp} "
            f"(JP exceeds the daily cap of {policy.daily_cap_jp})",
            "jp_over_daily_cap",
        )
    if jp != jp.quantize(Decimal("0.01")):
        raise DecisionInvalid(
            "JP paling banyak dua angka desimal (JP has at most two decimals)", "jp_decimals"
        )
    decision = Decision(
        "correct", "verified", decided_by, _reason(reason, required=True), jp_corrected=jp
    )
    return _one(policy, entry_id, decision, agencies)
