"""The audit trail: append-only records, hash-chained so an edit or a deletion shows."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import text

from lms_bridge.audit import trail
from lms_bridge.audit.trail import GENESIS_HASH, history, record_event, verify_chain
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import AuditEvent


def append(count: int, subject_id: str = "7") -> None:
    for number in range(count):
        with unit_of_work() as session:
            record_event(
                session,
                actor="auditor@bpsdm.id",
                action="credit.verify",
                subject_type="credit_entry",
                subject_id=subject_id,
                before={"status": "pending", "jp": Decimal("1.5")},
                after={"status": "verified", "jp": Decimal("1.5"), "n": number},
                reason="Sertifikat diperiksa",
            )


def check() -> tuple[bool, int, int | None]:
    with unit_of_work(writes=False) as session:
        report = verify_chain(session)
    return report.ok, report.checked, report.first_broken


def test_records_link_into_one_chain_that_verifies(app_context: Flask) -> None:
    append(3)
    with unit_of_work() as session:
        record_event(
            session, actor="a", action="identity.map", subject_type="actor", subject_id="x"
        )
    assert check() == (True, 4, None)
    with unit_of_work(writes=False) as session:
        events = history(session, "credit_entry", "7")
        assert [event.seq for event in events] == [1, 2, 3]
        assert events[0].previous_hash == GENESIS_HASH
        assert events[1].previous_hash == events[0].hash
        assert events[0].before == {"status": "pending", "jp": "1.5"}
        assert events[2].reason == "Sertifikat diperiksa"
        assert history(session, "actor", "x")[0].action == "identity.map"


def test_record_event_only_flushes_so_a_rollback_leaves_no_record(app_context: Flask) -> None:
    def failing_use_case() -> None:
        with unit_of_work() as session:
            record_event(session, actor="a", action="x", subject_type="s", subject_id="1")
            raise RuntimeError("the use case failed after recording")

    with pytest.raises(RuntimeError):
        failing_use_case()
    append(1)
    assert check() == (True, 1, None)  # the next record is seq 1: no gap from the rollback


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_events SET reason = 'diubah' WHERE seq = 2",
        "UPDATE audit_events SET actor = 'someone-else' WHERE seq = 2",
        "UPDATE audit_events SET after = NULL WHERE seq = 2",
    ],
)
def test_a_record_changed_by_hand_is_detected(app_context: Flask, tamper: str) -> None:
    append(4)
    with db.engine.begin() as connection:
        connection.execute(text(tamper))
    assert check() == (False, 2, 2)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(app_context: Flask) -> None:
    """Someone who edits a record and recomputes its hash is caught by the record after it."""
    append(3)
    with unit_of_work() as session:
        event = session.query(AuditEvent).filter_by(seq=2).one()
        event.reason = "diubah"
        event.hash = trail._digest(event)
    assert check() == (False, 3, 3)


def test_a_deleted_record_is_detected(app_context: Flask) -> None:
    append(4)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    assert check() == (False, 2, 2)


def test_a_deleted_record_renumbered_is_still_detected(app_context: Flask) -> None:
    append(4)
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 2"))
        for seq in (3, 4):  # one row at a time: PostgreSQL checks uniqueness per row
            connection.execute(
                text("UPDATE audit_events SET seq = seq - 1 WHERE seq = :seq"), {"seq": seq}
            )
    assert check() == (False, 2, 2)


def test_concurrent_writers_never_fork_the_chain(app_context: Flask) -> None:
    app = app_context
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer() -> None:
        try:
            with app.app_context():
                start.wait()
                append(5)
                db.session.remove()
        except BaseException as error:  # the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert check() == (True, 20, None)
    with unit_of_work(writes=False) as session:
        hashes = [event.previous_hash for event in session.query(AuditEvent)]
    assert len(set(hashes)) == 20, "no two records link to the same predecessor"


def test_audit_verify_command_prints_one_line_and_fails_on_a_broken_chain(
    app_context: Flask,
) -> None:
    append(2)
    runner = app_context.test_cli_runner()
    intact = runner.invoke(args=["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "utuh" in intact.output
    assert "2 records" in intact.output
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET subject_id = '8' WHERE seq = 1"))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert "BROKEN at record 1" in broken.output
    assert len(broken.output.strip().splitlines()) == 1
