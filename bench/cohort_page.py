"""The ``cohort-page`` scenario: an instructor's progress page of a 300-participant cohort.

Setup: the directory of ``bench.directory`` (10,000 people, 100,000 credited statements),
then a Latsar cohort of 300 made with the server's CLI as ``bench.cohort`` makes it (its
module statements posted through the LRS), ``ANALYZE``, an instructor account
(``users create``) assigned to the cohort (``users assign``), and a sign-in through the real
``/login`` form. The clock runs only for ``GET /cohorts/<id>``, the whole matrix (300 rows,
every module, JP per mode, behind-schedule flags) as gunicorn answers it. Target: p99 <
300 ms on PostgreSQL. Run it on its own (``--scenarios cohort-page``).
"""

from __future__ import annotations

import random
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

# Modules, not names: each of them imports bench.scenarios, which imports this.
from bench import cohort, directory, queue
from bench.client import Request, Response
from bench.report import Goal, ScenarioResult
from bench.scenarios import Context, _line, _post, _warm_up, check_ids, scenario

ROW_MARKER = b'data-nip="'
"""Each participant's row carries its NIP: counting them checks the whole matrix came back."""


def _instructor(ctx: Context, cohort_id: int) -> tuple[str, str]:
    """A new instructor following ``cohort_id``: (email, password)."""
    assert ctx.spawned is not None
    email = f"instructor-{secrets.token_hex(4)}@bench.example.go.id"
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory(prefix="lms-bridge-cohort-page-") as scratch:
        password_file = Path(scratch) / "password"
        password_file.write_text(password)
        ctx.spawned.run_cli(
            "users", "create", "--email", email, "--name", "Widyaiswara bench",
            "--role", "instructor", "--agency", directory.AGENCIES[0],
            "--password-file", str(password_file),
        )  # fmt: skip
    ctx.spawned.run_cli("users", "assign", "--email", email, "--cohort", str(cohort_id))
    return email, password


def _check_page(_request: Request, response: Response) -> str | None:
    rows = response.body.count(ROW_MARKER)
    if rows != cohort.PARTICIPANTS:
        return f"expected {cohort.PARTICIPANTS} rows, found {rows}: {response.body[:200]!r}"
    return None


@scenario(
    "cohort-page", "GET /cohorts/<id> signed in as an instructor: 300 participants", default=False
)
def cohort_page(ctx: Context) -> ScenarioResult:
    """Latency of the matrix an instructor opens and reloads after each record."""
    s = ctx.settings
    result = ScenarioResult(
        "cohort-page",
        f"GET /cohorts/<id> signed in, {cohort.PARTICIPANTS} participants, "
        f"{s.connections} connections",
        goal=Goal("p99_ms", "<", 300, " ms"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (the cohort and users come from the CLI)")
        return result
    if s.queries <= 0:
        result.notes.append("skipped: --queries 0")
        return result
    seeded = directory.seed_directory(ctx)
    rng = random.Random(f"cohort-page-{s.seed}")
    cohort_id, nips = cohort._set_up(ctx, rng)
    statements = [st for nip in nips for st in cohort.module_statements(nip, rng)]
    posts = [
        _post(ctx, statements[i : i + s.batch], len(statements[i : i + s.batch]), True)
        for i in range(0, len(statements), s.batch)
    ]
    run = ctx.run(posts, check_ids)
    ctx.stored += run.statements
    ctx.log(
        f"  cohort-page: {cohort.PARTICIPANTS} enrolled, {run.statements:,} module statements "
        f"(directory: {seeded.statements:,} posted by this run)"
    )
    directory._analyze(ctx.spawned.database_url, ctx.log)
    email, password = _instructor(ctx, cohort_id)
    site = replace(ctx.endpoint, base_path="")
    cookie = queue.sign_in(site.url, email, password)
    path = f"/cohorts/{cohort_id}"

    def requests(count: int) -> list[Request]:
        wire = queue._page(site, path, cookie)
        return [Request(wire, f"GET {path}", validate=n % 10 == 0) for n in range(count)]

    _warm_up(ctx, requests(s.warmup), _check_page)
    for n in range(1, s.repeat + 1):
        stats = result.add(ctx.run(requests(s.queries), _check_page))
        ctx.log(_line("cohort-page", n, s.repeat, stats))
    return result
