"""Auditors' decisions as services: each status, reasons, bulk all-or-nothing, scope, audit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from lms_bridge.audit.trail import history
from lms_bridge.credit import current_policy, nominal_jp_lookup
from lms_bridge.credit.decisions import (
    DecisionInvalid,
    EntryNotDecidable,
    EntryNotFound,
    correct_credit,
    reject_credit,
    send_back_credit,
    verify_credit,
    verify_credits,
)
from lms_bridge.credit.recompute import recompute_credit
from lms_bridge.db import db
from lms_bridge.models import AuditEvent, CreditEntry
from lms_bridge.people import import_people
from lms_bridge.programs.modules import nominal_jp_of_every_module
from tests.conftest import XAPIClient
from tests.lms_bridge.credit.test_queue import LAMPUNG, METRO, person, post
from tests.statements import NIP_A, NIP_B, asn, completion, moodle_user


@pytest.fixture
def entry_ids(xapi: XAPIClient) -> list[int]:
    """Three pending entries of Siti (Lampung), one of Budi (Metro), one unmatched."""
    import_people(
        [
            person(NIP_A, "Siti Aminah", LAMPUNG, "Dinas Pendidikan"),
            person(NIP_B, "Budi Santoso", METRO, "Sekretariat Daerah"),
        ]
    )
    post(
        xapi,
        *(completion(module=m, minutes=90, timestamp=f"2025-03-0{m}T02:00:00Z") for m in (1, 2, 3)),
        completion(actor=asn(NIP_B), module=4, minutes=90),
        completion(actor=moodle_user("42"), module=5, minutes=90),
    )
    return list(db.session.scalars(select(CreditEntry.id).order_by(CreditEntry.activity_id)))


def entry(entry_id: int) -> CreditEntry:
    db.session.expire_all()
    found = db.session.get(CreditEntry, entry_id)
    assert found is not None
    return found


def events(entry_id: int) -> list[AuditEvent]:
    return history(db.session, "credit_entry", str(entry_id))


def test_verify_needs_no_reason_and_is_audited(entry_ids: list[int]) -> None:
    line = verify_credit(
        current_policy(), entry_ids[0], decided_by="auditor@bpsdm", agencies=[LAMPUNG]
    )
    assert (line.status, line.jp, line.decided_by) == ("verified", Decimal("2.00"), "auditor@bpsdm")
    [event] = events(entry_ids[0])
    assert (event.action, event.actor) == ("credit.verify", "auditor@bpsdm")
    assert event.before is not None
    assert event.after is not None
    assert (event.before["status"], event.after["status"]) == ("pending", "verified")


@pytest.mark.parametrize("decide", [reject_credit, send_back_credit])
def test_reject_and_revision_require_a_reason_in_indonesian(
    entry_ids: list[int], decide: Any
) -> None:
    with pytest.raises(DecisionInvalid) as refused:
        decide(current_policy(), entry_ids[0], decided_by="a", reason="   ")
    assert refused.value.message.startswith("alasan wajib diisi")
    assert entry(entry_ids[0]).status == "pending"
    assert events(entry_ids[0]) == []


def test_reject_stops_counting_with_its_reason(entry_ids: list[int]) -> None:
    line = reject_credit(
        current_policy(), entry_ids[0], decided_by="a", reason="Bukan kegiatan pengembangan"
    )
    assert (line.status, line.jp, line.decision_reason) == (
        "rejected",
        Decimal("0.00"),
        "Bukan kegiatan pengembangan",
    )
    assert events(entry_ids[0])[0].reason == "Bukan kegiatan pengembangan"


def test_correct_sets_jp_and_verifies(entry_ids: list[int]) -> None:
    line = correct_credit(
        current_policy(),
        entry_ids[0],
        jp=Decimal("1.5"),
        decided_by="a",
        reason="Sertifikat 1,5 JP",
    )
    assert (line.status, line.jp, line.jp_corrected) == (
        "verified",
        Decimal("1.50"),
        Decimal("1.5"),
    )
    [event] = events(entry_ids[0])
    assert event.before is not None
    assert event.after is not None
    assert (event.before["jp"], event.after["jp"]) == ("2.00", "1.50")


def test_revision_does_not_count_survives_a_rebuild_and_reopens_on_new_evidence(
    xapi: XAPIClient, entry_ids: list[int]
) -> None:
    line = send_back_credit(
        current_policy(), entry_ids[0], decided_by="a", reason="Lampirkan sertifikat"
    )
    assert (line.status, line.jp) == ("needs_revision", Decimal("0.00"))
    policy = current_policy()
    recompute_credit(policy, nominal_jp_lookup(policy, nominal_jp_of_every_module(db.session())))
    assert entry(entry_ids[0]).status == "needs_revision"
    # The same activity again, with more evidence: back in the queue.
    post(xapi, completion(module=1, minutes=90, timestamp="2025-03-01T05:00:00Z"))
    reopened = entry(entry_ids[0])
    assert (reopened.status, reopened.jp) == ("pending", Decimal("2.00"))
    assert reopened.decision_reason == "Lampirkan sertifikat"


def test_bulk_verify_is_all_or_nothing_and_audits_each(entry_ids: list[int]) -> None:
    siti = entry_ids[:3]
    with pytest.raises(EntryNotDecidable):
        verify_credits(current_policy(), [*siti[:2], entry_ids[4]], decided_by="a")
    assert [entry(i).status for i in siti] == ["pending"] * 3
    with pytest.raises(EntryNotFound):  # Budi is not Lampung's to decide
        verify_credits(current_policy(), [*siti, entry_ids[3]], decided_by="a", agencies=[LAMPUNG])
    assert [entry(i).status for i in siti] == ["pending"] * 3
    lines = verify_credits(current_policy(), siti, decided_by="a", agencies=[LAMPUNG])
    assert [line.status for line in lines] == ["verified"] * 3
    assert all(len(events(i)) == 1 for i in siti)
    with pytest.raises(DecisionInvalid):
        verify_credits(current_policy(), [], decided_by="a")
    with pytest.raises(DecisionInvalid):
        verify_credits(current_policy(), [siti[0], siti[0]], decided_by="a")


def test_an_entry_of_another_agency_is_not_found(entry_ids: list[int]) -> None:
    budi = entry_ids[3]
    for decide in (
        lambda: verify_credit(current_policy(), budi, decided_by="a", agencies=[LAMPUNG]),
        lambda: reject_credit(
            current_policy(), budi, decided_by="a", reason="x", agencies=[LAMPUNG]
        ),
        lambda: send_back_credit(
            current_policy(), budi, decided_by="a", reason="x", agencies=[LAMPUNG]
        ),
        lambda: correct_credit(
            current_policy(), budi, jp=Decimal(1), decided_by="a", reason="x", agencies=[]
        ),
    ):
        with pytest.raises(EntryNotFound):
            decide()
    assert entry(budi).status == "pending"


def test_the_database_refuses_an_unknown_status(entry_ids: list[int]) -> None:
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.execute(
            text("UPDATE credit_entries SET status = 'approved' WHERE id = :id"),
            {"id": entry_ids[0]},
        )
