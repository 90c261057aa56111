"""Recording statements: the one use case behind ``POST``/``PUT /xapi/statements``.

The walk of a statement (ARCHITECTURE.md) in one transaction: the LRS stores the batch,
then the credit ledger awards JP for it (or takes credit back for voided statements), then
program progress follows (evidence, derived module state, outbox events).
Anything that fails rolls the whole batch back, so a statement is never stored without
its credit, nor credit kept for a statement that was not stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError

from lms_bridge.access import AuthenticatedClient
from lms_bridge.credit import current_policy, nominal_jp_lookup
from lms_bridge.credit.ledger import CreditableStatement, credit_statements
from lms_bridge.db import unit_of_work
from lms_bridge.lrs.store import StoreResult, store_batch
from lms_bridge.programs.progress import modules_read, modules_read_along, record_progress
from lms_bridge.settings import current_settings
from xapi.multipart import AttachmentPart
from xapi.versions import XAPIVersion

INTEGRITY_RETRIES = 3
"""A concurrent insert of the same id surfaces as a unique violation: retry, then compare."""


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
) -> StoreResult:
    """Store a batch and credit it, whole or not at all; returns the ids in order."""
    # One statement: its program modules (for progress and nominal JP) are read by its
    # insert's round trip.
    read_along = modules_read_along(statements[0]) if len(statements) == 1 else None
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
                )
                if not (result.new or result.voided_targets):
                    return result  # an identical resend: nothing new to credit or track
                modules = (
                    modules_read(read_along, result.read_along)
                    if read_along is not None and result.read_along is not None
                    else None
                )
                policy = current_policy()
                if current_settings().credit_enabled:
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
                return result
        except IntegrityError:
            if attempt == INTEGRITY_RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover
