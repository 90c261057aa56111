"""Entries read and written below the ORM come out as the ORM would read them."""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from lms_bridge.credit.entry_rows import (
    StoredEntry,
    entries_of_days,
    entries_of_groups,
    write_changes,
)
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import CreditEntry, CreditEvidence
from lms_bridge.sql import bulk
from lms_bridge.sql.bulk import SMALL_INSERT_ROWS
from tests.conftest import XAPIClient
from tests.statements import NIP_A, completion

COMPARED = [item.name for item in fields(StoredEntry) if item.name != "changed"]


def _as_orm_reads(entry: CreditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in COMPARED}


def _posted_entries(xapi: XAPIClient) -> list[CreditEntry]:
    statements = [
        completion(module=module, minutes=minutes, timestamp=f"2025-03-10T0{module}:30:00Z")
        for module, minutes in ((1, 90), (2, 135))
    ]
    assert xapi.post_statements(statements).status_code == 200
    db.session.expire_all()
    return list(db.session.scalars(select(CreditEntry).order_by(CreditEntry.id)))


def test_rows_read_by_group_and_by_day_equal_the_orm_s(
    xapi: XAPIClient, app_context: Flask
) -> None:
    stored = _posted_entries(xapi)
    assert len(stored) == 2
    groups = [(entry.subject_key, entry.activity_key, entry.rule_id) for entry in stored]
    by_group = sorted(entries_of_groups(db.session(), groups), key=lambda entry: entry.id)
    by_day = sorted(
        entries_of_days(db.session(), {(NIP_A, stored[0].local_date)}), key=lambda e: e.id
    )
    expected = [_as_orm_reads(entry) for entry in stored]
    assert [{name: getattr(row, name) for name in COMPARED} for row in by_group] == expected
    assert [{name: getattr(row, name) for name in COMPARED} for row in by_day] == expected
    assert [str(row.jp) for row in by_group] == ["2.00", "3.00"]
    assert all(not row.changed for row in by_group), "reading is not changing"


def test_written_changes_reach_the_table_and_the_session_s_own_copies(
    xapi: XAPIClient, app_context: Flask
) -> None:
    stored = _posted_entries(xapi)
    held = stored[0]  # an ORM copy the session keeps, as an auditor's decision does
    with unit_of_work() as session:
        [row] = entries_of_groups(session, [(held.subject_key, held.activity_key, held.rule_id)])
        row.jp = row.jp  # the same value: no change
        assert row.changed == set()
        row.jp = Decimal("1.25")
        row.status = "unmatched"
        assert row.changed == {"jp", "status"}
        write_changes(session, [row])
        assert row.changed == set()
        assert (held.jp, held.status) == (Decimal("1.25"), "unmatched"), "the copy reloads"
    db.session.expire_all()
    assert db.session.get(CreditEntry, held.id).jp == Decimal("1.25")  # type: ignore[union-attr]


def test_only_changed_columns_are_written_so_a_decision_made_meanwhile_survives(
    xapi: XAPIClient, app_context: Flask
) -> None:
    stored = _posted_entries(xapi)
    with unit_of_work() as session:
        [row] = entries_of_groups(
            session, [(stored[0].subject_key, stored[0].activity_key, stored[0].rule_id)]
        )
        # An auditor verifies the entry after the rebuild read it (as a concurrent
        # transaction would, once its row lock is released).
        session.execute(
            update(CreditEntry).where(CreditEntry.id == row.id).values(status="verified")
        )
        row.jp = Decimal("0.50")
        write_changes(session, [row])
    db.session.expire_all()
    entry = db.session.get(CreditEntry, row.id)
    assert entry is not None
    assert (entry.jp, entry.status) == (Decimal("0.50"), "verified")


def test_the_ledger_never_writes_an_auditor_s_decision_back(
    xapi: XAPIClient, app_context: Flask
) -> None:
    stored = _posted_entries(xapi)
    [row] = entries_of_groups(
        db.session(), [(stored[0].subject_key, stored[0].activity_key, stored[0].rule_id)]
    )
    row.decided_by = "someone"
    with pytest.raises(ValueError, match="decided_by"):
        write_changes(db.session(), [row])


def _empty_all_but_clients() -> None:
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            if table.name != "clients":
                connection.execute(table.delete())


def _ledger_as_stored() -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        (
            entry.statement_ids,
            entry.jp_raw,
            entry.jp,
            entry.occurred_at,
            entry.local_date,
            entry.status,
            entry.explanation,
            sorted((e.statement_id, e.jp, e.occurred_at, e.voided) for e in evidence),
        )
        for entry in db.session.scalars(select(CreditEntry).order_by(CreditEntry.activity_id))
        for evidence in [
            db.session.scalars(
                select(CreditEvidence).where(CreditEvidence.activity_key == entry.activity_key)
            ).all()
        ]
    ]


def test_a_few_rows_and_many_rows_are_stored_alike(
    xapi: XAPIClient, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL inserts a few rows with INSERT and many with COPY: the values agree."""
    statements = [
        completion(module=module, minutes=45 + module, timestamp=f"2025-03-{module:02}T02:30:00Z")
        for module in range(1, SMALL_INSERT_ROWS + 6)
    ]
    seen: list[list[tuple[Any, ...]]] = []
    for few_rows_at_a_time in (True, False):
        _empty_all_but_clients()
        monkeypatch.setattr(
            bulk, "SMALL_INSERT_ROWS", SMALL_INSERT_ROWS if few_rows_at_a_time else 0
        )
        if few_rows_at_a_time:
            for statement in statements:  # a row or two per request
                assert xapi.post_statements(statement).status_code == 200
        else:  # one request: more rows than SMALL_INSERT_ROWS, and every insert as COPY
            assert xapi.post_statements(statements).status_code == 200
        seen.append(_ledger_as_stored())
    assert len(seen[0]) == len(statements) == SMALL_INSERT_ROWS + 5
    assert seen[0] == seen[1]
