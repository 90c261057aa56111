"""The webhooks page: subscriptions, a failure with the receiver's answer, "retry now"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms_bridge.audit.trail import history
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import WebhookDelivery
from lms_bridge.programs import add_subscription
from lms_bridge.programs.delivery import deliver_once
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.cohorts import latsar_cohort, nips
from tests.conftest import create_moodle_client, moodle_headers
from tests.lms_bridge.programs.receiver import Receiver, free_port, receiving
from tests.statements import asn, module_statement

SECRET_KEY = "test-secret-key"


def one_delivery(pages: PageClient, url: str) -> int:
    """A cohort, a subscriber at ``url`` and one progress event queued for it."""
    [nip] = nips(1)
    with pages.app.app_context():
        cohort_id, _ = latsar_cohort([nip])
        with unit_of_work() as session:
            add_subscription(session, url, cohort_id, secret_key=SECRET_KEY)
        create_moodle_client()
    response = pages.app.test_client().post(
        "/xapi/statements",
        json=[module_statement("bela-negara", actor=asn(nip))],
        headers=moodle_headers(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    with pages.app.app_context():
        [delivery_id] = db.session.scalars(select(WebhookDelivery.id))
        db.session.remove()
    return int(delivery_id)


def deliver(pages: PageClient) -> tuple[str, int]:
    with pages.app.app_context():
        deliver_once(secret_key=SECRET_KEY, max_attempts=1, backoff=timedelta(0))
        [delivery] = db.session.scalars(select(WebhookDelivery))
        found = (delivery.status, delivery.attempts)
        db.session.remove()
    return found


def test_a_failure_shows_the_receivers_answer_and_retry_now_sends_it_again(
    pages: PageClient,
) -> None:
    receiver = Receiver(free_port(), fail_first=1, failure_answer=b"<b>kuota penuh</b>")
    delivery_id = one_delivery(pages, receiver.url)
    pages.make_person("admin@bpsdm.id", "admin")
    pages.sign_in("admin@bpsdm.id")
    with receiving(receiver):
        assert deliver(pages) == ("failed", 1)
        html = pages.get("/admin/webhooks", query_string={"status": "failed"}).get_data(
            as_text=True
        )
        assert "HTTP 500: &lt;b&gt;kuota penuh&lt;/b&gt;" in html
        assert receiver.url in html
        retried = pages.post_form(f"/admin/webhooks/deliveries/{delivery_id}/retry", {})
        assert retried.status_code == 302
        assert deliver(pages) == ("delivered", 2)
    assert len(receiver.accepted) == 1
    again = pages.post_form(f"/admin/webhooks/deliveries/{delivery_id}/retry", {})
    assert again.status_code == 302
    assert deliver(pages) == ("delivered", 2)
    with pages.app.app_context():
        [event] = history(db.session(), "webhook_delivery", str(delivery_id))
        assert (event.actor, event.before) == (
            "admin@bpsdm.id",
            {"status": "failed", "attempts": 1},
        )
        db.session.remove()
    assert pages.post_form("/admin/webhooks/deliveries/999999/retry", {}).status_code == 404
    assert pages.get("/admin/webhooks", query_string={"status": "nope"}).status_code == 400


def test_only_admins_see_the_webhooks(pages: PageClient) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert pages.get("/admin/webhooks").status_code == 403
    assert pages.post_form("/admin/webhooks/deliveries/1/retry", {}).status_code == 403
