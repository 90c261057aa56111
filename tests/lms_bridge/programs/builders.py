"""Programs, cohorts and Moodle-shaped module statements, built through the real services."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from lms_bridge.db import unit_of_work
from lms_bridge.programs import (
    create_cohort,
    enroll_participants,
    import_program,
    load_template,
    shipped_templates,
)

LMS = "https://lms.bpsdm.example.go.id"
LATSAR = f"{LMS}/program/latsar-cpns"
SIASN = "https://siasn.bkn.go.id"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VIEWED = "http://id.tincanapi.com/verb/viewed"
SESSION_TYPES = {
    "distance": "urn:lms-bridge:activitytype:distance-session",
    "classical": "urn:lms-bridge:activitytype:classical-session",
}
MODES = {
    "mooc-pengantar": "elearning",
    "bela-negara": "elearning",
    "berakhlak": "elearning",
    "smart-asn": "elearning",
    "manajemen-asn": "elearning",
    "evaluasi-akademik": "elearning",
    "pjj-sinkron": "distance",
    "klasikal": "classical",
    "habituasi": "workplace",
    "seminar-aktualisasi": "workplace",
}
STARTS = date(2026, 3, 2)
ENDS = date(2026, 5, 15)
IN_COHORT = "2026-03-10T02:00:00Z"


def nips(count: int) -> list[str]:
    """Distinct valid NIPs (born 1995, CPNS appointed 2025-01, code 1 or 2)."""
    return [
        f"19950{1 + i % 9}{10 + i % 18:02d}20250{1 + i % 2}{1 + i % 2}{1 + i % 999:03d}"
        for i in range(count)
    ]


def latsar_cohort(participants: list[str], *, number: int = 1) -> tuple[int, dict[str, str]]:
    """A Latsar CPNS cohort with these participants; returns its id and NIP → registration."""
    template = load_template(next(p for p in shipped_templates() if p.stem == "latsar-cpns"))
    rows = [{"nip": nip, "name": f"Peserta {nip[-3:]}"} for nip in participants]
    with unit_of_work() as session:
        import_program(session, template)
        cohort = create_cohort(
            session,
            program_code="latsar-cpns",
            program_version=None,
            year=2026,
            number=number,
            name=f"Latsar CPNS Angkatan {number} Tahun 2026",
            starts_on=STARTS,
            ends_on=ENDS,
            organiser="BPSDM Provinsi Lampung",
        )
        enroll_participants(session, cohort.id, rows)
        cohort_id = cohort.id
    from lms_bridge.db import db  # noqa: PLC0415
    from lms_bridge.models import Enrollment  # noqa: PLC0415

    registrations = {
        e.nip: e.registration
        for e in db.session.query(Enrollment).filter(Enrollment.cohort_id == cohort_id)
    }
    return cohort_id, registrations


def siasn(nip: str) -> dict[str, Any]:
    """An actor whose account name is the NIP under SIASN (resolves without a mapping)."""
    return {"objectType": "Agent", "account": {"homePage": SIASN, "name": nip}}


def moodle_user(user_id: int) -> dict[str, Any]:
    """A Moodle account actor (user id, as the Moodle plugin sends it)."""
    return {"name": f"Peserta {user_id}", "account": {"homePage": LMS, "name": str(user_id)}}


def module_statement(
    module: str,
    *,
    actor: dict[str, Any],
    verb: str = COMPLETED,
    raw: float | None = None,
    success: bool | None = None,
    completion: bool | None = True,
    registration: str | None = None,
    timestamp: str = IN_COHORT,
    as_parent: bool = False,
) -> dict[str, Any]:
    """A Moodle-shaped statement about a module (or, ``as_parent``, an attempt within it)."""
    mode = MODES[module]
    activity = f"{LATSAR}/{module}"
    module_activity = {
        "objectType": "Activity",
        "id": activity,
        "definition": {
            "type": SESSION_TYPES.get(mode, "http://adlnet.gov/expapi/activities/module"),
            "name": {"id-ID": module},
        },
    }
    context: dict[str, Any] = {
        "contextActivities": {
            "category": [{"objectType": "Activity", "id": LMS}],
            "parent": [{"objectType": "Activity", "id": f"{LMS}/course/view.php?id=7"}],
        }
    }
    if as_parent:
        obj = {
            "objectType": "Activity",
            "id": f"{LMS}/mod/quiz/attempt.php?attempt={uuid.uuid4().int % 10000}&cmid=1",
            "definition": {"type": "http://adlnet.gov/expapi/activities/attempt"},
        }
        context["contextActivities"]["parent"].insert(0, module_activity)
    else:
        obj = module_activity
    if registration:
        context["registration"] = registration
    result: dict[str, Any] = {}
    if completion is not None:
        result["completion"] = completion
    if success is not None:
        result["success"] = success
    if raw is not None:
        # Moodle v5: scaled is mapped to -1..1; raw/min/max is what counts.
        result["score"] = {"raw": raw, "min": 0, "max": 100, "scaled": raw / 50 - 1}
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1].capitalize()}},
        "object": obj,
        "context": context,
        "timestamp": timestamp,
    }
    if result:
        statement["result"] = result
    return statement


def passing_statements(nip: str, *, score: float = 85) -> list[dict[str, Any]]:
    """Everything a participant needs to pass Latsar CPNS (one statement per module)."""
    statements = []
    for module, mode in MODES.items():
        verb = ATTENDED if mode in SESSION_TYPES else COMPLETED
        scored = module in ("evaluasi-akademik", "seminar-aktualisasi", "klasikal")
        statements.append(
            module_statement(
                module,
                actor=siasn(nip),
                verb=verb,
                raw=score if scored else None,
                success=True if scored else None,
            )
        )
    return statements


def void(target_id: str) -> dict[str, Any]:
    """A voiding statement from the LMS administrator."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@bpsdm.example.go.id"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": target_id},
    }
