"""Whatever order statements arrive in, however often they are re-sent, the ledger is the same."""

from __future__ import annotations

from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms_bridge.access import AuthenticatedClient
from lms_bridge.db import db, unit_of_work, utcnow
from lms_bridge.ingest import record_statements
from lms_bridge.models import Client, CreditEntry
from tests.conftest import empty_all_tables
from tests.statements import NIP_A, NIP_B, asn, completion, void

CLIENT = AuthenticatedClient(
    id=1,
    name="property test",
    scopes=frozenset({"all"}),
    authority={
        "objectType": "Agent",
        "account": {"homePage": "urn:lms-bridge:clients", "name": "p"},
    },
    authority_key="account:urn:lms-bridge:clients p",
)


def _statements() -> list[dict[str, Any]]:
    """A day over the cap, a completion sent as two statements, and two voids."""
    over_cap = [
        completion(actor=asn(NIP_A), module=m, minutes=200, timestamp=f"2025-05-05T0{m}:00:00Z")
        for m in (1, 2, 3)
    ]
    twice = [
        completion(actor=asn(NIP_B), module=7, minutes=90, timestamp="2025-05-06T01:00:00Z"),
        completion(actor=asn(NIP_B), module=7, minutes=135, timestamp="2025-05-06T03:00:00Z"),
    ]
    late_year = completion(actor=asn(NIP_B), module=8, minutes=60, timestamp="2025-12-31T16:59:00Z")
    voided = completion(actor=asn(NIP_A), module=4, minutes=90, timestamp="2025-05-05T09:00:00Z")
    return [*over_cap, *twice, late_year, voided, void(voided["id"]), void(twice[0]["id"])]


STATEMENTS = _statements()


def _ledger() -> list[tuple[Any, ...]]:
    """Every entry that holds credit, in full.

    Revoked entries are history: one exists only when credit was given before its
    statement was voided (a void that arrives first leaves nothing to revoke). They are
    left out of the comparison, and must hold no JP.
    """
    db.session.expire_all()
    everything = list(db.session.scalars(select(CreditEntry)))
    assert all(e.jp == 0 for e in everything if e.status == "revoked")
    return sorted(
        (
            e.subject_key,
            e.activity_id,
            e.rule_id,
            e.status,
            e.jp,
            e.jp_raw,
            tuple(e.statement_ids),
            e.local_date,
        )
        for e in everything
        if e.status != "revoked"
    )


def _replay(arrivals: list[dict[str, Any]], batch_sizes: list[int]) -> list[tuple[Any, ...]]:
    db.session.remove()
    empty_all_tables()
    with unit_of_work() as session:
        session.add(
            Client(
                id=1,
                name="p",
                key="p",
                secret_hash="-",
                scopes=["all"],
                authority=CLIENT.authority,
                created_at=utcnow(),
            )
        )
    position = 0
    sizes = iter(batch_sizes)
    while position < len(arrivals):
        size = next(sizes, len(arrivals))
        record_statements(arrivals[position : position + size], client=CLIENT, version="1.0.3")
        position += size
    return _ledger()


@st.composite
def arrival_orders(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[int]]:
    resent = draw(st.lists(st.sampled_from(STATEMENTS), max_size=6))
    arrivals = draw(st.permutations(STATEMENTS + resent))
    batch_sizes = draw(st.lists(st.integers(min_value=1, max_value=5), max_size=len(arrivals)))
    return arrivals, batch_sizes


def test_the_ledger_does_not_depend_on_order_duplication_or_batching(app_context: Flask) -> None:
    expected = _replay(STATEMENTS, [len(STATEMENTS)])
    assert [row[4] for row in expected if row[0] == f"nip:{NIP_A}" and row[3] == "pending"] == [
        4,
        4,
        1,
    ]

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(arrival_orders())
    def replay_matches(order: tuple[list[dict[str, Any]], list[int]]) -> None:
        arrivals, batch_sizes = order
        assert _replay(arrivals, batch_sizes) == expected

    replay_matches()
