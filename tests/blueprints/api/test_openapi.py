"""The OpenAPI document is valid, complete and honest, and its reference page is local."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from openapi_spec_validator import validate

from tests.blueprints.api.conftest import ApiClient

OPERATIONS = ("get", "put", "post", "delete", "patch")


def _document(client: ApiClient) -> dict[str, Any]:
    response = client.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.get_json()
    return document


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_the_document_is_valid_openapi(anonymous: ApiClient) -> None:
    validate(_document(anonymous))


def test_numeric_bounds_are_numbers(anonymous: ApiClient) -> None:
    """``minimum: "0.00"`` (a string) made the correction operation impossible to fuzz."""
    for node in _walk(_document(anonymous)):
        for bound in ("minimum", "maximum"):
            if bound in node:
                assert isinstance(node[bound], int | float), node


def test_every_operation_documents_the_schema_of_its_success(anonymous: ApiClient) -> None:
    document = _document(anonymous)
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method not in OPERATIONS:
                continue
            success = next(
                answer for code, answer in operation["responses"].items() if code.startswith("2")
            )
            schema = success["content"]["application/json"]["schema"]
            assert schema, (method, path)
    progress = document["paths"]["/api/v1/cohorts/{cohort_id}/progress"]["get"]
    reference = progress["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    described = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    assert {"cohort", "program", "modules", "participants"} <= set(described["properties"])


def test_the_csv_examples_are_accepted_by_the_api_in_order(
    anonymous: ApiClient, keeper: ApiClient
) -> None:
    """The identities example used to name a NIP its own directory example does not hold;
    each heading language's example works after the directory example of the same language."""
    document = _document(anonymous)
    for language in ("english", "indonesia"):
        for path in ("/api/v1/people/import", "/api/v1/identities/import"):
            body = document["paths"][path]["post"]["requestBody"]["content"]["text/csv"]
            example = body["examples"][language]["value"]
            response = keeper.csv(path.removeprefix("/api/v1"), example)
            assert response.status_code == 200, (language, response.get_data(as_text=True))


def test_the_reference_page_is_swagger_ui_served_from_this_service(
    app_context: Flask, anonymous: ApiClient
) -> None:
    page = anonymous.client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SwaggerUIBundle" in html
    assert "/api/v1/openapi.json" in html
    assert not re.search(r"https?://", html), "nothing may come from another host"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for asset in assets:
        assert asset.startswith("/api/v1/docs/static/"), asset
        served = anonymous.client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.get_data()) > 1000
