"""``--spawn``: run lms_bridge under gunicorn for the length of one benchmark.

Steps: migrate the database (``lms-bridge db upgrade``), create an LMS client with every scope
(``lms-bridge clients create --json``), start ``gunicorn -c gunicorn.conf.py wsgi:app`` bound to
a free loopback port, wait until ``/xapi/about`` answers, and stop it (SIGTERM, then SIGKILL)
when the benchmark is done. The database is the caller's: it keeps what the benchmark stored.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.client import Endpoint, send_once

REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class SpawnError(RuntimeError):
    """The server could not be prepared or started; the message says what it printed."""


@dataclass(frozen=True)
class Spawned:
    url: str
    key: str
    secret: str
    database_url: str
    pid: int
    log_path: Path
    env: dict[str, str]
    server_dir: Path

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def run_cli(self, *args: str) -> str:
        """Run ``lms-bridge ARGS`` against the spawned server's database."""
        return _run_cli(list(args), self.server_dir, self.env)


def redact(database_url: str) -> str:
    """The URL without its password, for printing."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", database_url)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def executable(name: str, server_dir: Path) -> str:
    """The project's own copy first (its .venv), then the running interpreter's, then PATH."""
    for folder in (server_dir / ".venv" / "bin", Path(sys.executable).parent):
        candidate = folder / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise SpawnError(f"cannot find the {name!r} executable (looked in {server_dir}/.venv/bin)")
    return found


def _run_cli(args: list[str], server_dir: Path, env: dict[str, str]) -> str:
    command = [executable("lms-bridge", server_dir), *args]
    try:
        done = subprocess.run(
            command,
            cwd=server_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SpawnError(f"`lms-bridge {' '.join(args)}` did not finish in 600 s") from error
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-2000:]
        raise SpawnError(f"`lms-bridge {' '.join(args)}` exited {done.returncode}:\n{output}")
    return done.stdout


def parse_credentials(output: str) -> tuple[str, str]:
    """key and secret from `clients create --json` (the JSON object may follow other lines)."""
    candidates = [output, *reversed([ln for ln in output.splitlines() if ln.startswith("{")])]
    for text in candidates:
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict) and "key" in document and "secret" in document:
            return str(document["key"]), str(document["secret"])
    raise SpawnError(f"no key/secret in the output of `clients create --json`:\n{output[:500]}")


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(process: subprocess.Popen[bytes], endpoint: Endpoint, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    about = endpoint.request("GET", "/about", authenticate=False)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SpawnError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            response = send_once(endpoint, about, timeout=5)
        except OSError:
            time.sleep(0.2)
            continue
        if response.status < 500:
            return
        time.sleep(0.2)
    raise SpawnError(f"gunicorn did not answer /about in {READY_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown of its workers
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(STOP_TIMEOUT)


@contextmanager
def spawn(
    database_url: str,
    server_dir: Path,
    log: Callable[[str], None],
    server_env: dict[str, str] | None = None,
    port: int = 0,
) -> Iterator[Spawned]:
    """Yield a running server on ``database_url``; ``sqlite`` alone means a throwaway file.

    ``server_env`` adds settings (e.g. ``LMS_BRIDGE_CREDIT_ENABLED=false``) to the server's
    environment and to the CLI commands run for it. ``port``: where to listen (default: a
    free one), for a shared machine where each user keeps to a range of ports.
    """
    with tempfile.TemporaryDirectory(prefix="lms-bridge-bench-") as scratch:
        if database_url == "sqlite":
            database_url = f"sqlite:///{scratch}/bench.db"
        elif database_url.startswith("sqlite:///"):
            Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        port = port or int(os.environ.get("LMS_BRIDGE_BENCH_PORT") or 0) or free_port()
        env = {
            # One key for every worker: a person's session cookie signed by one gunicorn
            # worker must be valid in the others (the default is a key per process).
            "LMS_BRIDGE_SECRET_KEY": secrets.token_hex(32),
            **os.environ,
            **(server_env or {}),
            "LMS_BRIDGE_DATABASE_URL": database_url,
            "PORT": str(port),
        }
        # Every worker must sign page sessions with the same key, or a cookie one worker
        # set is refused by the next (a page scenario signs in once and reuses the cookie).
        env.setdefault("LMS_BRIDGE_SECRET_KEY", secrets.token_hex(32))
        log(f"spawn: migrating {redact(database_url)}")
        _run_cli(["db", "upgrade"], server_dir, env)
        name = f"bench-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        created = _run_cli(
            ["clients", "create", "--name", name, "--scope", "all", "--json"], server_dir, env
        )
        key, secret = parse_credentials(created)
        command = [executable("gunicorn", server_dir)]
        if (server_dir / "gunicorn.conf.py").is_file():
            command += ["-c", "gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{port}", "wsgi:app"]
        log_path = Path(scratch) / "gunicorn.log"
        url = f"http://127.0.0.1:{port}/xapi"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command, cwd=server_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
            try:
                log(f"spawn: gunicorn pid {process.pid} on {url} (client {name})")
                _wait_ready(process, Endpoint.from_url(url, key, secret), log_path)
                yield Spawned(
                    url, key, secret, database_url, process.pid, log_path, env, server_dir
                )
            finally:
                _stop(process)
                log(f"spawn: gunicorn stopped (exit {process.returncode})")
        if process.returncode not in (0, -signal.SIGTERM):
            log(f"spawn: gunicorn log tail:\n{_tail(log_path)}")
