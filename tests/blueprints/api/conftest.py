"""Clients of the JSON API with one scope each, and statements posted through the LRS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from lms_bridge.access import create_client
from lms_bridge.db import db
from tests.conftest import HASH_METHOD, XAPIClient, basic_auth


class ApiClient:
    """Flask's test client speaking to /api/v1 as one API client."""

    def __init__(self, client: FlaskClient, auth: str | None) -> None:
        self.client = client
        self.auth = auth

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": self.auth} if self.auth else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(
            "/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.client.post(
            "/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.client.put(
            "/api/v1" + path, headers=self._headers(kwargs.pop("headers", None)), **kwargs
        )

    def csv(self, path: str, text: str) -> Any:
        return self.post(path, data=text.encode(), content_type="text/csv")


@pytest.fixture
def api_as(app_context: Flask) -> Callable[..., ApiClient]:
    """``api_as("credit/read")``: a new client with these scopes, and a test client for it."""
    made = 0

    def make(*scopes: str, name: str | None = None) -> ApiClient:
        nonlocal made
        made += 1
        key = f"api-{made}"
        create_client(
            name or f"API client {made}",
            key=key,
            secret="api-secret",
            scopes=scopes,
            hash_method=HASH_METHOD,
        )
        return ApiClient(app_context.test_client(), basic_auth(key, "api-secret"))

    return make


@pytest.fixture
def reader(api_as: Callable[..., ApiClient]) -> ApiClient:
    """A BI dashboard: reads credit."""
    return api_as("credit/read", name="Dasbor BI")


@pytest.fixture
def auditor(api_as: Callable[..., ApiClient]) -> ApiClient:
    """A BPSDM auditor's tool: decides on entries."""
    return api_as("credit/audit", name="Auditor BPSDM Lampung")


@pytest.fixture
def keeper(api_as: Callable[..., ApiClient]) -> ApiClient:
    """The directory's keeper: people and identity mappings."""
    return api_as("people/write", name="Admin kepegawaian")


@pytest.fixture
def anonymous(app_context: Flask) -> ApiClient:
    return ApiClient(app_context.test_client(), None)


def post(xapi: XAPIClient, *statements: dict[str, Any]) -> None:
    """Store statements through the LRS, which credits them."""
    response = xapi.post_statements(list(statements))
    assert response.status_code == 200, response.get_json()


class QueryLog:
    """SQL statements the database received while it was listening."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def touching(self, *tables: str) -> list[str]:
        """Statements that read or write any of these tables."""
        return [s for s in self.statements if any(t in s for t in tables)]


@pytest.fixture
def query_log(app_context: Flask) -> Iterator[Callable[[], QueryLog]]:
    """``with`` nothing: call it to start a fresh log; all logs stop at the test's end."""
    logs: list[QueryLog] = []

    def start() -> QueryLog:
        log = QueryLog()
        event.listen(db.engine, "before_cursor_execute", log)
        logs.append(log)
        return log

    yield start
    for log in logs:
        event.remove(db.engine, "before_cursor_execute", log)
