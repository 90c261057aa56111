"""Two gunicorn instances and two deliver workers on one PostgreSQL (through PgBouncer),
behind nginx, all from deploy/: what one instance writes the other reads, a revocation
reaches both, a person's session holds on either, each webhook arrives once."""

from __future__ import annotations

import base64
import http.cookiejar
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms_bridge.access import create_client, revoke_client
from lms_bridge.accounts import create_user
from lms_bridge.app import create_app
from lms_bridge.db import db, unit_of_work
from lms_bridge.models.programs import WebhookDelivery
from lms_bridge.programs import add_subscription
from tests.cohorts import latsar_cohort, nips
from tests.conftest import HASH_METHOD, make_settings
from tests.deploy.conftest import (
    DEPLOY,
    NGINX,
    render,
    require_program,
    start_deliver_worker,
    stop,
    wait_for_port,
)
from tests.e2e.conftest import free_port, start_gunicorn
from tests.lms_bridge.programs.receiver import Receiver, receiving
from tests.statements import agent, passing_statements, statement

pytestmark = pytest.mark.deploy

SECRET_KEY = "e2e-secret-key"
"""What tests.e2e.conftest.start_gunicorn gives every instance: one key, shared."""
PASSWORD = "kata-sandi-rahasia"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Stack:
    """Where everything listens."""

    balancer: str
    instances: tuple[str, str]
    logs: tuple[Path, Path]
    nginx_log: Path
    sockets: tuple[Path, Path]


def start_nginx(folder: Path, port: int, upstreams: tuple[int, int]) -> subprocess.Popen[bytes]:
    """nginx with deploy/nginx/lms_bridge.conf as its only site, all files in ``folder``."""
    require_program(NGINX)
    site = render(
        DEPLOY / "nginx" / "lms_bridge.conf",
        folder / "lms_bridge.conf",
        INSTANCE_1=f"127.0.0.1:{upstreams[0]}",
        INSTANCE_2=f"127.0.0.1:{upstreams[1]}",
        LISTEN=f"127.0.0.1:{port}",
        ACCESS_LOG=folder / "access.log",
    )
    # Run as root only because the test runs as root (its temp files are private).
    user = "user root;\n" if os.getuid() == 0 else ""
    temp = "".join(
        f"{kind}_temp_path {folder / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
        f"http {{\n{temp}include {site};\n}}\n"
    )
    log = folder / "error.log"
    log.touch()
    with (folder / "nginx.out").open("ab") as output:
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(main), "-e", str(log)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for_port(port, process, log)
    return process


@pytest.fixture(scope="module")
def direct_app(shared_database: str) -> Flask:
    return create_app(make_settings(shared_database))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving(Receiver(free_port())) as running:
        yield running


@pytest.fixture(scope="module")
def stack(
    shared_database: str,
    pgbouncer: tuple[str, int],
    receiver: Receiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("stack")
    pooled = {
        "LMS_BRIDGE_DATABASE_POOLER": "pgbouncer-transaction",
        "LMS_BRIDGE_LISTEN_DATABASE_URL": shared_database,
        "LMS_BRIDGE_PROXY_HOPS": "1",
        "LMS_BRIDGE_ACCESS_LOG": "-",
    }
    ports = (free_port(), free_port())
    sockets = (folder / "one.ctl", folder / "two.ctl")
    logs = (folder / "one.log", folder / "two.log")
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for port, socket_path, log in zip(ports, sockets, logs, strict=True):
            processes.append(
                start_gunicorn(
                    pgbouncer[0],
                    port,
                    log,
                    {**pooled, "LMS_BRIDGE_CONTROL_SOCKET": str(socket_path)},
                )
            )
        for number in (1, 2):
            processes.append(
                start_deliver_worker(
                    pgbouncer[0], folder / f"deliver{number}.log", SECRET_KEY, pooled
                )
            )
        balancer_port = free_port()
        processes.append(start_nginx(folder, balancer_port, ports))
        yield Stack(
            f"http://127.0.0.1:{balancer_port}",
            (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"),
            logs,
            folder / "access.log",
            sockets,
        )
    finally:
        for process in reversed(processes):
            stop(process)


def xapi(
    base: str, key: str, method: str = "GET", path: str = "/xapi/statements", body: Any = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{key}:pw".encode()).decode())
    request.add_header("X-Experience-API-Version", "1.0.3")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        return error.code, None


def test_each_instance_has_its_own_control_socket(stack: Stack) -> None:
    """Two masters on one host, no shared ~/.gunicorn/gunicorn.ctl."""
    assert all(path.is_socket() for path in stack.sockets)


def test_what_one_instance_stores_the_other_reads(direct_app: Flask, stack: Stack) -> None:
    with direct_app.app_context():
        client = create_client(
            "shared LMS", key="shared", secret="pw", scopes=["all"], hash_method=HASH_METHOD
        )
    one, two = stack.instances
    status, ids = xapi(one, client.key, "POST", body=statement(actor=agent("198503302010121077")))
    assert status == 200
    status, read = xapi(two, client.key, path=f"/xapi/statements?statementId={ids[0]}")
    assert status == 200
    assert read["id"] == ids[0]
    status, ids_two = xapi(
        two, client.key, "POST", body=statement(actor=agent("198503302010121078"))
    )
    assert status == 200
    assert xapi(one, client.key, path=f"/xapi/statements?statementId={ids_two[0]}")[0] == 200

    # Through the balancer: requests go to both instances, each reads what the other wrote.
    stored = []
    for number in range(12):
        status, ids = xapi(
            stack.balancer,
            client.key,
            "POST",
            body=statement(actor=agent(f"1985033020101210{number:02d}")),
        )
        assert status == 200
        stored.extend(ids)
    for statement_id in stored:
        status, read = xapi(
            stack.balancer, client.key, path=f"/xapi/statements?statementId={statement_id}"
        )
        assert status == 200
        assert read["id"] == statement_id
    # nginx writes a request's log line after its response has gone: wait for the last one.
    deadline = time.monotonic() + 10
    while len(stack.nginx_log.read_text().splitlines()) < 24 and time.monotonic() < deadline:
        time.sleep(0.05)
    served_by = Counter(
        json.loads(line)["upstream"] for line in stack.nginx_log.read_text().splitlines()
    )
    assert len(served_by) == 2, served_by

    # nginx's request id is the one each instance logged for the request it served (each
    # writes its line after the response has gone, so the newest may take a moment).
    nginx_ids = {
        json.loads(line)["request_id"] for line in stack.nginx_log.read_text().splitlines()
    }

    def logged_ids() -> set[str]:
        logged = set()
        for log in stack.logs:
            for line in log.read_text().split("\n")[:-1]:  # whole lines only
                record = json.loads(line)
                if record.get("path") == "/xapi/statements":
                    logged.add(record["request_id"])
        return logged

    deadline = time.monotonic() + 10
    while not nginx_ids <= logged_ids() | {""} and time.monotonic() < deadline:
        time.sleep(0.05)
    assert nginx_ids <= logged_ids() | {""}
    assert len(nginx_ids) >= 24


def test_a_revocation_reaches_every_instance(direct_app: Flask, stack: Stack) -> None:
    """Each instance keeps authenticated clients (60 s), forgotten on NOTIFY."""
    with direct_app.app_context():
        client = create_client(
            "revoked LMS", key="to-revoke", secret="pw", scopes=["all"], hash_method=HASH_METHOD
        )
    for _ in range(4):  # every worker of each instance authenticates (and caches) it
        for instance in stack.instances:
            assert xapi(instance, client.key, path="/xapi/statements?limit=1")[0] == 200
    with direct_app.app_context():
        listening = db.session.scalar(
            select(func.count()).select_from(
                db.text("pg_stat_activity WHERE query = 'LISTEN lms_bridge_clients'")
            )
        )
        db.session.remove()
    assert listening is not None
    assert listening >= 2  # the instances' listeners, on direct connections
    with direct_app.app_context():
        revoke_client(client.key)
    deadline = time.monotonic() + 3
    refused: set[str] = set()
    while time.monotonic() < deadline and len(refused) < 2:
        for instance in stack.instances:
            if all(
                xapi(instance, client.key, path="/xapi/statements?limit=1")[0] == 401
                for _ in range(4)
            ):
                refused.add(instance)
        time.sleep(0.05)
    assert refused == set(stack.instances)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def test_a_session_holds_on_either_instance(direct_app: Flask, stack: Stack) -> None:
    """Signed in through one instance, the person is signed in on the other: both sign
    cookies with the one shared secret key."""
    with direct_app.app_context():
        create_user(
            "viewer@lampung.id",
            "viewer",
            "viewer",
            ("BPSDM Provinsi Lampung",),
            password=PASSWORD,
            actor="test",
            hash_method=HASH_METHOD,
        )
        db.session.remove()
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    one, two = stack.instances

    def fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with browser.open(url, data=data, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    status, page = fetch(f"{one}/login")
    assert status == 200
    token = TOKEN.search(page)
    assert token
    status, location = fetch(
        f"{two}/login",
        {"email": "viewer@lampung.id", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert status == 302, location
    assert "/login" not in location
    for instance in (one, two, stack.balancer):
        status, _ = fetch(f"{instance}/")
        assert status == 200


def test_each_webhook_is_delivered_once_with_two_workers(
    direct_app: Flask, stack: Stack, receiver: Receiver
) -> None:
    participants = nips(6)
    with direct_app.app_context():
        client = create_client(
            "Moodle", key="moodle-hooks", secret="pw", scopes=["all"], hash_method=HASH_METHOD
        )
        cohort_id, _ = latsar_cohort(participants)
        with unit_of_work() as session:
            add_subscription(session, receiver.url, cohort_id, secret_key=SECRET_KEY)
        db.session.remove()
    for nip in participants:
        status, _ = xapi(stack.balancer, client.key, "POST", body=passing_statements(nip))
        assert status == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with direct_app.app_context():
            statuses = dict(
                db.session.execute(
                    select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
                ).all()
            )
            db.session.remove()
        if statuses and set(statuses) == {"delivered"}:
            break
        time.sleep(0.2)
    assert set(statuses) == {"delivered"}, statuses
    time.sleep(0.5)  # a duplicate would arrive now, if any worker sent one twice
    ids = receiver.delivery_ids()
    assert len(ids) == statuses["delivered"]
    assert len(set(ids)) == len(ids)
    assert len(ids) >= len(participants)
