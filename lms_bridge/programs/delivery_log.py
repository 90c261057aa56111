"""The webhooks as an administrator reads them: subscriptions, deliveries, failures, retries.

The page only reads and marks; sending stays the ``deliver`` worker's job. "Retry now" makes
a delivery due at once (pending, next attempt now), so the next pass of any worker sends it
with the usual signing, lease and outcome bookkeeping; a failed delivery gets one more
attempt that way, and fails again at once if that attempt fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms_bridge.audit.trail import record_event
from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models.programs import OutboxEvent, WebhookDelivery, WebhookSubscription

SHOWN_DELIVERIES = 200
"""Newest deliveries listed on the page; the counts cover all of them."""


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with how its deliveries stand (never its secret)."""

    id: int
    url: str
    cohort_id: int | None
    active: bool
    created_at: datetime
    counts: dict[str, int]


@dataclass(frozen=True)
class DeliveryRow:
    """One event to one subscriber, with the receiver's answer when it refused."""

    id: int
    subscription_id: int
    url: str
    event_type: str
    event_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class WebhookLog:
    """What the webhooks page shows."""

    subscriptions: list[SubscriptionRow]
    deliveries: list[DeliveryRow]
    counts: dict[str, int]


class DeliveryNotFound(LookupError):
    """No delivery with this id."""


def webhook_log(session: Session, *, status: str | None = None) -> WebhookLog:
    """Every subscription and the newest deliveries (only ``status`` ones, when given)."""
    per_subscription: dict[int, dict[str, int]] = {}
    counts: dict[str, int] = {}
    for subscription_id, state, count in session.execute(
        select(WebhookDelivery.subscription_id, WebhookDelivery.status, func.count()).group_by(
            WebhookDelivery.subscription_id, WebhookDelivery.status
        )
    ):
        per_subscription.setdefault(subscription_id, {})[state] = count
        counts[state] = counts.get(state, 0) + count
    subscriptions = [
        SubscriptionRow(
            s.id, s.url, s.cohort_id, s.active, s.created_at, per_subscription.get(s.id, {})
        )
        for s in session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))
    ]
    query = (
        select(
            WebhookDelivery, OutboxEvent.event_type, OutboxEvent.event_id, WebhookSubscription.url
        )
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(SHOWN_DELIVERIES)
    )
    if status:
        query = query.where(WebhookDelivery.status == status)
    deliveries = [
        DeliveryRow(
            d.id,
            d.subscription_id,
            url,
            kind,
            event_id,
            d.status,
            d.attempts,
            d.next_attempt_at,
            d.delivered_at,
            d.last_error,
        )
        for d, kind, event_id, url in session.execute(query)
    ]
    return WebhookLog(subscriptions, deliveries, counts)


def retry_delivery(session: Session, delivery_id: int, *, actor: str) -> bool:
    """Make a pending or failed delivery due now; False when it was already delivered."""
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise DeliveryNotFound(delivery_id)
    if delivery.status == "delivered":
        return False
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    record_event(
        session,
        actor=actor,
        action="webhook.retry",
        subject_type="webhook_delivery",
        subject_id=str(delivery_id),
        before=before,
        after={"status": "pending"},
    )
    return True


def read_webhook_log(*, status: str | None = None) -> WebhookLog:
    """:func:`webhook_log` in a read-only unit of work (what the page calls)."""
    with unit_of_work(writes=False) as session:
        return webhook_log(session, status=status)


def retry_delivery_now(delivery_id: int, *, actor: str) -> bool:
    """:func:`retry_delivery` in its own unit of work (what the page calls)."""
    with unit_of_work() as session:
        return retry_delivery(session, delivery_id, actor=actor)
