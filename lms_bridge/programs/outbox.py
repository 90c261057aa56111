"""The outbox: one event per transition, a delivery per webhook subscriber, and the xAPI
statement lms_bridge asserts when a participant completes or passes a program (fed back to
the LMS, lms_bridge.programs.delivery sends them)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lms_bridge.access import AuthenticatedClient
from lms_bridge.lrs.store import store_batch
from lms_bridge.models.programs import (
    Cohort,
    Enrollment,
    OutboxEvent,
    Program,
    WebhookDelivery,
    WebhookSubscription,
)
from xapi.fields import format_timestamp
from xapi.versions import VERSION_1

SIASN = "https://siasn.bkn.go.id"
SYSTEM_AUTHORITY: dict[str, object] = {
    "objectType": "Agent",
    "name": "lms_bridge",
    "account": {"homePage": "urn:lms-bridge:system", "name": "lms_bridge"},
}
COHORT_ACTIVITY_TYPE = "urn:lms-bridge:activitytype:program-cohort"
"""A type no JP rule credits: the derived statement reports the program, it earns nothing."""
DERIVED_NAMESPACE = uuid.UUID("6f1c2b0e-7d0a-4c55-9b43-2f9c1a8e5d11")
COMPLETED_VERB = "http://adlnet.gov/expapi/verbs/completed"
PASSED_VERB = "http://adlnet.gov/expapi/verbs/passed"


def queue_events(
    session: Session,
    events: list[tuple[str, Enrollment, Cohort, dict[str, Any], int | None]],
    programs: Mapping[int, Program],
    client: AuthenticatedClient,
    now: datetime,
) -> list[str]:
    """One outbox row per transition (``dedupe_key`` is unique), deliveries per subscriber."""
    if not events:
        return []
    keyed = {
        f"{kind}:{enrollment.id}:{module_id if module_id is not None else '-'}": (
            kind,
            enrollment,
            cohort,
            payload,
        )
        for kind, enrollment, cohort, payload, module_id in events
    }
    known = set(
        session.scalars(select(OutboxEvent.dedupe_key).where(OutboxEvent.dedupe_key.in_(keyed)))
    )
    fresh = [(key, value) for key, value in keyed.items() if key not in known]
    if not fresh:
        return []
    cohort_ids = {cohort.id for _, (_, _, cohort, _) in fresh}
    subscriptions = list(
        session.execute(
            select(WebhookSubscription.id, WebhookSubscription.cohort_id).where(
                WebhookSubscription.active.is_(True),
                or_(
                    WebhookSubscription.cohort_id.is_(None),
                    WebhookSubscription.cohort_id.in_(cohort_ids),
                ),
            )
        )
    )
    derived: list[dict[str, Any]] = []
    created: list[str] = []
    for key, (kind, enrollment, cohort, payload) in fresh:
        program = programs[cohort.program_id]
        event_id = str(uuid.uuid4())
        body = {
            "id": event_id,
            "type": kind,
            "occurred_at": format_timestamp(now),
            "program": {"code": program.code, "version": program.version},
            "cohort": {"id": cohort.id, "name": cohort.name, "activity_id": cohort.activity_id},
            "participant": {"nip": enrollment.nip, "registration": enrollment.registration},
            **payload,
        }
        event = OutboxEvent(
            event_id=event_id,
            event_type=kind,
            dedupe_key=key,
            cohort_id=cohort.id,
            enrollment_id=enrollment.id,
            payload=body,
            created_at=now,
        )
        session.add(event)
        session.flush()
        session.add_all(
            WebhookDelivery(
                event_id=event.id,
                subscription_id=subscription_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
            )
            for subscription_id, subscription_cohort in subscriptions
            if subscription_cohort in (None, cohort.id)
        )
        created.append(kind)
        if kind.startswith("program."):
            derived.append(_derived_statement(kind, enrollment, cohort, payload, now))
    if derived:
        system = AuthenticatedClient(
            id=client.id,
            name="lms_bridge",
            scopes=frozenset(),
            authority=SYSTEM_AUTHORITY,
            authority_key="account:urn:lms-bridge:system lms_bridge",
        )
        store_batch(session, derived, client=system, version=VERSION_1)
    return created


def _derived_statement(
    kind: str, enrollment: Enrollment, cohort: Cohort, payload: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The xAPI statement lms_bridge itself asserts when a participant completes or passes."""
    passed = kind == "program.passed"
    verb = PASSED_VERB if passed else COMPLETED_VERB
    result: dict[str, Any] = {"completion": True}
    if passed:
        result["success"] = True
    final = payload.get("final_score")
    if final is not None:
        result["score"] = {"raw": final, "min": 0, "max": 100, "scaled": round(final / 100, 4)}
    return {
        "id": str(uuid.uuid5(DERIVED_NAMESPACE, f"{enrollment.registration}:{kind}")),
        "actor": {
            "objectType": "Agent",
            "name": enrollment.name or enrollment.nip,
            "account": {"homePage": SIASN, "name": enrollment.nip},
        },
        "verb": {
            "id": verb,
            "display": {
                "id-ID": "lulus" if passed else "menyelesaikan",
                "en-US": "passed" if passed else "completed",
            },
        },
        "object": {
            "objectType": "Activity",
            "id": cohort.activity_id,
            "definition": {
                "type": COHORT_ACTIVITY_TYPE,
                "name": {"id-ID": cohort.name},
            },
        },
        "result": result,
        "context": {"registration": enrollment.registration},
        "timestamp": format_timestamp(now),
    }
