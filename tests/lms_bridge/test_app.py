"""The application shell: what every request gets, whatever blueprint serves it."""

from __future__ import annotations

import pytest
from flask import Flask, session

from tests.conftest import XAPIClient
from tests.statements import statement


def test_machine_requests_get_no_cookie_session(xapi: XAPIClient, app_context: Flask) -> None:
    response = xapi.post_statements(statement())
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with (
        app_context.test_request_context("/xapi/about"),
        pytest.raises(RuntimeError, match="session is unavailable"),
    ):
        session["user"] = "someone"
