"""Recording statements: the one use case behind ``POST``/``PUT /xapi/statements``.

The walk of a statement (docs/architecture.md) in one transaction: the LRS stores the batch,
then what credit and progress both need of it is gathered once (:class:`BatchFacts`), then
the credit ledger awards JP for it (or takes credit back for voided statements), then
program progress follows (evidence, derived module state, outbox events). Anything that
fails rolls the whole batch back, so a statement is never stored without its credit, nor
credit kept for a statement that was not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.credit import Policy, current_policy, nominal_jp_lookup
from lms_bridge.credit.ledger import CreditableStatement, credit_statements, creditable_actors
from lms_bridge.db import unit_of_work
from lms_bridge.lrs.store import StoreResult, store_batch
from lms_bridge.observability.metrics import count_stored_statements
from lms_bridge.people.identity import mappings_along, mappings_from_answer, resolve_actors
from lms_bridge.programs.modules import (
    ModulesRead,
    activity_keys,
    modules_along,
    modules_from_answer,
    read_modules,
)
from lms_bridge.programs.progress import record_progress
from lms_bridge.settings import current_settings
from lms_bridge.sql.read_along import ReadAlong
from xapi.identifiers import VOIDED_VERB, agent_key
from xapi.multipart import AttachmentPart
from xapi.versions import XAPIVersion

INTEGRITY_RETRIES = 3
"""A concurrent insert of the same id surfaces as a unique violation: retry, then compare.

The retry stores alone (no other statement writer in flight, see
:func:`~lms_bridge.sql.locks.lock_statement_writes`), so it sees every racer's row and
cannot meet another conflict on a statement id; the third attempt is for other tables."""

MODULES = "modules"
MAPPINGS = "mappings"


@dataclass(frozen=True)
class BatchFacts:
    """What credit and progress both need of a stored batch, gathered once, by name."""

    activity_keys: Mapping[str, frozenset[str]]
    """Each new statement's activity keys (object, context parents and groupings), by id."""
    modules: ModulesRead
    """The program modules of those activities, with their nominal JP."""
    people: Mapping[str, str]
    """Actor key → NIP, for every actor credit or progress needs that resolves."""


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
    policy = current_policy()
    crediting = current_settings().credit_enabled
    carried = _reads_to_carry(statements)
    for attempt in range(INTEGRITY_RETRIES):
        try:
            with unit_of_work() as session:
                result = store_batch(
                    session,
                    statements,
                    client=client,
                    version=version,
                    attachments=attachments,
                    read_along=carried,
                    alone=attempt > 0,
                )
                if result.new or result.voided_targets:
                    facts = gather(session, result, policy, crediting=crediting, carried=carried)
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
                            nominal_jp_lookup(policy, facts.modules.nominal_jp),
                            people=facts.people,
                        )
                    record_progress(
                        session,
                        result.new,
                        result.voided_targets,
                        activity_keys=facts.activity_keys,
                        modules=facts.modules,
                        people=facts.people,
                        time_zone=policy.time_zone,
                        client=client,
                    )
                # else: an identical resend, nothing new to credit or track
                if in_transaction is not None:
                    in_transaction(session, result)
            count_stored_statements(len(result.new))
            return result
        except IntegrityError:
            if attempt == INTEGRITY_RETRIES - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _reads_to_carry(statements: Sequence[Mapping[str, Any]]) -> list[ReadAlong]:
    """For one statement, the reads :func:`gather` needs, for its insert's round trip: the
    program modules of its activities and its actor's mapping (a batch reads them after)."""
    if len(statements) != 1 or statements[0]["verb"]["id"] == VOIDED_VERB:
        return []
    [statement] = statements
    reads = [modules_along(activity_keys(statement), MODULES)]
    actor = agent_key(statement["actor"])
    if actor is not None:
        reads.append(mappings_along({actor}, MAPPINGS))
    return reads


def gather(
    session: Session,
    result: StoreResult,
    policy: Policy,
    *,
    crediting: bool,
    carried: Sequence[ReadAlong] = (),
) -> BatchFacts:
    """Read once what credit and progress need: the batch's program modules, and the actors
    a rule may credit or whose statements name a module, resolved to NIPs. What the insert
    carried (``result.answers``, by name) is not read again."""
    keys_of = {item.statement_id: frozenset(activity_keys(item.statement)) for item in result.new}
    every_key = frozenset().union(*keys_of.values())
    reads = {read.name: read for read in carried}
    if MODULES in result.answers:
        modules = modules_from_answer(result.answers[MODULES])
    else:
        modules = read_modules(session, every_key)
    module_keys = {row.activity_key for row in modules.rows}
    statements = [item.statement for item in result.new]
    actors = creditable_actors(statements, policy) if crediting else set()
    if module_keys:
        actors |= {
            actor
            for item in result.new
            if not module_keys.isdisjoint(keys_of[item.statement_id])
            and (actor := agent_key(item.statement["actor"])) is not None
        }
    mapped = (
        mappings_from_answer(reads[MAPPINGS], result.answers[MAPPINGS])
        if MAPPINGS in result.answers
        else None
    )
    people = resolve_actors(session, actors, policy.nip_home_pages, read=mapped)
    return BatchFacts(activity_keys=keys_of, modules=modules, people=people)
