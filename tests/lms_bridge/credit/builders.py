"""Statements shaped like what LMSs send, for credit tests."""

from __future__ import annotations

import uuid
from typing import Any

SIASN = "https://siasn.bkn.go.id"
MOODLE = "https://lms.bpsdm.example.go.id"
NIP_A = "198503302010121002"
NIP_B = "199001012015032001"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
VIEWED = "http://id.tincanapi.com/verb/viewed"
MODULE = "http://adlnet.gov/expapi/activities/module"
MEETING = "http://adlnet.gov/expapi/activities/meeting"


def asn(nip: str = NIP_A) -> dict[str, Any]:
    """An ASN whose account name is their NIP under SIASN's home page."""
    return {"objectType": "Agent", "account": {"homePage": SIASN, "name": nip}}


def moodle_user(user_id: str) -> dict[str, Any]:
    """A Moodle account (user id, not a NIP): needs an identity mapping."""
    return {
        "objectType": "Agent",
        "name": f"User {user_id}",
        "account": {"homePage": MOODLE, "name": user_id},
    }


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
    """A module completed (by default 90 minutes, 09:00 WIB on 10 March 2025)."""
    statement: dict[str, Any] = {
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
        statement["result"] = {"completion": True, "duration": f"PT{minutes}M"}
    return statement


def void(target_id: str) -> dict[str, Any]:
    """A voiding statement."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@bpsdm.example.go.id"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": target_id},
    }
