"""The application shell: what every request gets, whatever blueprint serves it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask, session

from tests.conftest import XAPIClient
from tests.statements import statement

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_machine_requests_get_no_cookie_session(xapi: XAPIClient, app_context: Flask) -> None:
    response = xapi.post_statements(statement())
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with (
        app_context.test_request_context("/xapi/about"),
        pytest.raises(RuntimeError, match="session is unavailable"),
    ):
        session["user"] = "someone"


def test_the_gunicorn_entry_point_freezes_the_app_out_of_full_collections(tmp_path: Path) -> None:
    """A worker's long-lived objects are never rescanned by the garbage collector."""
    probe = "import gc, wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = {**os.environ, "LMS_BRIDGE_DATABASE_URL": f"sqlite:///{tmp_path / 'probe.db'}"}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        check=False,
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    frozen, still_tracked = (int(n) for n in out.stdout.split())
    assert frozen > 50_000  # the app: modules, metadata, schemas
    assert still_tracked < frozen / 10
