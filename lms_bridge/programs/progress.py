"""Progress: statements in, evidence stored, module and program state derived, events queued.

:func:`record_progress` runs inside :func:`lms_bridge.ingest.record_statements`'s
transaction, after credit, with what the use case gathered once for both: the program
modules of the batch's activities and its actors resolved to NIPs. Most batches name no
module's activity (an LMS sending page views) and stop at once. The jobs, one module each:
matching evidence (:mod:`~lms_bridge.programs.matching`), deriving state
(:mod:`~lms_bridge.programs.rederive`), and the outbox with its webhooks and derived
statements (:mod:`~lms_bridge.programs.outbox`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import table_of
from lms_bridge.lrs.store import StoredStatement
from lms_bridge.models.programs import ProgressEvidence
from lms_bridge.programs.matching import EVIDENCE_COLUMNS, evidence_rows
from lms_bridge.programs.modules import ModulesRead
from lms_bridge.programs.rederive import rederive
from lms_bridge.sql.bulk import insert_rows


@dataclass
class ProgressUpdate:
    """What one batch changed: evidence rows and the events it queued."""

    evidence: int = 0
    events: list[str] = field(default_factory=list)


def record_progress(
    session: Session,
    new: Sequence[StoredStatement],
    voided_targets: Collection[str],
    *,
    activity_keys: Mapping[str, Collection[str]],
    modules: ModulesRead,
    people: Mapping[str, str],
    time_zone: ZoneInfo,
    client: AuthenticatedClient,
) -> ProgressUpdate:
    """Store the batch's progress evidence and re-derive what it touched (flushes only).

    ``activity_keys``: each new statement's activity keys, by statement id; ``modules``:
    the program modules of those keys; ``people``: the batch's actors resolved to NIPs.
    """
    update_ = ProgressUpdate()
    touched: set[int] = set()
    if modules.rows:
        rows = evidence_rows(session, new, activity_keys, modules, people, time_zone=time_zone)
        insert_rows(session, table_of(ProgressEvidence), EVIDENCE_COLUMNS, rows)
        update_.evidence = len(rows)
        touched |= {row[0] for row in rows}
    if voided_targets:
        hit = set(
            session.scalars(
                select(ProgressEvidence.enrollment_id).where(
                    ProgressEvidence.statement_id.in_(list(voided_targets))
                )
            )
        )
        if hit:
            session.execute(
                update(ProgressEvidence)
                .where(ProgressEvidence.statement_id.in_(list(voided_targets)))
                .values(voided=True)
            )
            touched |= hit
    if touched:
        update_.events = rederive(session, touched, client)
    session.flush()
    return update_
