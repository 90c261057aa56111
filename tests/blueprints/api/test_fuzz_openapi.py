"""Schemathesis drives every operation of the OpenAPI document in-process (WSGI).

It generates valid and invalid parameters and bodies from the document itself and checks
that no answer is a 5xx and that every answer conforms to the document (status, content type,
schema). Bounded by ``max_examples`` so the suite stays fast; a failure prints the request.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms_bridge.access import create_client
from lms_bridge.app import create_app
from lms_bridge.settings import Settings
from tests.conftest import HASH_METHOD, basic_auth

# Allow is asserted by tests/lms_bridge/test_hardening.py; schemathesis' probe of it flags
# /people/import, where werkzeug rightly lists GET and PUT too: they route to /people/<nip>.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
PEOPLE = (
    "nip,name,agency,unit,position,email,employment\n"
    "198503302010121002,Siti Aminah,BPSDM Provinsi Lampung,Bidang Diklat,,siti@example.go.id,PNS\n"
)


def _document() -> dict[str, Any]:
    """The document as the app serves it (it does not depend on the database)."""
    app = create_app(Settings(database_url="sqlite:///:memory:"))
    document: dict[str, Any] = app.test_client().get("/api/v1/openapi.json").get_json()
    return document


@pytest.fixture
def everything(app_context: Flask) -> dict[str, str]:
    """Credentials with every scope, and one person in the directory to find."""
    create_client("fuzz", key="fuzz", secret="fuzz-secret", scopes=["all"], hash_method=HASH_METHOD)
    headers = {"Authorization": basic_auth("fuzz", "fuzz-secret")}
    seeded = app_context.test_client().post(
        "/api/v1/people/import", data=PEOPLE, headers={**headers, "Content-Type": "text/csv"}
    )
    assert seeded.status_code == 200, seeded.get_data(as_text=True)
    return headers


schema = schemathesis.openapi.from_dict(_document())


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_5xx_or_off_its_document(
    case: Any, app_context: Flask, everything: dict[str, str]
) -> None:
    case.call_and_validate(app=app_context, headers=everything, checks=CHECKS)
