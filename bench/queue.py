"""The ``queue-first`` and ``queue-filtered`` scenarios: the verification queue at a
province's size.

Setup: the directory of ``bench.directory`` (10,000 people, 100,000 credited statements, all
pending entries), an auditor account made with the spawned server's CLI (``users create``)
who sees every agency, and a sign-in through the real ``/login`` form (its CSRF token
included). The clock runs only for ``GET /queue`` (the first page, ``queue-first``) and for
a filtered page (one agency and one unit kerja, ``queue-filtered``), each answered by
gunicorn as the browser would see it, evidence and all. Target: p99 < 300 ms on PostgreSQL.
Run them on their own (``--scenarios queue-first,queue-filtered``): the directory's
statements are the 100,000 the target is for.
"""

from __future__ import annotations

import http.cookiejar
import re
import secrets
import tempfile
import urllib.parse
import urllib.request
from dataclasses import replace
from pathlib import Path

from bench import directory  # a module: it imports bench.scenarios, which imports this
from bench.client import Endpoint, Request, Response
from bench.report import Goal, ScenarioResult
from bench.scenarios import Context, _line, _warm_up, scenario

OPT_IN = frozenset({"queue-first", "queue-filtered", "cohort-page"})
"""Run only when named: they seed 100,000 statements of their own (cohort-page too)."""
PAGE_MARKER = b'data-entry-id="'
"""Each queue item carries its entry id: counting them checks a page really came back."""
CSRF_FIELD = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')


def _auditor(ctx: Context) -> tuple[str, str]:
    """A new auditor of every seeded agency: (email, password)."""
    assert ctx.spawned is not None
    email = f"auditor-{secrets.token_hex(4)}@bench.example.go.id"
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="lms-bridge-queue-") as scratch:
        password_file = Path(scratch) / "password"
        password_file.write_text(password)
        agencies = [argument for agency in directory.AGENCIES for argument in ("--agency", agency)]
        ctx.spawned.run_cli(
            "users", "create", "--email", email, "--name", "Auditor bench", "--role", "auditor",
            *agencies, "--password-file", str(password_file),
        )  # fmt: skip
    return email, password


def sign_in(site: str, email: str, password: str) -> str:
    """Sign in through the form as a browser does; returns the Cookie header to send."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{site}/login", timeout=30) as answer:
        found = CSRF_FIELD.search(answer.read())
    if found is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    form = urllib.parse.urlencode(
        {"csrf_token": found.group(1).decode(), "email": email, "password": password}
    ).encode()
    with opener.open(f"{site}/login", data=form, timeout=30) as answer:
        answer.read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if not cookie:
        raise RuntimeError("signing in set no session cookie")
    return cookie


def _page(endpoint: Endpoint, path: str, cookie: str) -> bytes:
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
        f"Accept: text/html\r\nAccept-Language: id\r\nCookie: {cookie}\r\n\r\n"
    )
    return head.encode("latin-1")


def _check_page(_request: Request, response: Response) -> str | None:
    if response.body.count(PAGE_MARKER) < 1:
        return f"no queue entry in the page: {response.body[:200]!r}"
    return None


_SIGNED_IN: dict[str, str] = {}


def _signed_in(ctx: Context) -> str | None:
    """The auditor's Cookie header, made once per run (after the directory is seeded)."""
    if ctx.spawned is None:
        return None
    if ctx.spawned.url not in _SIGNED_IN:
        directory.seed_directory(ctx)
        email, password = _auditor(ctx)
        site = replace(ctx.endpoint, base_path="")
        _SIGNED_IN[ctx.spawned.url] = sign_in(site.url, email, password)
    return _SIGNED_IN[ctx.spawned.url]


def _measure(ctx: Context, name: str, path: str) -> ScenarioResult:
    s = ctx.settings
    result = ScenarioResult(
        name,
        f"GET {path} signed in, {s.connections} connections, 10,000 people",
        goal=Goal("p99_ms", "<", 300, " ms"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (people and users come from the server's CLI)")
        return result
    if s.queries <= 0:
        result.notes.append("skipped: --queries 0")
        return result
    cookie = _signed_in(ctx)
    assert cookie is not None
    site = replace(ctx.endpoint, base_path="")

    def requests(count: int) -> list[Request]:
        wire = _page(site, path, cookie)
        return [Request(wire, f"GET {path}", validate=n % 10 == 0) for n in range(count)]

    _warm_up(ctx, requests(s.warmup), _check_page)
    for n in range(1, s.repeat + 1):
        stats = result.add(ctx.run(requests(s.queries), _check_page))
        ctx.log(_line(name, n, s.repeat, stats))
    return result


@scenario("queue-first", "GET /queue signed in as an auditor: the first page, 10,000 people")
def queue_first(ctx: Context) -> ScenarioResult:
    """Latency of the page an auditor opens first and reloads after each decision."""
    return _measure(ctx, "queue-first", "/queue")


@scenario("queue-filtered", "GET /queue?agency=…&unit=…: a filtered page, 10,000 people")
def queue_filtered(ctx: Context) -> ScenarioResult:
    """Latency of one agency's unit: the filter walks past other agencies' entries."""
    query = urllib.parse.urlencode({"agency": directory.AGENCIES[1], "unit": directory.UNITS[3]})
    return _measure(ctx, "queue-filtered", f"/queue?{query}")
