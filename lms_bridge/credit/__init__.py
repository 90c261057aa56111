"""JP credit: the policy, the rules, and the ledger auditors trust.

The app loads and validates the policy once at start (a bad file stops the service with
the reasons, instead of failing on the first statement); services read it from here.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from flask import Flask, current_app, has_app_context
from sqlalchemy import or_, select

from lms_bridge.credit.ledger import rematch_actors as _rematch_in_session
from lms_bridge.credit.policy import Policy, PolicyError, load_policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import db, unit_of_work
from lms_bridge.lrs.keys import index_key
from lms_bridge.models.credit import CreditEvidence
from lms_bridge.models.programs import ProgramModule

EXTENSION = "lms_bridge.policy"

__all__ = [
    "Policy",
    "PolicyError",
    "current_policy",
    "install_policy",
    "nominal_jp_lookup",
    "rematch_actors",
    "rematch_email_actors",
]


def install_policy(app: Flask, policy_file: str) -> Policy:
    """Load the policy for ``app`` (raises PolicyError naming each problem)."""
    policy = load_policy(policy_file or None)
    app.extensions[EXTENSION] = policy
    return policy


def current_policy() -> Policy:
    """The policy of the running app."""
    policy: Policy = current_app.extensions[EXTENSION]
    return policy


def nominal_jp_lookup(policy: Policy) -> NominalJp:
    """Nominal JP of catalogued activities: the policy's catalogue, then program modules.

    Program modules (distance and classical sessions especially) carry their nominal JP in
    their template, so the ``nominal`` rules credit them without a second catalogue to keep
    in step. Offline (no app context, as ``credit explain`` in a test) only the catalogue
    counts. The modules are read lazily, at most once per lookup (one lookup per batch),
    and only when an activity is not in the policy's catalogue; when several program
    versions share an activity, the newest version's JP counts.
    """
    modules: dict[str, Decimal] | None = None

    def nominal_jp(activity_id: str) -> Decimal | None:
        nonlocal modules
        entry = policy.catalogue.get(activity_id)
        if entry:
            return entry.nominal_jp
        if modules is None:
            if not has_app_context():
                return None  # explaining files offline: no database, no program modules
            rows = db.session.execute(
                select(ProgramModule.activity_key, ProgramModule.nominal_jp).order_by(
                    ProgramModule.program_id
                )
            )
            modules = dict(rows.all())
        return modules.get(index_key(activity_id))

    return nominal_jp


def rematch_email_actors() -> int:
    """After a directory change: e-mail actors may now resolve to someone else (or no one).

    Who an ``mbox``/``mbox_sha1sum`` actor is depends on the directory's e-mail addresses,
    so every e-mail-identified actor with evidence is matched again. A directory import is
    rare and this touches only those actors' evidence.
    """
    with unit_of_work() as session:
        keys = set(
            session.scalars(
                select(CreditEvidence.actor_key)
                .where(
                    or_(
                        CreditEvidence.actor_key.startswith("mbox:"),
                        CreditEvidence.actor_key.startswith("mbox_sha1sum:"),
                    )
                )
                .distinct()
            )
        )
        return _rematch_in_session(session, keys, current_policy())


def rematch_actors(actor_keys: Collection[str]) -> int:
    """Credit parked for these actors moves to the ASN they now map to (own transaction)."""
    with unit_of_work() as session:
        return _rematch_in_session(session, actor_keys, current_policy())
