"""The JP ledger, fed through the real statement resource, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.credit import (
    current_policy,
    ledger,
    nominal_jp_lookup,
    rematch_actors,
    rematch_email_actors,
)
from lms_bridge.credit.recompute import recompute_credit
from lms_bridge.db import db, unit_of_work, utcnow
from lms_bridge.models import CreditEntry
from lms_bridge.people import identity
from lms_bridge.people.directory import import_people
from lms_bridge.people.identity import import_actor_mappings
from lms_bridge.programs.modules import nominal_jp_of_every_module
from lms_bridge.sql.driver import DriverQuery, driver_rows
from tests.conftest import XAPIClient
from tests.people import person_row
from tests.statements import MOODLE, NIP_A, NIP_B, completion, moodle_user, void

SITI = {
    "nip": NIP_A,
    "name": "Siti Aminah",
    "agency": "BPSDM Provinsi Lampung",
    "unit": "Bidang PKM",
    "position": "",
    "email": "",
    "employment": "PNS",
}
"""NIP_A in the directory, as a mapping to her needs."""


def post(xapi: XAPIClient, *statements: dict[str, Any]) -> None:
    response = xapi.post_statements(list(statements))
    assert response.status_code == 200, response.get_json()


def entries(nip: str | None = NIP_A) -> list[CreditEntry]:
    db.session.expire_all()
    query = select(CreditEntry).order_by(CreditEntry.occurred_at, CreditEntry.activity_id)
    if nip is not None:
        query = query.where(CreditEntry.nip == nip)
    return list(db.session.scalars(query))


def counted_jp(nip: str = NIP_A) -> Decimal:
    return sum((e.jp for e in entries(nip) if e.status in ("pending", "verified")), Decimal(0))


def test_a_90_minute_elearning_completion_earns_2_jp_pending_verification(xapi: XAPIClient) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    [entry] = entries()
    assert entry.jp == Decimal(2)
    assert entry.status == "pending"
    assert (entry.form, entry.path) == ("e-learning", "nonklasikal")
    assert (entry.rule_id, entry.policy_version) == ("elearning-duration", "2025.1")
    assert entry.statement_ids == [statement["id"]]
    assert (
        entry.explanation == "90 min e-learning ÷ 45 = 2 JP, rule elearning-duration, policy 2025.1"
    )
    assert (entry.local_date, entry.year) == (date(2025, 3, 10), 2025)


def test_a_voided_statement_takes_its_credit_back(xapi: XAPIClient) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    post(xapi, void(statement["id"]))
    [entry] = entries()
    assert entry.status == "revoked"
    assert entry.jp == 0
    assert counted_jp() == 0


def test_a_statement_voided_before_it_arrives_earns_nothing(xapi: XAPIClient) -> None:
    statement = completion(minutes=90)
    post(xapi, void(statement["id"]))
    post(xapi, statement)
    assert counted_jp() == 0


def test_the_same_statement_sent_twice_credits_once(xapi: XAPIClient) -> None:
    statement = completion(minutes=90)
    post(xapi, statement)
    post(xapi, statement)
    [entry] = entries()
    assert entry.jp == Decimal(2)


def test_two_statements_for_the_same_completion_credit_once(xapi: XAPIClient) -> None:
    first = completion(minutes=90, timestamp="2025-03-10T02:00:00Z")
    second = completion(minutes=180, timestamp="2025-03-10T05:00:00Z")
    post(xapi, second)
    post(xapi, first)
    [entry] = entries()
    assert entry.jp == Decimal(2), "the earliest completion is the one credited"
    assert entry.statement_ids == sorted([first["id"], second["id"]])
    assert "2 statements, credited once" in entry.explanation


def test_voiding_the_credited_statement_falls_back_to_the_other_one(xapi: XAPIClient) -> None:
    first = completion(minutes=90, timestamp="2025-03-10T02:00:00Z")
    second = completion(minutes=180, timestamp="2025-03-10T05:00:00Z")
    post(xapi, first, second)
    post(xapi, void(first["id"]))
    [entry] = entries()
    assert entry.status == "pending"
    assert entry.jp == Decimal(4)
    assert entry.statement_ids == [second["id"]]


def test_a_day_over_the_cap_is_capped_in_the_order_things_happened(xapi: XAPIClient) -> None:
    hours = ["01", "03", "05"]
    post(
        xapi,
        *[
            completion(module=m, minutes=180, timestamp=f"2025-03-10T{h}:00:00Z")
            for m, h in zip((3, 1, 2), hours, strict=True)
        ],
    )
    day = entries()
    assert [e.jp_raw for e in day] == [Decimal(4)] * 3
    assert [e.jp for e in day] == [Decimal(4), Decimal(4), Decimal(1)]
    assert counted_jp() == Decimal(9)


def test_the_cap_is_settled_again_when_a_capped_day_loses_an_entry(xapi: XAPIClient) -> None:
    statements = [
        completion(module=m, minutes=180, timestamp=f"2025-03-10T0{m}:00:00Z") for m in (1, 2, 3)
    ]
    post(xapi, *statements)
    post(xapi, void(statements[0]["id"]))
    assert [e.jp for e in entries() if e.status == "pending"] == [Decimal(4), Decimal(4)]


def test_23_30_wib_on_31_december_counts_in_that_year(xapi: XAPIClient) -> None:
    post(xapi, completion(module=1, timestamp="2025-12-31T16:30:00Z"))  # 23:30 WIB
    post(xapi, completion(module=2, timestamp="2025-12-31T17:30:00Z"))  # 00:30 WIB, 1 Jan
    late, early = entries()
    assert (late.local_date, late.year) == (date(2025, 12, 31), 2025)
    assert (early.local_date, early.year) == (date(2026, 1, 1), 2026)


def test_an_unknown_actors_credit_is_parked_and_awarded_once_the_mapping_arrives(
    xapi: XAPIClient,
) -> None:
    post(xapi, completion(actor=moodle_user("42"), minutes=90))
    [parked] = entries(nip=None)
    assert (parked.status, parked.nip, parked.jp) == ("unmatched", None, 0)
    import_people([SITI])
    changed = import_actor_mappings([{"homePage": MOODLE, "account_name": "42", "nip": NIP_A}])
    rematch_actors(changed.actor_keys, current_policy())
    [entry] = entries()
    assert entry.status == "pending"
    assert entry.jp == Decimal(2)
    assert entries(nip=None) == [entry], "the parked entry became the person's, not a second one"


def test_recompute_keeps_auditors_decisions_and_reports_changes(
    xapi: XAPIClient, app_context: Flask
) -> None:
    post(xapi, completion(module=1, minutes=90), completion(module=2, minutes=135))
    with unit_of_work():
        verified = entries()[0]
        verified.status = "verified"
        verified.decided_by = "auditor@bpsdm"
        verified.decided_at = utcnow()
    policy = current_policy()
    report = recompute_credit(
        policy, nominal_jp_lookup(policy, nominal_jp_of_every_module(db.session()))
    )
    assert report.statements == 2
    assert (report.entries_added, report.entries_removed, report.entries_changed) == (0, 0, 0)
    assert report.jp_before == report.jp_after == Decimal(5)
    first, second = entries()
    assert (first.status, first.decided_by) == ("verified", "auditor@bpsdm")
    assert second.status == "pending"


def test_a_directory_change_moves_credit_of_an_email_identified_actor(xapi: XAPIClient) -> None:
    def person(nip: str, email: str) -> dict[str, str]:
        return person_row(
            nip, f"ASN {nip}", agency="BPSDM Provinsi Lampung", unit="PKM", email=email
        )

    import_people(
        [person(NIP_A, "siti@lampungprov.go.id"), person(NIP_B, "budi@lampungprov.go.id")]
    )
    post(xapi, completion(actor={"mbox": "mailto:siti@lampungprov.go.id"}, minutes=90))
    assert [e.jp for e in entries(NIP_A)] == [Decimal(2)]
    # the address was recorded against the wrong person and is corrected in the directory
    import_people(
        [person(NIP_A, "siti.a@lampungprov.go.id"), person(NIP_B, "siti@lampungprov.go.id")]
    )
    rematch_email_actors(current_policy())
    assert counted_jp(NIP_A) == 0
    assert [e.jp for e in entries(NIP_B)] == [Decimal(2)]


def test_recompute_under_a_lower_daily_cap_settles_every_day_again(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """Recompute re-settles days whose entries did not change: the policy's caps may have."""
    post(
        xapi,
        *[
            completion(module=m, minutes=180, timestamp=f"2025-03-10T0{m}:00:00Z")
            for m in (1, 2, 3)
        ],
    )
    assert [e.jp for e in entries()] == [Decimal(4), Decimal(4), Decimal(1)]
    lower = replace(current_policy(), daily_cap_jp=Decimal(6))  # same version: no entry changes
    recompute_credit(lower, nominal_jp_lookup(lower, nominal_jp_of_every_module(db.session())))
    assert [e.jp for e in entries()] == [Decimal(4), Decimal(2), Decimal(0)]


def test_a_repeat_that_changes_nothing_capped_leaves_its_day_alone(
    xapi: XAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later statement of a credited completion adds evidence only: its day is not read.

    An earlier one moves the entry in time, and then the day is settled again.
    """
    settled: list[set[tuple[str, date]]] = []
    settle_days = ledger.settle_days

    def recording_settle_days(session: Any, days: Any, *args: Any) -> None:
        settled.append(set(days))
        settle_days(session, days, *args)

    monkeypatch.setattr(ledger, "settle_days", recording_settle_days)
    post(xapi, completion(module=1, minutes=180, timestamp="2025-03-10T05:00:00Z"))
    post(xapi, completion(module=2, minutes=180, timestamp="2025-03-10T04:00:00Z"))
    post(xapi, completion(module=3, minutes=180, timestamp="2025-03-10T03:00:00Z"))
    day = (NIP_A, date(2025, 3, 10))
    assert settled == [{day}] * 3
    assert [e.jp for e in entries()] == [Decimal(4), Decimal(4), Decimal(1)]

    post(xapi, completion(module=3, minutes=90, timestamp="2025-03-10T06:00:00Z"))
    assert settled[3:] == [set()], "a repeat later in the day changes no cap"
    entry_3 = next(e for e in entries() if e.activity_id.endswith("id=3"))
    assert len(entry_3.statement_ids) == 2

    post(xapi, completion(module=1, minutes=90, timestamp="2025-03-10T01:00:00Z"))
    assert settled[4:] == [{day}], "an earlier completion moves the entry: the day is settled"
    assert [(e.activity_id[-4:], e.jp_raw, e.jp) for e in entries()] == [
        ("id=1", Decimal(2), Decimal(2)),
        ("id=3", Decimal(4), Decimal(4)),
        ("id=2", Decimal(4), Decimal(3)),
    ]


def test_a_single_statement_s_actor_mapping_comes_with_its_insert(
    xapi: XAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a credited statement's mapping read rides on its insert."""
    import_people([SITI])
    import_actor_mappings([{"homePage": MOODLE, "account_name": "42", "nip": NIP_A}])
    asked: list[Any] = []

    def record_driver_query(session: Any, query: DriverQuery, params: Any) -> Any:
        asked.append(query)
        return driver_rows(session, query, params)

    monkeypatch.setattr(identity, "driver_rows", record_driver_query)
    post(xapi, completion(actor=moodle_user("42"), minutes=90))
    post(xapi, completion(actor=moodle_user("43"), module=2, minutes=90))
    post(
        xapi,
        completion(actor=moodle_user("42"), module=3, minutes=45),
        completion(actor=moodle_user("42"), module=4, minutes=45),
    )

    assert sorted(e.jp for e in entries(NIP_A)) == [Decimal(1), Decimal(1), Decimal(2)]
    [parked] = [entry for entry in entries(nip=None) if entry.nip is None]
    assert (parked.status, parked.actor_key) == ("unmatched", "account:" + MOODLE + " 43")
    separate = asked.count(identity.MAPPED_ACTORS)
    if db.engine.dialect.name == "postgresql":
        assert separate == 1, "only the batch of two reads the mappings itself"
    else:
        assert separate == 3
