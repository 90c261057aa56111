"""Failed sign-ins are limited per key and per address (429 + Retry-After); valid clients
are never slowed by them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse

from blueprints.throttle import EXTENSION
from lms_bridge.access import CreatedClient, clients
from lms_bridge.app import create_app
from lms_bridge.db import db
from lms_bridge.settings import SettingsError
from tests.conftest import basic_auth, make_settings

ABOUT_NEEDS_NO_AUTH = "/xapi/about"
STATEMENTS = "/xapi/statements"
VERSION = {"X-Experience-API-Version": "1.0.3"}


def get(client: FlaskClient, key: str, secret: str, address: str = "198.51.100.7") -> Any:
    return client.get(
        STATEMENTS,
        headers={**VERSION, "Authorization": basic_auth(key, secret)},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.fixture
def strict(app_context: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The test app with small limits: 3 failures per key, 5 per address, per minute."""
    attempts = app_context.extensions[EXTENSION]
    small = replace(attempts, per_key=parse("3/minute"), per_address=parse("5/minute"))
    monkeypatch.setitem(app_context.extensions, EXTENSION, small)
    return app_context


def test_a_key_is_blocked_after_its_failures_with_retry_after(
    strict: Flask, lms_client: CreatedClient
) -> None:
    client = strict.test_client()
    assert [get(client, lms_client.key, "wrong").status_code for _ in range(3)] == [401] * 3
    blocked = get(client, lms_client.key, "wrong", address="203.0.113.9")  # another address
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "too many failed" in blocked.get_json()["detail"]
    # under /api/v1 too, in its own error shape
    api = client.get(
        "/api/v1/people/198503302010121002/credit",
        headers={"Authorization": basic_auth(lms_client.key, "wrong")},
    )
    assert api.status_code == 429
    assert api.headers["Retry-After"]
    assert api.get_json()["error"] == "TooManyRequests"


def test_an_address_is_blocked_after_its_failures_whatever_the_key(strict: Flask) -> None:
    client = strict.test_client()
    codes = [get(client, f"guess-{n}", "wrong").status_code for n in range(5)]
    assert codes == [401] * 5
    assert get(client, "guess-new", "wrong").status_code == 429
    assert get(client, "guess-new", "wrong", address="203.0.113.9").status_code == 401


def test_the_owner_of_an_attacked_key_keeps_working(
    strict: Flask, lms_client: CreatedClient
) -> None:
    """Only failures count, and credentials this process verified still pass a blocked key."""
    client = strict.test_client()
    for _ in range(20):
        assert get(client, lms_client.key, lms_client.secret, "192.0.2.1").status_code == 200
    for _ in range(10):
        get(client, lms_client.key, "wrong", address="203.0.113.9")
    assert get(client, lms_client.key, "wrong", "203.0.113.9").status_code == 429
    assert get(client, lms_client.key, lms_client.secret, "192.0.2.1").status_code == 200


def test_blocked_attempts_hash_nothing(
    strict: Flask, lms_client: CreatedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = strict.test_client()
    for _ in range(3):
        get(client, lms_client.key, "wrong")
    checks: list[str] = []
    real = clients.check_password_hash
    monkeypatch.setattr(clients, "check_password_hash", lambda h, s: checks.append(s) or real(h, s))
    assert get(client, lms_client.key, "wrong").status_code == 429
    assert checks == []


@pytest.fixture
def two_instances(database_url: str) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances (as two servers) on one Redis, under a namespace of their own."""
    namespace = f"test-{uuid.uuid4().hex}"
    settings = make_settings(
        database_url,
        rate_limit_storage_url="redis://127.0.0.1:6379/0",
        rate_limit_namespace=namespace,
        failed_auth_per_key="4/minute",
        failed_auth_per_address="100/minute",
    )
    first, second = create_app(settings), create_app(settings)
    yield first, second
    for instance in (first, second):
        with instance.app_context():
            db.engine.dispose()


def test_instances_sharing_redis_share_the_count(
    two_instances: tuple[Flask, Flask], app_context: Flask, lms_client: CreatedClient
) -> None:
    first, second = (instance.test_client() for instance in two_instances)
    assert [get(first, lms_client.key, "wrong").status_code for _ in range(2)] == [401, 401]
    assert [get(second, lms_client.key, "wrong").status_code for _ in range(2)] == [401, 401]
    assert get(first, lms_client.key, "wrong").status_code == 429
    assert get(second, lms_client.key, "wrong").status_code == 429
    assert get(second, "another-key", "wrong").status_code == 401


def test_a_bad_limit_setting_stops_the_app(database_url: str) -> None:
    with pytest.raises(SettingsError, match="LMS_BRIDGE_FAILED_AUTH_PER_KEY"):
        create_app(make_settings(database_url, failed_auth_per_key="ten a minute"))


def test_about_needs_no_credentials_and_counts_nothing(strict: Flask) -> None:
    client = strict.test_client()
    for _ in range(10):
        assert client.get(ABOUT_NEEDS_NO_AUTH).status_code == 200
