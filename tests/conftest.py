"""Fixtures shared by the whole suite.

Every test that touches the database runs twice: on SQLite (the embedded default) and on
PostgreSQL (production). PostgreSQL is not optional: when it cannot be reached the suite
fails, it does not skip. ``LMS_BRIDGE_TEST_POSTGRES_URL`` names the server and database to
start from (default: the machine's local server); each test session creates fresh
databases of its own (one per xdist worker) and drops them at the end.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from blueprints.throttle import failed_attempts
from lms_bridge.access import CreatedClient, create_client
from lms_bridge.access.client_cache import stop_listeners
from lms_bridge.app import create_app
from lms_bridge.cli import upgrade_database
from lms_bridge.db import db
from lms_bridge.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def _worker_suffix() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this session (and worker), dropped afterwards."""
    base = make_url(os.environ.get("LMS_BRIDGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    name = f"{base.database}_{_worker_suffix()}_{uuid.uuid4().hex[:8]}"
    admin_dsn = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    try:
        admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.fail(
            f"PostgreSQL is required and unreachable at {admin_dsn}: {error}. "
            "Start it (see README) or set LMS_BRIDGE_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    stop_listeners()  # their connections would reconnect to the dropped database
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def own_postgres_database(prefix: str, *, driver: str = "postgresql+psycopg") -> Iterator[str]:
    """A PostgreSQL database of the test's own, dropped afterwards: for tests that walk the
    schema, plan queries or spawn a server, and must not share the worker's database."""
    base = make_url(os.environ.get("LMS_BRIDGE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(drivername=driver, database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url_for(backend: str, request: pytest.FixtureRequest, tmp_dir: Path) -> str:
    """The URL of a migrated, empty database of ``backend``."""
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_dir / 'lms_bridge.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database under test; every database test runs once per backend."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database migrated to the newest schema, shared by the tests of one backend."""
    url = database_url_for(backend, request, tmp_path_factory.mktemp(backend))
    app = create_app(make_settings(url))
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    return url


HASH_METHOD = "pbkdf2:sha256:1000"
"""The test apps' password and secret hash method: cheap, so tests do not wait on scrypt."""


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: everything default but the database and overrides."""
    overrides.setdefault("secret_hash_method", HASH_METHOD)
    return Settings(database_url=database_url, secret_key="test-secret-key", **overrides)


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    """The application on the backend under test."""
    application = create_app(make_settings(database_url))
    application.config["TESTING"] = True
    yield application
    with application.app_context():
        db.engine.dispose()


def empty_all_tables() -> None:
    """Delete every row, children first, so each test starts from an empty database."""
    with db.engine.begin() as connection:
        for table in reversed(db.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app_context(app: Flask) -> Iterator[Flask]:
    """An app context over an empty database."""
    with app.app_context():
        empty_all_tables()
        failed_attempts().reset()  # each test starts with no failed sign-ins counted
        yield app
        db.session.remove()


@pytest.fixture
def lms_client(app_context: Flask) -> CreatedClient:
    """An LMS client with every scope."""
    return create_client(
        "Moodle BPSDM test",
        key="moodle-test",
        secret="s3cret-test",
        scopes=["all"],
        hash_method=HASH_METHOD,
    )


def basic_auth(key: str, secret: str) -> str:
    """The Authorization header value for HTTP Basic."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


MOODLE_KEY = "moodle"
MOODLE_SECRET = "moodle-secret"


def create_moodle_client() -> None:
    """The LMS that page and browser tests post statements as (every scope), in the app
    context at hand; the session is handed back so the test's next request starts afresh."""
    create_client(
        "Moodle BPSDM",
        key=MOODLE_KEY,
        secret=MOODLE_SECRET,
        scopes=["all"],
        hash_method=HASH_METHOD,
    )
    db.session.remove()


def moodle_headers() -> dict[str, str]:
    """The headers of that LMS's requests: its credentials and the xAPI version."""
    return {
        "Authorization": basic_auth(MOODLE_KEY, MOODLE_SECRET),
        "X-Experience-API-Version": "1.0.3",
    }


class XAPIClient:
    """Flask's test client with xAPI headers and an LMS client's credentials preset."""

    def __init__(self, client: FlaskClient, key: str, secret: str, version: str = "1.0.3") -> None:
        self.client = client
        self.auth = basic_auth(key, secret)
        self.version = version

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """Default headers, overridable per request."""
        headers = {"Authorization": self.auth, "X-Experience-API-Version": self.version}
        headers.update(extra or {})
        return headers

    def post_statements(self, body: Any, **kwargs: Any) -> Any:
        """POST /xapi/statements with a JSON body."""
        return self.client.post(
            "/xapi/statements",
            json=body,
            headers=self.headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def put_statement(self, statement_id: str, body: Any, **kwargs: Any) -> Any:
        """PUT /xapi/statements?statementId=…"""
        return self.client.put(
            "/xapi/statements",
            query_string={"statementId": statement_id},
            json=body,
            headers=self.headers(kwargs.pop("headers", None)),
            **kwargs,
        )

    def get(self, path: str = "/xapi/statements", **kwargs: Any) -> Any:
        """GET with xAPI headers."""
        return self.client.get(path, headers=self.headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def xapi(app_context: Flask, lms_client: CreatedClient) -> XAPIClient:
    """An xAPI client authenticated as the test LMS, speaking 1.0.3."""
    return XAPIClient(app_context.test_client(), lms_client.key, lms_client.secret)


def count_rows(model: Any) -> int:
    """How many rows a table holds (inside an app context)."""
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)
