"""The ``deliver`` worker: drain the outbox, sign, post, retry with back-off.

Claiming is a short transaction that leases due deliveries (``next_attempt_at`` moves past
the send time, ``attempts`` goes up) with ``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL (on SQLite the unit of work's write lock serialises claims), so several workers
never hold the same delivery at once; the HTTP call happens outside any transaction, and a
second short transaction records the outcome. A worker that dies mid-send loses only its
lease: the delivery is retried after it expires. Receivers deduplicate on
``X-LMS-Bridge-Delivery`` (the event id), which is what makes at-least-once sending
exactly-once processing.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from lms_bridge.db import unit_of_work, utcnow
from lms_bridge.models.programs import OutboxEvent, WebhookDelivery, WebhookSubscription
from lms_bridge.programs.errors import WebhookInvalid
from lms_bridge.programs.webhooks import decrypt_secret, signature
from lms_bridge.sql.driver import is_postgresql

LEASE = timedelta(seconds=120)
"""Longer than one send can take (timeout below), so a live worker never loses its claim."""
TIMEOUT_SECONDS = 10
ERROR_LENGTH = 500
ANSWER_LENGTH = 300
"""Bytes of a refusing receiver's answer kept with the delivery's error."""

MAX_DOUBLINGS = 16
"""The retry delay doubles at most this many times."""


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker holds the lease of."""

    delivery_id: int
    attempts: int
    url: str
    secret_encrypted: str
    event_id: str
    event_type: str
    payload: dict[str, Any]


@dataclass
class DeliveryRun:
    """What one pass of the worker did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


Post = Callable[[str, bytes, dict[str, str]], None]
"""Sends one request; raises on anything but a 2xx answer."""


def post_with_urllib(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST with the standard library (no runtime dependency for one request)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (operators configure http(s) URLs; add_subscription refuses other schemes)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        response.read()


def claim(limit: int, now: datetime) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries (own transaction)."""
    with unit_of_work() as session:
        query = (
            select(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
        if is_postgresql(session):
            query = query.with_for_update(skip_locked=True)
        deliveries = list(session.scalars(query))
        if not deliveries:
            return []
        rows = session.execute(
            select(WebhookDelivery.id, WebhookSubscription, OutboxEvent)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.id.in_([d.id for d in deliveries]))
        ).all()
        parts = {delivery_id: (sub, event) for delivery_id, sub, event in rows}
        claimed = []
        for delivery in deliveries:
            delivery.attempts += 1
            delivery.next_attempt_at = now + LEASE
            subscription, event = parts[delivery.id]
            claimed.append(
                Claimed(
                    delivery.id,
                    delivery.attempts,
                    subscription.url,
                    subscription.secret_encrypted,
                    event.event_id,
                    event.event_type,
                    event.payload,
                )
            )
        return claimed


def _answer_of(error: urllib.error.HTTPError) -> str:
    """The start of what the receiver answered, so an operator can see why it refused."""
    try:
        text = error.read(ANSWER_LENGTH).decode("utf-8", "replace").strip()
    except (OSError, ValueError):
        return ""
    return f": {text}" if text else ""


def _send(item: Claimed, secret_key: str, post: Post) -> str | None:
    """Sign and post one delivery; the error text when it failed."""
    try:
        secret = decrypt_secret(item.secret_encrypted, secret_key)
    except WebhookInvalid as error:
        return str(error)
    body = json.dumps(item.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "lms-bridge-webhooks/1",
        "X-LMS-Bridge-Event": item.event_type,
        "X-LMS-Bridge-Delivery": item.event_id,
        "X-LMS-Bridge-Timestamp": timestamp,
        "X-LMS-Bridge-Signature": signature(secret, timestamp, body),
    }
    try:
        post(item.url, body, headers)
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}{_answer_of(error)}"[:ERROR_LENGTH]
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return f"{type(error).__name__}: {reason}"[:ERROR_LENGTH]
    return None


def deliver_once(
    *,
    secret_key: str,
    max_attempts: int = 8,
    backoff: timedelta = timedelta(seconds=30),
    limit: int = 50,
    post: Post = post_with_urllib,
) -> DeliveryRun:
    """One pass: claim what is due, send it, record each outcome."""
    run = DeliveryRun()
    for item in claim(limit, utcnow()):
        error = _send(item, secret_key, post)
        with unit_of_work() as session:
            delivery = session.get_one(WebhookDelivery, item.delivery_id)
            if error is None:
                delivery.status = "delivered"
                delivery.delivered_at = utcnow()
                delivery.last_error = None
                run.delivered += 1
                continue
            delivery.last_error = error
            run.errors.append(error)
            if item.attempts >= max_attempts:
                delivery.status = "failed"
                run.failed += 1
            else:
                # Doubling stops after 16 attempts: 2**16 backoffs is days already, and an
                # unbounded power overflows timedelta for a large --max-attempts.
                doublings = min(item.attempts - 1, MAX_DOUBLINGS)
                delivery.next_attempt_at = utcnow() + backoff * (2**doublings)
                run.retried += 1
    return run


@dataclass(frozen=True)
class DeliveryStatus:
    """A pending or failed delivery, for ``deliver --status``."""

    delivery_id: int
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    event_type: str
    event_id: str
    url: str


def delivery_status(session: Any) -> tuple[dict[str, int], list[DeliveryStatus]]:
    """Counts per status, and the deliveries not yet delivered (oldest first)."""
    counts = dict(
        session.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        ).all()
    )
    rows = session.execute(
        select(
            WebhookDelivery, OutboxEvent.event_type, OutboxEvent.event_id, WebhookSubscription.url
        )
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(WebhookDelivery.status.in_(("pending", "failed")))
        .order_by(WebhookDelivery.id)
    ).all()
    return counts, [
        DeliveryStatus(
            d.id, d.status, d.attempts, d.next_attempt_at, d.last_error, kind, event_id, url
        )
        for d, kind, event_id, url in rows
    ]
