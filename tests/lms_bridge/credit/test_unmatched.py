"""Parked credit made visible per LMS client, and mapping an actor moving it to a person."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask

from lms_bridge.audit.trail import history
from lms_bridge.credit import current_policy
from lms_bridge.credit.reports import person_credit
from lms_bridge.credit.unmatched import (
    MappingRefused,
    map_unmatched_actor,
    search_directory,
    unmatched_actors,
)
from lms_bridge.db import db
from lms_bridge.models import ActorMapping
from lms_bridge.people import import_people
from tests.conftest import XAPIClient
from tests.lms_bridge.credit.test_queue import LAMPUNG, METRO, person, post
from tests.statements import NIP_A, NIP_B, asn, completion, moodle_user, void


@pytest.fixture
def parked(xapi: XAPIClient) -> None:
    """Moodle user 42 earned 8 JP (two 3-hour modules) that nobody can be given yet."""
    import_people(
        [
            person(NIP_A, "Siti Aminah", LAMPUNG, "Dinas Pendidikan"),
            person(NIP_B, "Budi Santoso", METRO, "Sekretariat Daerah"),
        ]
    )
    post(
        xapi,
        completion(
            actor=moodle_user("42"), module=1, minutes=180, timestamp="2025-03-03T02:00:00Z"
        ),
        completion(
            actor=moodle_user("42"), module=2, minutes=180, timestamp="2025-03-04T02:00:00Z"
        ),
        completion(
            actor=moodle_user("42"), module=2, minutes=180, timestamp="2025-03-04T03:00:00Z"
        ),
        completion(actor=asn(NIP_A), module=3, minutes=90),
    )


def test_parked_credit_is_listed_by_lms_with_statements_and_jp(parked: None) -> None:
    [actor] = unmatched_actors(db.session())
    assert actor.client_name == "Moodle BPSDM test"
    assert (actor.statements, actor.entries, actor.jp) == (3, 2, Decimal("8.00"))
    assert "User 42" in actor.label
    assert "42 @ https://lms.bpsdm.example.go.id" in actor.label


def test_a_voided_statement_no_longer_counts_as_parked(xapi: XAPIClient, parked: None) -> None:
    statement = completion(actor=moodle_user("7"), minutes=90)
    post(xapi, statement)
    assert len(unmatched_actors(db.session())) == 2
    post(xapi, void(statement["id"]))
    assert len(unmatched_actors(db.session())) == 1


def test_directory_search_by_name_or_nip_within_the_readers_agencies(parked: None) -> None:
    assert [p.nip for p in search_directory(db.session(), "siti", agencies=[LAMPUNG])] == [NIP_A]
    assert [p.nip for p in search_directory(db.session(), NIP_A[:8], agencies=None)] == [NIP_A]
    assert search_directory(db.session(), "siti", agencies=[METRO]) == []
    assert search_directory(db.session(), "%", agencies=None) == []
    assert search_directory(db.session(), "  ", agencies=None) == []


def test_mapping_moves_the_credit_at_once_and_is_audited(app_context: Flask, parked: None) -> None:
    [actor] = unmatched_actors(db.session())
    before = person_credit(db.session(), current_policy(), NIP_A, 2025).total_jp
    mapped = map_unmatched_actor(
        current_policy(), actor.actor_key, NIP_A, mapped_by="auditor", agencies=[LAMPUNG]
    )
    assert (mapped.nip, mapped.entries, mapped.jp) == (NIP_A, 2, Decimal("8.00"))
    assert person_credit(db.session(), current_policy(), NIP_A, 2025).total_jp == before + Decimal(
        8
    )
    assert unmatched_actors(db.session()) == []
    mapping = db.session.query(ActorMapping).one()
    assert (mapping.nip, mapping.source) == (NIP_A, "page")
    [event] = history(db.session, "actor", mapped.identity)
    assert (event.actor, event.action) == ("auditor", "identity.map")
    assert event.after == {"nip": NIP_A, "source": "page"}


def test_mapping_is_refused_outside_the_readers_agencies_or_when_nothing_is_parked(
    app_context: Flask, parked: None
) -> None:
    [actor] = unmatched_actors(db.session())
    for key, nip, agencies in (
        (actor.actor_key, NIP_B, [LAMPUNG]),
        (actor.actor_key, "199912312020121001", None),
        ("account:https://nowhere.example 1", NIP_A, None),
    ):
        with pytest.raises(MappingRefused):
            map_unmatched_actor(current_policy(), key, nip, mapped_by="a", agencies=agencies)
    assert db.session.query(ActorMapping).count() == 0
    assert len(unmatched_actors(db.session())) == 1
