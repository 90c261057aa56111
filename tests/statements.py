"""The suite's one set of statement and actor builders: small, valid, and shaped like what
LMSs send (Moodle's xAPI plugin above all), so a test states only what it is about."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

# Home pages. Two Moodles: accounts under MOODLE_HOME are what the LRS tests store, MOODLE
# is the LMS the credit and programs tests hear from; SIASN names accounts by NIP.
MOODLE_HOME = "https://lms.bpsdm.lampungprov.go.id"
MOODLE = "https://lms.bpsdm.example.go.id"
SIASN = "https://siasn.bkn.go.id"

NIP_A = "198503302010121002"
NIP_B = "199001012015032001"

COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
FAILED = "http://adlnet.gov/expapi/verbs/failed"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
VIEWED = "http://id.tincanapi.com/verb/viewed"
MODULE = "http://adlnet.gov/expapi/activities/module"
MEETING = "http://adlnet.gov/expapi/activities/meeting"
CERTIFICATE = "http://id.tincanapi.com/attachment/certificate-of-completion"

# --- Actors ---------------------------------------------------------------------------------


def agent(name: str = NIP_A) -> dict[str, Any]:
    """An ASN as Moodle identifies them: an account whose name is the NIP."""
    return {
        "objectType": "Agent",
        "name": f"ASN {name}",
        "account": {"homePage": MOODLE_HOME, "name": name},
    }


def asn(nip: str = NIP_A) -> dict[str, Any]:
    """An ASN whose account name is their NIP under SIASN's home page (resolves without a
    mapping)."""
    return {"objectType": "Agent", "account": {"homePage": SIASN, "name": nip}}


def moodle_user(user_id: str) -> dict[str, Any]:
    """A Moodle account (user id, not a NIP): needs an identity mapping."""
    return {
        "objectType": "Agent",
        "name": f"User {user_id}",
        "account": {"homePage": MOODLE, "name": user_id},
    }


def plugin_user(user_id: int) -> dict[str, Any]:
    """A Moodle account exactly as the Moodle xAPI plugin sends it: no objectType, the
    participant's name."""
    return {"name": f"Peserta {user_id}", "account": {"homePage": MOODLE, "name": str(user_id)}}


# --- Statements -----------------------------------------------------------------------------


def statement(
    *,
    actor: dict[str, Any] | None = None,
    verb: str = COMPLETED,
    activity: str = f"{MOODLE_HOME}/mod/scorm/view.php?id=12",
    statement_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A completed-module statement; keyword arguments add or replace top-level properties."""
    built: dict[str, Any] = {
        "actor": actor or agent(),
        "verb": {"id": verb, "display": {"en": "completed", "id-ID": "menyelesaikan"}},
        "object": {
            "objectType": "Activity",
            "id": activity,
            "definition": {
                "name": {"en": "Core values BerAKHLAK", "id-ID": "Nilai dasar BerAKHLAK"},
                "type": MODULE,
            },
        },
    }
    if statement_id:
        built["id"] = statement_id
    built.update(extra)
    return built


def completion(
    *,
    actor: dict[str, Any] | None = None,
    module: int = 1,
    minutes: int | None = 90,
    timestamp: str = "2025-03-10T02:00:00Z",
    verb: str = COMPLETED,
    activity_type: str = MODULE,
    statement_id: str | None = None,
) -> dict[str, Any]:
    """A module completed, as credit reads it (by default 90 minutes, 09:00 WIB on 10 March
    2025, by the ASN of NIP_A)."""
    built: dict[str, Any] = {
        "id": statement_id or str(uuid.uuid4()),
        "actor": actor or asn(),
        "verb": {"id": verb, "display": {"en": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"{MOODLE}/mod/scorm/view.php?id={module}",
            "definition": {"type": activity_type, "name": {"id-ID": f"Modul {module}"}},
        },
        "timestamp": timestamp,
    }
    if minutes is not None:
        built["result"] = {"completion": True, "duration": f"PT{minutes}M"}
    return built


def void(target_id: str, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement voiding ``target_id``, by default from the LMS's administrator (by e-mail)."""
    return {
        "id": str(uuid.uuid4()),
        "actor": actor or {"objectType": "Agent", "mbox": "mailto:admin@bpsdm.example.go.id"},
        "verb": {"id": VOIDED, "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": target_id},
    }


def attachment(content: bytes, **properties: Any) -> dict[str, Any]:
    """A statement's attachment for ``content``: a certificate of completion in plain text
    unless ``properties`` replace some of that."""
    return {
        "usageType": CERTIFICATE,
        "display": {"id-ID": "Sertifikat"},
        "contentType": "text/plain",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **properties,
    }


# --- Latsar CPNS module statements ----------------------------------------------------------

LATSAR = f"{MOODLE}/program/latsar-cpns"
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
"""The shipped Latsar CPNS template's modules and how each is delivered."""
IN_COHORT = "2026-03-10T02:00:00Z"


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
        "definition": {"type": SESSION_TYPES.get(mode, MODULE), "name": {"id-ID": module}},
    }
    context: dict[str, Any] = {
        "contextActivities": {
            "category": [{"objectType": "Activity", "id": MOODLE}],
            "parent": [{"objectType": "Activity", "id": f"{MOODLE}/course/view.php?id=7"}],
        }
    }
    if as_parent:
        obj = {
            "objectType": "Activity",
            "id": f"{MOODLE}/mod/quiz/attempt.php?attempt={uuid.uuid4().int % 10000}&cmid=1",
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
    built: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1].capitalize()}},
        "object": obj,
        "context": context,
        "timestamp": timestamp,
    }
    if result:
        built["result"] = result
    return built


def passing_statements(nip: str, *, score: float = 85) -> list[dict[str, Any]]:
    """Everything a participant needs to pass Latsar CPNS (one statement per module)."""
    statements = []
    for module, mode in MODES.items():
        verb = ATTENDED if mode in SESSION_TYPES else COMPLETED
        scored = module in ("evaluasi-akademik", "seminar-aktualisasi", "klasikal")
        statements.append(
            module_statement(
                module,
                actor=asn(nip),
                verb=verb,
                raw=score if scored else None,
                success=True if scored else None,
            )
        )
    return statements


# --- The ADL conformance suite's attachment statement ---------------------------------------


def suite_attachment(data: bytes, **properties: Any) -> dict[str, Any]:
    """The attachment of the conformance suite's multipart tests, for ``data``."""
    return attachment(
        data,
        usageType="http://example.com/attachment-usage/test",
        display={"en-US": "A test attachment"},
        **properties,
    )


def suite_statement(*attachments: dict[str, Any]) -> dict[str, Any]:
    """The statement the conformance suite's multipart tests send, with ``attachments``."""
    return {
        "actor": {"mbox": "mailto:sample.agent@example.com", "objectType": "Agent"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": "http://www.example.com/tincan/activities/multipart"},
        "attachments": list(attachments),
    }
