"""Credit entries as the ledger's rebuild reads and changes them: plain rows, not ORM objects.

Every credited statement rebuilds its group and settles its person-day, so these reads and
writes are on the ingestion hot path. Loading mapped objects and flushing them cost about
half of a credited statement's credit step; here a row is read on the driver (one query per
dialect, in :mod:`lms_bridge.credit.queries`), changed in place with its changes
remembered, and the
changed rows are written back with one executemany ``UPDATE``. ORM copies of those rows
that the session already holds (an auditor's decision, a moved entry) are expired, so they
reload what was written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from lms_bridge.credit.queries import ENTRIES_OF_DAYS, ENTRIES_OF_GROUPS
from lms_bridge.db import table_of
from lms_bridge.models.credit import CreditEntry
from lms_bridge.sql.driver import driver_rows

GroupKey = tuple[str, str, str]
"""(subject_key, activity_key, rule_id)."""


@dataclass(eq=False)
class EntryValues:
    """What the ledger derives and settles of an entry, stored or about to be."""

    subject_key: str
    nip: str | None
    actor_key: str
    activity_key: str
    activity_id: str
    rule_id: str
    policy_version: str
    form: str
    path: str
    jp_raw: Decimal
    jp: Decimal
    occurred_at: datetime
    local_date: date
    year: int
    status: str
    statement_ids: list[str]
    explanation: str
    updated_at: datetime


@dataclass(eq=False)
class StoredEntry(EntryValues):
    """A stored entry; assigning a different value to a field marks it changed."""

    id: int
    jp_corrected: Decimal | None
    decided_by: str | None
    changed: set[str] = field(default_factory=set)

    def __setattr__(self, name: str, value: Any) -> None:
        # While __init__ runs, `changed` does not exist yet: nothing is a change then.
        if "changed" in self.__dict__ and getattr(self, name) != value:
            self.changed.add(name)
        super().__setattr__(name, value)


def entries_of_groups(session: Session, groups: Sequence[GroupKey]) -> list[StoredEntry]:
    """The stored entries of exactly these groups."""
    if not groups:
        return []
    session.flush()  # reads below the ORM do not autoflush
    params = {
        "groups": list(groups),
        "subjects": [group[0] for group in groups],
        "activities": [group[1] for group in groups],
        "rules": [group[2] for group in groups],
    }
    return [StoredEntry(*row) for row in driver_rows(session, ENTRIES_OF_GROUPS, params)]


def entries_of_days(session: Session, days: Collection[tuple[str, date]]) -> list[StoredEntry]:
    """The stored entries of these (NIP, local date) person-days."""
    if not days:
        return []
    session.flush()
    listed = list(days)
    params = {
        "days": [[nip, day.isoformat()] for nip, day in listed],
        "nips": [nip for nip, _ in listed],
        "dates": [day for _, day in listed],
    }
    return [StoredEntry(*row) for row in driver_rows(session, ENTRIES_OF_DAYS, params)]


GROUP_COLUMNS = ("subject_key", "activity_key", "rule_id")
WRITTEN_BACK = tuple(item.name for item in fields(EntryValues) if item.name not in GROUP_COLUMNS)
"""What a rebuild or a settlement may change; decisions are the auditors' (ORM) business."""


def write_changes(session: Session, entries: Sequence[StoredEntry]) -> None:
    """Write back what changed, column by column, and forget the changes.

    Only the changed columns are set (one executemany per set of changed columns), as the
    ORM's flush would: an auditor's decision committed meanwhile on a column this rebuild
    did not touch survives it.
    """
    by_columns: dict[tuple[str, ...], list[StoredEntry]] = defaultdict(list)
    for entry in entries:
        if entry.changed:
            by_columns[tuple(sorted(entry.changed))].append(entry)
    unknown = {name for names in by_columns for name in names} - set(WRITTEN_BACK)
    if unknown:
        raise ValueError(f"the ledger does not write {sorted(unknown)} back")
    table = table_of(CreditEntry)
    for names, changed in by_columns.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("entry_id"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        session.execute(
            statement,
            [
                {"entry_id": entry.id, **{f"new_{name}": getattr(entry, name) for name in names}}
                for entry in changed
            ],
        )
        for entry in changed:
            entry.changed.clear()
            held = session.identity_map.get(identity_key(CreditEntry, entry.id))
            if held is not None:
                session.expire(held)
