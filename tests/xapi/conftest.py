"""Fixtures for the tests of the pure-Python xAPI package: a complete valid statement and a
``rejected`` helper that asserts the 400 and returns the error for its path and reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from xapi.errors import InvalidStatement
from xapi.schemas import validate_statements
from xapi.versions import VERSION_1, XAPIVersion

FULL_STATEMENT: dict[str, Any] = {
    "id": "3f2d1c5e-9a7b-4c1d-8e2f-0a1b2c3d4e5f",
    "actor": {
        "objectType": "Agent",
        "name": "ASN 198503302010121002",
        "account": {"homePage": "https://lms.example.go.id", "name": "198503302010121002"},
    },
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en": "answered"}},
    "object": {
        "objectType": "Activity",
        "id": "https://lms.example.go.id/mod/quiz/attempt.php?attempt=1&cmid=7#q1",
        "definition": {
            "name": {"en": "Question 1", "id-ID": "Soal 1"},
            "description": {"en": ""},
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "moreInfo": "https://lms.example.go.id/mod/quiz/view.php?id=7",
            "interactionType": "choice",
            "correctResponsesPattern": ["a[,]c"],
            "choices": [
                {"id": "a", "description": {"en": "Integrity"}},
                {"id": "b", "description": {"en": "Loyalty"}},
                {"id": "c", "description": {"en": "Harmony"}},
            ],
            "extensions": {"https://lms.example.go.id/xapi/question-number": 1},
        },
    },
    "result": {
        "score": {"scaled": 0.5, "raw": 75, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "response": "a[,]c",
        "duration": "PT4M5.25S",
        "extensions": {"https://lms.example.go.id/xapi/attempt": None},
    },
    "context": {
        "registration": "58028332-2277-5b51-a632-7836992917ea",
        "instructor": {"mbox": "mailto:instructor@example.go.id"},
        "team": {
            "objectType": "Group",
            "name": "Batch 3",
            "member": [{"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}],
        },
        "contextActivities": {
            "parent": [{"id": "https://lms.example.go.id/mod/quiz/view.php?id=7"}],
            "grouping": {"id": "https://lms.example.go.id/course/view.php?id=2"},
            "category": [{"id": "https://lms.example.go.id", "objectType": "Activity"}],
        },
        "revision": "2",
        "platform": "Moodle",
        "language": "id-ID",
        "statement": {"objectType": "StatementRef", "id": "8f87ccde-bb56-4c2e-ab83-44982ef22df0"},
        "extensions": {"http://lrs.learninglocker.net/define/extensions/info": {"moodle": "4.5"}},
    },
    "timestamp": "2025-03-10T09:15:00.123+07:00",
    "attachments": [
        {
            "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
            "display": {"en": "Certificate"},
            "contentType": "application/pdf",
            "length": 20480,
            "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
            "fileUrl": "https://lms.example.go.id/certificates/1.pdf",
        }
    ],
}
"""Every property of a Statement, valid under both 1.0.3 and 2.0.0."""


@pytest.fixture
def statement() -> dict[str, Any]:
    """A fresh copy of FULL_STATEMENT that a test may change."""
    return copy.deepcopy(FULL_STATEMENT)


Rejected = Callable[..., InvalidStatement]


@pytest.fixture
def rejected() -> Rejected:
    """``rejected(payload, version)`` asserts a 400 InvalidStatement and returns it."""

    def check(payload: object, version: XAPIVersion = VERSION_1) -> InvalidStatement:
        with pytest.raises(InvalidStatement) as caught:
            validate_statements(payload, version)
        assert caught.value.status == 400
        assert caught.value.message == f"{caught.value.path}: {caught.value.reason}"
        return caught.value

    return check
