"""Auditors' decisions and identity mappings are written to the audit trail."""

from __future__ import annotations

from typing import Any

from lms_bridge.audit.trail import history, verify_chain
from lms_bridge.db import db
from lms_bridge.people.identity import import_actor_mappings
from tests.blueprints.api.conftest import ApiClient, post
from tests.conftest import XAPIClient
from tests.people import add_people, person_row
from tests.statements import NIP_A, completion


def pending_ids(auditor: ApiClient) -> list[int]:
    body: dict[str, Any] = auditor.get("/credit/pending").get_json()
    return [entry["id"] for entry in body["entries"]]


def test_each_decision_is_recorded_with_before_after_and_reason(
    xapi: XAPIClient, auditor: ApiClient
) -> None:
    post(xapi, completion(minutes=90), completion(module=2, minutes=90))
    first, second = pending_ids(auditor)
    assert auditor.post(f"/credit/entries/{first}/verify", json={}).status_code == 200
    rejected = auditor.post(f"/credit/entries/{second}/reject", json={"reason": "Tidak hadir"})
    assert rejected.status_code == 200
    corrected = auditor.post(
        f"/credit/entries/{second}/correct", json={"jp": 1.5, "reason": "Durasi dikoreksi"}
    )
    assert corrected.status_code == 200

    [verify] = history(db.session, "credit_entry", str(first))
    assert (verify.actor, verify.action) == ("Auditor BPSDM Lampung", "credit.verify")
    assert verify.before is not None
    assert verify.after is not None
    assert (verify.before["status"], verify.after["status"]) == ("pending", "verified")
    reject, correct = history(db.session, "credit_entry", str(second))
    assert (reject.action, reject.reason) == ("credit.reject", "Tidak hadir")
    assert correct.action == "credit.correct"
    assert correct.after is not None
    assert correct.after["jp_corrected"] == "1.50"
    assert verify_chain(db.session).ok


def test_an_identity_mapping_is_recorded(xapi: XAPIClient) -> None:
    add_people(person_row(NIP_A, "Siti Aminah"))
    import_actor_mappings(
        [{"homePage": "https://lms.example.id", "account_name": "77", "nip": NIP_A}],
        actor="auditor@bpsdm.id",
    )
    events = [e for e in verify_chain_events() if e.action == "identity.map"]
    assert len(events) == 1
    assert events[0].actor == "auditor@bpsdm.id"
    assert events[0].after == {"nip": NIP_A, "source": "csv"}


def verify_chain_events() -> list[Any]:
    from lms_bridge.models import AuditEvent  # noqa: PLC0415

    return list(db.session.query(AuditEvent).order_by(AuditEvent.seq))
