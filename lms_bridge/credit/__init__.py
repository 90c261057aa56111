"""JP credit: the policy, the rules, and the ledger auditors trust.

The app loads and validates the policy once at start (a bad file stops the service with
the reasons, instead of failing on the first statement). Entry points (views, commands,
the statement use case) read the running policy here and hand it to the services.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from decimal import Decimal

from flask import Flask, current_app
from sqlalchemy import or_, select

from lms_bridge.credit.active_policy import ActivePolicy
from lms_bridge.credit.ledger import move_actors_credit
from lms_bridge.credit.policy import Policy, PolicyError, load_policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import unit_of_work
from lms_bridge.models.credit import CreditEvidence
from lms_bridge.sql.keys import index_key

EXTENSION = "lms_bridge.policy"

__all__ = [
    "Policy",
    "PolicyError",
    "active_policy",
    "current_policy",
    "install_policy",
    "nominal_jp_lookup",
    "rematch_actors",
    "rematch_email_actors",
]


def install_policy(app: Flask, policy_file: str) -> Policy:
    """Load the policy file for ``app`` (raises PolicyError naming each problem); an
    uploaded policy applied by an administrator takes its place (active_policy)."""
    policy = load_policy(policy_file or None)
    app.extensions[EXTENSION] = ActivePolicy(policy)
    return policy


def active_policy() -> ActivePolicy:
    """This app's view of which policy runs (to switch it, or read the file's)."""
    holder: ActivePolicy = current_app.extensions[EXTENSION]
    return holder


def current_policy() -> Policy:
    """The policy of the running app."""
    return active_policy().get()


def nominal_jp_lookup(policy: Policy, modules_jp: Mapping[str, Decimal]) -> NominalJp:
    """Nominal JP of catalogued activities: the policy's catalogue, then program modules.

    Program modules (distance and classical sessions especially) carry their nominal JP in
    their template, so the ``nominal`` rules credit them without a second catalogue to keep
    in step. ``modules_jp`` (activity key → nominal JP) is what the caller read of the
    modules of the activities at hand (lms_bridge.programs.modules: the statement use case
    reads a batch's, a recompute every module); where several program versions share an
    activity the newest one's JP is in it. Offline (``credit explain`` on files) it is empty
    and only the catalogue counts.
    """

    def nominal_jp(activity_id: str) -> Decimal | None:
        entry = policy.catalogue.get(activity_id)
        if entry:
            return entry.nominal_jp
        return modules_jp.get(index_key(activity_id))

    return nominal_jp


REMATCH_CHUNK = 100
"""Actors re-matched per transaction: each brings its old and new person's lock, so a
directory or mapping import of a whole province stays below
:data:`lms_bridge.sql.locks.LOCK_BUDGET` per transaction and in bounded memory."""


def rematch_email_actors(policy: Policy, chunk: int = REMATCH_CHUNK) -> int:
    """After a directory change: e-mail actors may now resolve to someone else (or no one).

    Who an ``mbox``/``mbox_sha1sum`` actor is depends on the directory's e-mail addresses,
    so every e-mail-identified actor with evidence is matched again, ``chunk`` actors (in
    key order) per transaction; each chunk is whole, and a new import re-runs all of it.
    """
    groups = 0
    after = ""
    while True:
        with unit_of_work() as session:
            keys = list(
                session.scalars(
                    select(CreditEvidence.actor_key)
                    .where(
                        or_(
                            CreditEvidence.actor_key.startswith("mbox:"),
                            CreditEvidence.actor_key.startswith("mbox_sha1sum:"),
                        ),
                        CreditEvidence.actor_key > after,
                    )
                    .distinct()
                    .order_by(CreditEvidence.actor_key)
                    .limit(chunk)
                )
            )
            if not keys:
                return groups
            groups += move_actors_credit(session, keys, policy)
        after = keys[-1]


def rematch_actors(actor_keys: Collection[str], policy: Policy, chunk: int = REMATCH_CHUNK) -> int:
    """Credit parked for these actors moves to the ASN they now map to, ``chunk`` actors
    per transaction (see :data:`REMATCH_CHUNK`); returns the groups touched."""
    ordered = sorted(actor_keys)
    groups = 0
    for start in range(0, len(ordered), chunk):
        with unit_of_work() as session:
            groups += move_actors_credit(session, ordered[start : start + chunk], policy)
    return groups
