"""A real gunicorn server on a free loopback port, per database backend."""

from __future__ import annotations

import base64
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from lms_bridge.access import create_client
from tests.conftest import HASH_METHOD, REPO_ROOT, empty_all_tables

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens and the credentials of an all-scopes client."""

    endpoint: str
    key: str
    secret: str


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log.read_text()}", pytrace=False)
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):  # refused, reset or timed out: not up yet
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer in 30 s:\n{log.read_text()}", pytrace=False)


def start_gunicorn(
    database_url: str, port: int, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """gunicorn (2 workers) on ``database_url`` in a process group of its own (so a test can
    kill the master and its workers at once); returns once it answers. ``extra_env`` adds
    or overrides settings."""
    env = {
        **os.environ,
        "LMS_BRIDGE_DATABASE_URL": database_url,
        "PORT": str(port),
        "LMS_BRIDGE_WORKERS": "2",
        # One key for both workers, as production must set it: `more` tokens are signed.
        "LMS_BRIDGE_SECRET_KEY": "e2e-secret-key",
        **(extra_env or {}),
    }
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/xapi/about", process, log)
    except BaseException:
        process.kill()
        raise
    return process


@pytest.fixture(scope="session")
def gunicorn_server(
    app: Flask, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Start gunicorn (2 workers) on the backend's database; yields the xAPI endpoint."""
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    process = start_gunicorn(database_url, port, log)
    try:
        yield f"http://127.0.0.1:{port}/xapi"
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture
def live_server(app: Flask, gunicorn_server: str) -> LiveServer:
    """The running server over an empty database, with a fresh LMS client."""
    with app.app_context():
        empty_all_tables()
        # A fresh key per test: server processes cache client rows by key for a few seconds.
        created = create_client(
            "e2e LMS",
            key=f"e2e-{uuid.uuid4().hex[:12]}",
            secret="e2e-secret",
            scopes=["all"],
            hash_method=HASH_METHOD,
        )
    return LiveServer(gunicorn_server, created.key, created.secret)


def post_raw(
    server: LiveServer,
    body: bytes,
    results: list[int],
    start: threading.Barrier,
    put_id: str | None = None,
) -> None:
    """POST statements (or PUT the one with ``put_id``) over a fresh connection once every
    racer is ready; record the status.

    For tests that race real clients against the server: each thread waits at ``start`` so
    the requests arrive together.
    """
    url = urlsplit(server.endpoint)
    connection = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=60)
    auth = base64.b64encode(f"{server.key}:{server.secret}".encode()).decode()
    start.wait()
    connection.request(
        "PUT" if put_id else "POST",
        url.path + "/statements" + (f"?statementId={put_id}" if put_id else ""),
        body=body,
        headers={
            "Authorization": f"Basic {auth}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    response = connection.getresponse()
    response.read()
    results.append(response.status)
    connection.close()
