"""JP credit: the policy, the rules, and the ledger auditors trust.

The app loads and validates the policy once at start (a bad file stops the service with
the reasons, instead of failing on the first statement); services read it from here.
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from flask import Flask, current_app

from lms_bridge.credit.ledger import rematch_actors as _rematch_in_session
from lms_bridge.credit.policy import Policy, PolicyError, load_policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import unit_of_work

EXTENSION = "lms_bridge.policy"

__all__ = [
    "Policy",
    "PolicyError",
    "current_policy",
    "install_policy",
    "nominal_jp_lookup",
    "rematch_actors",
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
    """Nominal JP of catalogued activities (the policy's catalogue)."""

    def nominal_jp(activity_id: str) -> Decimal | None:
        entry = policy.catalogue.get(activity_id)
        return entry.nominal_jp if entry else None

    return nominal_jp


def rematch_actors(actor_keys: Collection[str]) -> int:
    """Credit parked for these actors moves to the ASN they now map to (own transaction)."""
    with unit_of_work() as session:
        return _rematch_in_session(session, actor_keys, current_policy())
