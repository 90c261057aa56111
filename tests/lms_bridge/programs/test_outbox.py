"""The outbox: one event per transition, written with the statements that caused it, sent
signed, retried with back-off, and never twice by two workers."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from lms_bridge.db import db, unit_of_work
from lms_bridge.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from lms_bridge.programs import add_subscription
from lms_bridge.programs.delivery import deliver_once
from tests.cohorts import latsar_cohort, nips
from tests.conftest import XAPIClient, count_rows
from tests.lms_bridge.programs.receiver import Receiver, free_port, receiving
from tests.statements import asn, module_statement, passing_statements, void

SECRET_KEY = "test-secret-key"


def _subscribe(url: str, cohort_id: int | None) -> str:
    with unit_of_work() as session:
        return add_subscription(session, url, cohort_id, secret_key=SECRET_KEY).secret


def _events() -> Counter[str]:
    return Counter(db.session.scalars(select(OutboxEvent.event_type)))


def test_each_transition_is_queued_once_however_often_it_is_reported(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    _subscribe("http://127.0.0.1:9/a", cohort_id)
    _subscribe("http://127.0.0.1:9/b", None)
    statements = passing_statements(nip)
    assert xapi.post_statements(statements).status_code == 200
    assert xapi.post_statements(passing_statements(nip)).status_code == 200
    bela = module_statement("bela-negara", actor=asn(nip))
    assert xapi.post_statements([bela]).status_code == 200
    assert xapi.post_statements([void(statements[1]["id"])]).status_code == 200
    events = _events()
    assert events == Counter(
        {
            "module.completed": 10,
            "module.passed": 3,
            "program.completed": 1,
            "program.passed": 1,
        }
    )
    assert count_rows(WebhookDelivery) == 2 * sum(events.values())


def test_the_secret_is_stored_encrypted_never_in_plain_text(app_context: Flask) -> None:
    secret = _subscribe("https://lms.bpsdm.example.go.id/webhook", None)
    stored = db.session.scalar(select(WebhookSubscription.secret_encrypted))
    assert secret.startswith("whsec_")
    assert stored
    assert secret not in stored


def test_a_receiver_down_then_failing_then_up_gets_every_event_exactly_once(
    xapi: XAPIClient, app_context: Flask
) -> None:
    participants = nips(2)
    cohort_id, _ = latsar_cohort(participants)
    receiver = Receiver(free_port(), fail_first=3)
    secret = _subscribe(receiver.url, cohort_id)
    for nip in participants:
        assert xapi.post_statements(passing_statements(nip)).status_code == 200
    expected = set(db.session.scalars(select(OutboxEvent.event_id)))
    down = deliver_once(secret_key=SECRET_KEY, backoff=timedelta(0))
    assert down.delivered == 0
    assert down.retried == len(expected)
    with receiving(receiver):
        for _ in range(6):
            deliver_once(secret_key=SECRET_KEY, backoff=timedelta(0))
    assert sorted(receiver.delivery_ids()) == sorted(expected)
    assert receiver.verified(secret)
    assert {d.status for d in db.session.scalars(select(WebhookDelivery))} == {"delivered"}
    first = receiver.accepted[0]
    assert first["headers"]["x-lms-bridge-event"] == first["body"]["type"]


def test_after_max_attempts_a_delivery_is_failed_with_its_last_error(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    _subscribe(f"http://127.0.0.1:{free_port()}/nobody", cohort_id)
    assert (
        xapi.post_statements([module_statement("bela-negara", actor=asn(nip))]).status_code == 200
    )
    for _ in range(3):
        deliver_once(secret_key=SECRET_KEY, max_attempts=2, backoff=timedelta(0))
    [delivery] = db.session.scalars(select(WebhookDelivery))
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.last_error
    status = app_context.test_cli_runner().invoke(args=["deliver", "--status"])
    assert "failed: 1" in status.output
    assert delivery.last_error in status.output


def test_two_workers_never_send_one_event_twice(xapi: XAPIClient, app_context: Flask) -> None:
    participants = nips(4)
    cohort_id, _ = latsar_cohort(participants)
    receiver = Receiver(free_port())
    _subscribe(receiver.url, cohort_id)
    for nip in participants:
        assert xapi.post_statements(passing_statements(nip)).status_code == 200
    total = count_rows(WebhookDelivery)
    db.session.remove()

    def work() -> None:
        with app_context.app_context():
            for _ in range(10):
                deliver_once(secret_key=SECRET_KEY, limit=5, backoff=timedelta(0))
            db.session.remove()

    with receiving(receiver):
        workers = [threading.Thread(target=work) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    ids = receiver.delivery_ids()
    assert len(ids) == total
    assert len(set(ids)) == total


def test_webhooks_add_prints_the_secret_once_and_needs_one_scope(app_context: Flask) -> None:
    runner = app_context.test_cli_runner()
    added = runner.invoke(args=["webhooks", "add", "--url", "https://lms.example.go.id/h", "--all"])
    assert added.exit_code == 0, added.output
    secret = added.output.split("signing secret): ")[1].split()[0]
    assert secret.startswith("whsec_")
    listed = runner.invoke(args=["webhooks", "list"])
    assert "https://lms.example.go.id/h" in listed.output
    assert secret not in listed.output
    neither = runner.invoke(args=["webhooks", "add", "--url", "https://lms.example.go.id/h"])
    assert neither.exit_code != 0
