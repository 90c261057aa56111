"""The deployment the docs describe, started for real from deploy/: PgBouncer, nginx,
several gunicorn instances and deliver workers on one PostgreSQL database.

These tests need PostgreSQL (one database shared by every instance is what they check) and
Debian's ``pgbouncer`` and ``nginx`` (``make test`` and ``.ci/run`` install them when
missing); they fail, never skip, when those are absent.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from string import Template

import psycopg
import pytest
from sqlalchemy.engine import make_url

from lms_bridge.app import create_app
from lms_bridge.cli import upgrade_database
from lms_bridge.db import db
from tests.conftest import REPO_ROOT, make_settings, own_postgres_database
from tests.e2e.conftest import free_port

pytestmark = pytest.mark.deploy

DEPLOY = REPO_ROOT / "deploy"
PGBOUNCER = "/usr/sbin/pgbouncer"
NGINX = "/usr/sbin/nginx"


def require_program(path: str) -> str:
    """``path``, or fail (never skip): CI installs it with apt."""
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing: apt-get install {Path(path).name}", pytrace=False)
    return path


class Placeholders(Template):
    """Only ``${UPPER_CASE}`` is a placeholder: nginx's ``$host`` and the like stay."""

    idpattern = r"(?!)"
    braceidpattern = r"[A-Z][A-Z0-9_]*"
    flags = re.NOFLAG


def render(template: Path, target: Path, **values: object) -> Path:
    """Fill a deploy/ template's placeholders (as ``envsubst`` with their names would) into
    ``target``; every placeholder must get a value."""
    text = Placeholders(template.read_text()).safe_substitute(**values)
    left = re.findall(r"\$\{[A-Z][A-Z0-9_]*\}", text)
    assert not left, f"{template} has placeholders the test does not fill: {left}"
    target.write_text(text)
    return target


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    """Return once something accepts on ``port``; fail with the log if the process died."""
    import socket  # noqa: PLC0415

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited early:\n{log.read_text()}", pytrace=False)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listens on {port} after 20 s:\n{log.read_text()}", pytrace=False)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started in its own session, and everything it started."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this module (direct URL, psycopg)."""
    with own_postgres_database("deploy") as url:
        app = create_app(make_settings(url))
        with app.app_context():
            upgrade_database()
            db.engine.dispose()
        yield url
        from lms_bridge.access.client_cache import stop_listeners  # noqa: PLC0415

        stop_listeners()


@pytest.fixture(scope="module")
def pgbouncer(
    shared_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, int]]:
    """PgBouncer from deploy/pgbouncer.ini in transaction mode, 2 server connections;
    yields (the service's URL through it, its port)."""
    require_program(PGBOUNCER)
    folder = tmp_path_factory.mktemp("pgbouncer")
    direct = make_url(shared_database)
    port = free_port()
    users = folder / "users.txt"
    users.write_text(f'"{direct.username}" ""\n')
    config = render(
        DEPLOY / "pgbouncer.ini",
        folder / "pgbouncer.ini",
        POSTGRES_HOST=direct.host,
        POSTGRES_PORT=direct.port or 5432,
        PGBOUNCER_HOST="127.0.0.1",
        PGBOUNCER_PORT=port,
        POOL_SIZE=2,
        AUTH_TYPE="trust",
        AUTH_FILE=users,
        STATS_USERS=direct.username,
    )
    log = folder / "pgbouncer.log"
    # PgBouncer refuses to run as root; it reads its files first, then drops to -u's user.
    as_user = ["-u", "postgres"] if os.getuid() == 0 else []
    with log.open("ab") as output:
        process = subprocess.Popen(
            [PGBOUNCER, *as_user, str(config)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, process, log)
        yield direct.set(port=port).render_as_string(hide_password=False), port
    finally:
        stop(process)


def pgbouncer_show(port: int, what: str) -> list[tuple[object, ...]]:
    """Rows of ``SHOW <what>`` on PgBouncer's admin console."""
    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{port}/pgbouncer", autocommit=True
    ) as console:
        console.prepare_threshold = None
        cursor = console.execute(f"SHOW {what}", prepare=False)
        names = [column.name for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]  # type: ignore[misc]


def start_deliver_worker(
    database_url: str, log: Path, secret_key: str, extra_env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """``lms-bridge deliver`` polling every 0.2 s, in a session of its own."""
    env = {
        **os.environ,
        "LMS_BRIDGE_DATABASE_URL": database_url,
        "LMS_BRIDGE_SECRET_KEY": secret_key,
        **extra_env,
    }
    cli = shutil.which("lms-bridge", path=str(Path(sys.executable).parent))
    assert cli, "the lms-bridge command is not installed in this environment"
    with log.open("ab") as output:
        return subprocess.Popen(
            [cli, "deliver", "--interval", "0.2"],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
