"""Recording statements: the one use case behind ``POST``/``PUT /xapi/statements``.

The walk of a statement (ARCHITECTURE.md) in one transaction: the LRS stores the batch,
then the credit ledger awards JP for it (or takes credit back for voided statements), then
program progress follows (evidence, derived module state, outbox events).
Anything that fails rolls the whole batch back, so a statement is never stored without
its credit, nor credit kept for a statement that was not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.credit import current_policy, nominal_jp_lookup
from lms_bridge.credit.ledger import CreditableStatement, credit_statements, creditable_actors
from lms_bridge.db import unit_of_work
from lms_bridge.lrs.store import StoreResult, store_batch
from lms_bridge.observability.metrics import count_stored_statements
from lms_bridge.people.identity import mappings_read, mappings_read_along
from lms_bridge.programs.progress import modules_read, modules_read_along, record_progress
from lms_bridge.settings import current_settings
from xapi.multipart import AttachmentPart
from xapi.versions import XAPIVersion

INTEGRITY_RETRIES = 3
"""A concurrent insert of the same id surfaces as a unique violation: retry, then compare.

The retry stores alone (no other statement writer in flight, see
:func:`~lms_bridge.lrs.bulk.lock_statement_writes`), so it sees every racer's row and
cannot meet another conflict on a statement id; the third attempt is for other tables."""


def _object_ids(result: StoreResult) -> list[str]:
    """The ids of the new statements' objects: what a ``nominal`` rule looks up."""
    objects = (item.statement["object"] for item in result.new)
    return [str(obj["id"]) for obj in objects if "id" in obj]


def record_statements(
    statements: Sequence[dict[str, Any]],
    *,
    client: AuthenticatedClient,
    version: XAPIVersion,
    attachments: Mapping[str, AttachmentPart] | None = None,
    in_transaction: Callable[[Session, StoreResult], None] | None = None,
) -> StoreResult:
    """Store a batch and credit it, whole or not at all; returns the ids in order.

    ``in_transaction`` runs last in the same transaction (the pages write their audit event
    there, so a record and its audit event are committed together or not at all).
    """
    # One statement: its program modules (for progress and nominal JP) and, when a rule may
    # credit it, its actor's mapping are read by its insert's round trip.
    policy = current_policy()
    crediting = current_settings().credit_enabled
    modules_along = mappings_along = None
    if len(statements) == 1:
        modules_along = modules_read_along(statements[0])
        actors = creditable_actors(statements, policy) if crediting else set()
        mappings_along = mappings_read_along(actors) if actors else None
    read_along = [read for read in (modules_along, mappings_along) if read is not None]
    for attempt in range(INTEGRITY_RETRIES):
        try:
            with unit_of_work() as session:
                result = store_batch(
                    session,
                    statements,
                    client=client,
                    version=version,
                    attachments=attachments,
                    read_along=read_along,
                    alone=attempt > 0,
                )
                if not (result.new or result.voided_targets):
                    if in_transaction is not None:
                        in_transaction(session, result)
                    return result  # an identical resend: nothing new to credit or track
                modules = mappings = None
                if result.read_along is not None and modules_along is not None:
                    modules = modules_read(modules_along, result.read_along[0])
                    if mappings_along is not None:
                        mappings = mappings_read(mappings_along, result.read_along[1])
                if crediting:
                    credit_statements(
                        session,
                        [
                            CreditableStatement(
                                item.pk, item.statement_id, item.statement, item.voided
                            )
                            for item in result.new
                        ],
                        result.voided_targets,
                        policy,
                        nominal_jp_lookup(
                            policy,
                            _object_ids(result),
                            read=(modules.keys, modules.nominal_jp) if modules else None,
                        ),
                        mappings=mappings,
                    )
                record_progress(
                    session,
                    result.new,
                    result.voided_targets,
                    nip_home_pages=policy.nip_home_pages,
                    time_zone=policy.time_zone,
                    client=client,
                    module_ids=modules.module_ids if modules else None,
                )
                if in_transaction is not None:
                    in_transaction(session, result)
            count_stored_statements(len(result.new))
            return result
        except IntegrityError:
            if attempt == INTEGRITY_RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
