"""What the auditor's pages share: whose entries a person reads and decides, and the words for
statuses and refusals in the person's language.

Services take the agencies a person may read or decide as a plain collection (``None``: every
agency, for admins); an entry outside them is not found, which the pages answer with 404.
"""

from __future__ import annotations

from collections.abc import Collection

from flask_babel import LazyString, lazy_gettext
from flask_babel import gettext as _

from blueprints.web.i18n import decimal_number
from lms_bridge.accounts import Principal
from lms_bridge.accounts.principal import DECIDING_ROLES
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import (
    BULK_LIMIT,
    REASON_LENGTH,
    DecisionInvalid,
    DecisionRefused,
    EntryNotDecidable,
)

STATUS_LABELS: dict[str, LazyString] = {
    "pending": lazy_gettext("Waiting for verification"),
    "needs_revision": lazy_gettext("Needs revision"),
    "verified": lazy_gettext("Verified"),
    "rejected": lazy_gettext("Rejected"),
    "revoked": lazy_gettext("Revoked"),
    "unmatched": lazy_gettext("Not matched to a person"),
}
ACTION_LABELS: dict[str, LazyString] = {
    "credit.verify": lazy_gettext("verified"),
    "credit.reject": lazy_gettext("rejected"),
    "credit.revise": lazy_gettext("sent back for revision"),
    "credit.correct": lazy_gettext("corrected the JP"),
}


def status_label(status: str | None) -> str:
    """An entry's status in the person's language."""
    if status is None:
        return ""
    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def action_label(action: str) -> str:
    """An audit record's action in the person's language."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def readable_agencies(principal: Principal) -> Collection[str] | None:
    """The agencies whose entries this person reads (``None``: all of them)."""
    return None if principal.is_admin else principal.agencies


def decidable_agencies(principal: Principal) -> Collection[str] | None:
    """The agencies whose entries this person may decide and map (``None``: all)."""
    if principal.is_admin:
        return None
    return principal.agencies if principal.role in DECIDING_ROLES else frozenset()


def may_decide_any(principal: Principal) -> bool:
    """Whether this person decides anything at all (the queue shows its forms)."""
    return principal.is_admin or (principal.role in DECIDING_ROLES and bool(principal.agencies))


def refusal_message(error: DecisionRefused) -> str:
    """Why a decision was refused, in the person's language."""
    if isinstance(error, EntryNotDecidable):
        return str(_("This entry is revoked or has no person yet: it cannot be decided."))
    if isinstance(error, DecisionInvalid):
        messages = {
            "reason_required": _("A reason is required for this decision."),
            "reason_too_long": _(
                "The reason has at most %(count)d characters.", count=REASON_LENGTH
            ),
            "jp_negative": _("JP must be 0 or more."),
            "jp_over_daily_cap": _(
                "JP cannot exceed the daily cap of %(cap)s JP.",
                cap=decimal_number(current_policy().daily_cap_jp),
            ),
            "jp_decimals": _("JP has at most two decimals."),
            "nothing_chosen": _("Choose at least one entry."),
            "chosen_twice": _("The same entry was chosen twice."),
            "too_many": _("At most %(count)d entries at once.", count=BULK_LIMIT),
        }
        return str(messages.get(error.problem, error.message))
    return error.message
