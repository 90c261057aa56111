"""Statement builders for tests: small, valid, and shaped like what Moodle sends."""

from __future__ import annotations

import uuid
from typing import Any

MOODLE_HOME = "https://lms.bpsdm.lampungprov.go.id"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def agent(name: str = "198503302010121002") -> dict[str, Any]:
    """An ASN as Moodle identifies them: an account whose name is the NIP."""
    return {
        "objectType": "Agent",
        "name": f"ASN {name}",
        "account": {"homePage": MOODLE_HOME, "name": name},
    }


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
                "type": "http://adlnet.gov/expapi/activities/module",
            },
        },
    }
    if statement_id:
        built["id"] = statement_id
    built.update(extra)
    return built


def voiding(target_id: str, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    """A statement that voids ``target_id``."""
    return {
        "id": str(uuid.uuid4()),
        "actor": actor or agent("admin"),
        "verb": {"id": VOIDED, "display": {"en": "voided"}},
        "object": {"objectType": "StatementRef", "id": target_id},
    }
