"""What every /api/v1 endpoint promises: the gate, the error shape, 400 never 422, the document."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask import Flask

import blueprints.api.credit
from tests.blueprints.api.conftest import ApiClient
from tests.conftest import basic_auth
from tests.statements import NIP_A

DOC_ROUTES = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/static/<path:filename>"}


def test_missing_credentials_are_401_with_a_challenge(anonymous: ApiClient) -> None:
    response = anonymous.get(f"/people/{NIP_A}/credit")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert set(response.get_json()) == {"error", "detail"}


def test_a_wrong_secret_is_401(app_context: Flask, reader: ApiClient) -> None:
    wrong = ApiClient(app_context.test_client(), basic_auth("api-1", "not-the-secret"))
    response = wrong.get(f"/people/{NIP_A}/credit")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers


def test_authentication_comes_before_validation(anonymous: ApiClient) -> None:
    """An unauthenticated caller learns nothing about what a valid request looks like."""
    assert anonymous.get("/credit/pending", query_string={"limit": "many"}).status_code == 401


def test_missing_scope_is_403(api_as: Callable[..., ApiClient]) -> None:
    lms = api_as("statements/write")
    response = lms.get(f"/people/{NIP_A}/credit")
    assert response.status_code == 403
    body = response.get_json()
    assert body["error"] == "Forbidden"
    assert "credit/read" in body["detail"]
    keeper = api_as("people/write")
    assert keeper.get("/credit/pending").status_code == 403
    assert keeper.post("/credit/entries/1/verify", json={}).status_code == 403


def test_the_all_scope_grants_every_api_scope(api_as: Callable[..., ApiClient]) -> None:
    everything = api_as("all")
    assert everything.get("/credit/pending").status_code == 200
    assert everything.get("/people").status_code == 200
    assert everything.post("/credit/entries/1/verify", json={}).status_code == 404


def test_validation_error_is_400_not_422(reader: ApiClient) -> None:
    response = reader.get(f"/people/{NIP_A}/credit", query_string={"year": "tahun ini"})
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "ValidationError",
        "detail": "year: Not a valid integer.",
        "fields": {"year": ["Not a valid integer."]},
    }
    too_big = reader.get("/credit/pending", query_string={"limit": 5000})
    assert too_big.status_code == 400
    assert list(too_big.get_json()["fields"]) == ["limit"]


def test_a_body_that_is_not_json_or_has_unknown_fields_is_400(auditor: ApiClient) -> None:
    garbled = auditor.post(
        "/credit/entries/1/reject", data="{reason:", content_type="application/json"
    )
    assert garbled.status_code == 400
    assert garbled.get_json()["fields"] == {"body": ["Invalid JSON body."]}
    unknown = auditor.post("/credit/entries/1/reject", json={"reason": "x", "jp": 3})
    assert unknown.status_code == 400
    assert unknown.get_json()["fields"] == {"jp": ["Unknown field."]}


def test_an_unknown_api_path_is_a_json_404(reader: ApiClient) -> None:
    response = reader.get("/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "NotFound"


def test_an_unexpected_error_is_a_500_that_reveals_nothing(
    reader: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("password=hunter2 at db.internal")

    monkeypatch.setattr(blueprints.api.credit, "agency_summary", broken)
    response = reader.get("/agencies/X/summary")
    assert response.status_code == 500
    assert "hunter2" not in response.get_data(as_text=True)
    assert response.get_json()["error"] == "InternalServerError"


def test_openapi_document_lists_every_endpoint(app_context: Flask, anonymous: ApiClient) -> None:
    response = anonymous.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
        if method in ("get", "put", "post", "delete", "patch")
    }
    routed = set()
    for rule in app_context.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.rule in DOC_ROUTES:
            continue
        path = rule.rule.replace("<path:", "{").replace("<int:", "{").replace("<", "{")
        path = path.replace(">", "}")
        routed |= {
            (path, method) for method in rule.methods or () if method not in ("HEAD", "OPTIONS")
        }
    assert documented == routed
    assert {
        ("/api/v1/people/{nip}/credit", "GET"),
        ("/api/v1/agencies/{agency}/summary", "GET"),
        ("/api/v1/credit/pending", "GET"),
        ("/api/v1/credit/entries/{entry_id}/verify", "POST"),
        ("/api/v1/credit/entries/{entry_id}/reject", "POST"),
        ("/api/v1/credit/entries/{entry_id}/correct", "POST"),
        ("/api/v1/people", "GET"),
        ("/api/v1/people/{nip}", "GET"),
        ("/api/v1/people/{nip}", "PUT"),
        ("/api/v1/people/import", "POST"),
        ("/api/v1/identities/import", "POST"),
    } <= routed

    text = json.dumps(document)
    assert '"422"' not in text, "validation failures are documented as 400"
    assert document["components"]["securitySchemes"]["basicAuth"]["scheme"] == "basic"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation["x-scopes"], (path, method)
            assert operation["security"] == [{"basicAuth": []}]
            assert "401" in operation["responses"], (path, method)


def test_the_cli_creates_a_client_with_an_api_scope(app_context: Flask) -> None:
    result = app_context.test_cli_runner().invoke(
        args=["clients", "create", "--name", "Dasbor BI", "--scope", "credit/read", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["scopes"] == ["credit/read"]
    client = ApiClient(app_context.test_client(), basic_auth(created["key"], created["secret"]))
    assert client.get("/credit/pending").status_code == 200
