"""Headers every response carries: CORS only where configured, nosniff, no-store, Allow."""

from __future__ import annotations

import pytest
from flask import Flask

from lms_bridge.app import create_app
from tests.conftest import XAPIClient, make_settings
from tests.statements import statement

ORIGIN = "https://content.example.org"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "Authorization, Content-Type, X-Experience-API-Version",
}


def test_xapi_allows_browser_content_from_any_origin_without_echoing_it(app: Flask) -> None:
    """Browser-run xAPI content lives on other origins and sends Authorization itself."""
    response = app.test_client().options("/xapi/statements", headers=PREFLIGHT)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed
    assert "x-experience-api-version" in allowed
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_the_json_api_answers_no_origin_by_default(app: Flask) -> None:
    client = app.test_client()
    preflight = client.options("/api/v1/credit/pending", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in preflight.headers
    plain = client.get("/api/v1/credit/pending", headers={"Origin": ORIGIN})
    assert "Access-Control-Allow-Origin" not in plain.headers


def test_configured_origins_are_the_only_ones_allowed(database_url: str) -> None:
    app = create_app(
        make_settings(
            database_url, xapi_cors_origins="https://lms.example.go.id", api_cors_origins=ORIGIN
        )
    )
    client = app.test_client()
    api = client.options("/api/v1/credit/pending", headers=PREFLIGHT)
    assert api.headers["Access-Control-Allow-Origin"] == ORIGIN
    xapi = client.options("/xapi/statements", headers=PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in xapi.headers
    own = client.options(
        "/xapi/statements", headers={**PREFLIGHT, "Origin": "https://lms.example.go.id"}
    )
    assert own.headers["Access-Control-Allow-Origin"] == "https://lms.example.go.id"


def test_personal_data_is_never_cached_and_never_sniffed(
    xapi: XAPIClient, app_context: Flask
) -> None:
    posted = xapi.post_statements(statement())
    read = xapi.get(query_string={"statementId": posted.get_json()[0]})
    refused = xapi.get(query_string={"limit": "x"})
    api = app_context.test_client().get("/api/v1/credit/pending")
    for response in (posted, read, refused, api):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    about = app_context.test_client().get("/xapi/about")
    assert about.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in about.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/xapi/statements", {"GET", "PUT", "POST"}),
        ("patch", "/xapi/activities/state", {"GET", "PUT", "POST", "DELETE"}),
        ("delete", "/api/v1/credit/pending", {"GET"}),
        ("post", "/api/v1/people", {"GET"}),
        ("delete", "/xapi/about", {"GET"}),
    ],
)
def test_every_405_says_which_methods_are_allowed(
    xapi: XAPIClient, method: str, path: str, allowed: set[str]
) -> None:
    response = getattr(xapi.client, method)(path, headers=xapi.headers())
    assert response.status_code == 405
    assert allowed <= {name.strip() for name in response.headers["Allow"].split(",")}
    assert response.get_json()["error"] == "MethodNotAllowed"
