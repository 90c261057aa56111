"""JP credit: the policy, the rules, and the ledger auditors trust.

The app loads and validates the policy once at start (a bad file stops the service with
the reasons, instead of failing on the first statement); services read it from here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import or_, select

from lms_bridge.credit.active_policy import ActivePolicy
from lms_bridge.credit.ledger import rematch_actors as _rematch_in_session
from lms_bridge.credit.policy import Policy, PolicyError, load_policy
from lms_bridge.credit.rules import NominalJp
from lms_bridge.db import db, unit_of_work
from lms_bridge.driver import DriverQuery, decimal_of_scale, driver_rows
from lms_bridge.lrs.keys import index_key
from lms_bridge.models.credit import JP_SCALE, CreditEvidence
from lms_bridge.models.programs import ProgramModule

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
    # Before the request opens a transaction: the look needs a connection of its own.
    app.before_request(_look_for_an_applied_policy)
    return policy


def _look_for_an_applied_policy() -> None:
    active_policy().get()


def active_policy() -> ActivePolicy:
    """This app's view of which policy runs (to switch it, or read the file's)."""
    holder: ActivePolicy = current_app.extensions[EXTENSION]
    return holder


def current_policy() -> Policy:
    """The policy of the running app."""
    return active_policy().get()


NOMINAL_JP_OF_MODULES = DriverQuery(
    postgresql=(
        "SELECT activity_key, nominal_jp FROM program_modules "
        "WHERE activity_key = ANY(%(keys)s) ORDER BY program_id"
    ),
    sqlite=(
        "SELECT m.activity_key, m.nominal_jp FROM json_each(:keys) AS wanted "
        "CROSS JOIN program_modules AS m ON m.activity_key = wanted.value ORDER BY m.program_id"
    ),
    decoders=((1, decimal_of_scale(JP_SCALE)),),
)
"""Nominal JP of the program modules of some activities; the newest program comes last."""


def nominal_jp_lookup(
    policy: Policy,
    activity_ids: Iterable[str] | None = None,
    read: tuple[Collection[str], Mapping[str, Decimal]] | None = None,
) -> NominalJp:
    """Nominal JP of catalogued activities: the policy's catalogue, then program modules.

    Program modules (distance and classical sessions especially) carry their nominal JP in
    their template, so the ``nominal`` rules credit them without a second catalogue to keep
    in step. When several program versions share an activity, the newest version's JP
    counts. Modules are read lazily, only when an activity is not in the policy's
    catalogue: given ``activity_ids`` (a batch's objects), the first miss reads the modules
    of just those activities in one query, and an activity outside them is read on its
    own; without them (recompute walks everything) every module is read once. ``read`` is
    a read made already: the activity keys it covered and the nominal JP it found. Offline
    (no app context, as ``credit explain`` in a test) only the catalogue counts.
    """
    expected = None if activity_ids is None else {index_key(i) for i in activity_ids}
    known: dict[str, Decimal] = {}
    covered: set[str] = set()  # activity keys whose modules are in ``known``
    read_all = False
    if read is not None:
        covered.update(read[0])
        known.update(read[1])

    def read_modules(keys: set[str] | None) -> None:
        session = db.session()
        rows: Sequence[tuple[Any, ...]]
        if keys is None:
            rows = session.execute(
                select(ProgramModule.activity_key, ProgramModule.nominal_jp).order_by(
                    ProgramModule.program_id
                )
            ).all()
        else:
            rows = driver_rows(session, NOMINAL_JP_OF_MODULES, {"keys": sorted(keys)})
        known.update((key, jp) for key, jp in rows)

    def nominal_jp(activity_id: str) -> Decimal | None:
        nonlocal read_all
        entry = policy.catalogue.get(activity_id)
        if entry:
            return entry.nominal_jp
        if not has_app_context():
            return None  # explaining files offline: no database, no program modules
        key = index_key(activity_id)
        if expected is None and not read_all:
            read_modules(None)
            read_all = True
        elif expected is not None and key not in covered:
            wanted = (expected | {key}) - covered  # the batch's at the first miss, then one
            read_modules(wanted)
            covered.update(wanted)
        return known.get(key)

    return nominal_jp


REMATCH_CHUNK = 100
"""Actors re-matched per transaction: each brings its old and new person's lock, so a
directory or mapping import of a whole province stays below
:data:`lms_bridge.lrs.bulk.LOCK_BUDGET` per transaction and in bounded memory."""


def rematch_email_actors(chunk: int = REMATCH_CHUNK) -> int:
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
            groups += _rematch_in_session(session, keys, current_policy())
        after = keys[-1]


def rematch_actors(actor_keys: Collection[str], chunk: int = REMATCH_CHUNK) -> int:
    """Credit parked for these actors moves to the ASN they now map to, ``chunk`` actors
    per transaction (see :data:`REMATCH_CHUNK`); returns the groups touched."""
    ordered = sorted(actor_keys)
    groups = 0
    for start in range(0, len(ordered), chunk):
        with unit_of_work() as session:
            groups += _rematch_in_session(session, ordered[start : start + chunk], current_policy())
    return groups
