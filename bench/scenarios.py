"""The scenarios: one function each, registered by name, run in registration order.

A scenario builds all its requests first (serialised bytes: no JSON encoding while the clock
runs), sends them with :func:`bench.client.run_requests`, and returns a
:class:`bench.report.ScenarioResult` with one :class:`RunStats` per run. To add one (cohort
progress, say), write a function taking a :class:`Context` and decorate it with
``@scenario("name", "what it measures")``; ``--scenarios`` then selects it by name.
"""

from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from bench.client import Endpoint, Request, Response, RunResult, Validator, run_requests
from bench.report import Goal, RunStats, ScenarioResult
from bench.server import Spawned
from bench.statements import Json, Population, StatementFactory, serialize

VALIDATE_EVERY = 10  # parse one query answer in ten (and every POST answer): cheap but telling


@dataclass(frozen=True)
class Settings:
    """The options of one benchmark run (see ``python -m bench --help``)."""

    url: str
    key: str
    secret: str
    statements: int = 100_000
    batch: int = 100
    connections: int = 4
    single: int = 2000
    queries: int = 500
    limit: int = 25
    repeat: int = 3
    round_size: int = 10_000
    warmup: int = 20
    seed: int = 1
    timeout: float = 60.0
    max_failures: int = 50
    scenarios: tuple[str, ...] = ()
    soak_seconds: float = 600.0
    soak_peak_seconds: float = 30.0
    soak_share: float = 0.8
    soak_trickle: float = 5.0
    attackers: int = 8
    attack_seconds: float = 20.0
    valid_rate: float = 20.0
    attack_unknown_keys: bool = False
    recompute_people: int = 100_000
    recompute_statements: int = 1_000_000
    million_statements: int = 1_000_000


@dataclass
class Context:
    """What scenarios share: settings, the population, and what was stored so far."""

    settings: Settings
    endpoint: Endpoint
    population: Population
    stored: int = 0  # statements this benchmark stored (the server may hold more)
    users_with_statements: set[str] = field(default_factory=set)
    verbs_with_statements: set[str] = field(default_factory=set)
    log: Callable[[str], None] = field(default=lambda line: print(line, file=sys.stderr))
    spawned: Spawned | None = None

    def remember(self, statements: Iterable[Json]) -> None:
        for s in statements:
            self.users_with_statements.add(s["actor"]["account"]["name"])
            self.verbs_with_statements.add(s["verb"]["id"])

    def run(self, requests: Sequence[Request], validator: Validator | None = None) -> RunResult:
        s = self.settings
        return run_requests(
            self.endpoint,
            requests,
            s.connections,
            validator=validator,
            timeout=s.timeout,
            max_failures=s.max_failures,
        )


ScenarioFunction = Callable[[Context], ScenarioResult]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    function: ScenarioFunction
    default: bool = True
    """Run when --scenarios is not given (the long and hostile ones are asked for by name)."""


REGISTRY: dict[str, Scenario] = {}


def scenario(
    name: str, summary: str, *, default: bool = True
) -> Callable[[ScenarioFunction], ScenarioFunction]:
    def register(function: ScenarioFunction) -> ScenarioFunction:
        REGISTRY[name] = Scenario(name, summary, function, default)
        return function

    return register


def _line(name: str, n: int, total: int, stats: RunStats) -> str:
    rate = f" = {stats.statements_per_s:,.0f} stmt/s" if stats.statements else ""
    return (
        f"  {name} run {n}/{total}: {stats.requests:,} requests in {stats.wall_s:.2f} s, "
        f"{stats.requests_per_s:,.0f} req/s{rate}, p50 {stats.p50_ms:.1f} ms, "
        f"p99 {stats.p99_ms:.1f} ms, steal {stats.steal_pct:.0f}%, failed {stats.failures}"
    )


def check_ids(request: Request, response: Response) -> str | None:
    """A POST answers with one statement id per statement sent."""
    try:
        ids = json.loads(response.body)
    except ValueError:
        return f"answer is not JSON: {response.body[:200]!r}"
    if not isinstance(ids, list) or len(ids) != request.statements:
        return f"expected {request.statements} ids, got {response.body[:200]!r}"
    return None


def _post(ctx: Context, payload: Json | list[Json], count: int, validate: bool) -> Request:
    wire = ctx.endpoint.request("POST", "/statements", serialize(payload))
    what = "1 statement" if isinstance(payload, dict) else f"array of {count}"
    return Request(wire, f"POST /statements ({what})", count, validate=validate)


def _warm_up(ctx: Context, requests: Sequence[Request], validator: Validator | None) -> None:
    """Untimed requests first: gunicorn workers import lazily and open pooled connections."""
    if requests:
        run = ctx.run(requests, validator)
        ctx.stored += run.statements
        if run.failure_count:
            first = run.failures[0]
            ctx.log(f"  warm-up: {run.failure_count} failed, first [{first.status}] {first.detail}")


@scenario("seed", "batched POSTs of --batch statements; stores --statements for the queries")
def seed(ctx: Context) -> ScenarioResult:
    """Throughput of batched writes, which is how an LMS plugin flushes its queue.

    The total is sent in equal rounds (of at most --round statements, at least three when
    there are three batches) so that the median round is reported and the database grows as
    it is measured. Each round's bodies are generated before that round's clock starts, so
    between rounds the server idles for the second or so that takes.
    """
    s = ctx.settings
    result = ScenarioResult(
        "seed",
        f"POST {s.batch} statements per request over {s.connections} connections",
        goal=Goal("statements_per_s", ">=", 3000, ""),
    )
    if s.statements <= 0:
        result.notes.append("skipped: --statements 0")
        return result
    factory = StatementFactory(ctx.population, "seed", s.seed)
    sizes = [s.batch] * (s.statements // s.batch)
    if s.statements % s.batch:
        sizes.append(s.statements % s.batch)
    rounds = max(math.ceil(s.statements / s.round_size), min(3, len(sizes)))
    per_round, extra = divmod(len(sizes), rounds)
    start = 0
    for n in range(1, rounds + 1):
        end = start + per_round + (1 if n <= extra else 0)
        requests = []
        for size in sizes[start:end]:
            batch = factory.statements(size)
            ctx.remember(batch)
            requests.append(_post(ctx, batch, size, validate=True))
        start = end
        run = ctx.run(requests, check_ids)
        ctx.stored += run.statements
        ctx.log(_line("seed", n, rounds, result.add(run)) + f", stored {ctx.stored:,}")
        if run.failure_count >= s.max_failures:
            result.notes.append(f"stopped after round {n}: too many failures")
            break
    return result


@scenario("single", "single-statement POSTs (one statement object per request), --repeat runs")
def single(ctx: Context) -> ScenarioResult:
    """Latency of one statement per request: the LMS plugin in real-time mode."""
    s = ctx.settings
    result = ScenarioResult(
        "single",
        f"POST 1 statement per request over {s.connections} connections",
        goal=Goal("p99_ms", "<", 30, " ms"),
    )
    if s.single <= 0:
        result.notes.append("skipped: --single 0")
        return result
    factory = StatementFactory(ctx.population, "single", s.seed)

    def requests(count: int) -> list[Request]:
        statements = factory.statements(count)
        ctx.remember(statements)
        return [_post(ctx, st, 1, validate=True) for st in statements]

    _warm_up(ctx, requests(s.warmup * s.connections), check_ids)
    for n in range(1, s.repeat + 1):
        run = ctx.run(requests(s.single), check_ids)
        ctx.stored += run.statements
        ctx.log(_line("single", n, s.repeat, result.add(run)))
    return result


def _query_result(name: str, what: str, ctx: Context) -> ScenarioResult:
    s = ctx.settings
    result = ScenarioResult(
        name,
        f"GET /statements?{what}&limit={s.limit} over {s.connections} connections",
        goal=Goal("p99_ms", "<", 50, " ms"),
    )
    if ctx.stored < 100_000:
        result.notes.append(
            f"this run stored {ctx.stored:,} statements (the server may hold more); "
            "the query target is for >= 100,000 stored"
        )
    return result


def _check_query(field_path: tuple[str, ...], limit: int) -> Validator:
    """A query answer is a StatementResult whose statements all match the filter."""

    def validate(request: Request, response: Response) -> str | None:
        try:
            document = json.loads(response.body)
        except ValueError:
            return f"answer is not JSON: {response.body[:200]!r}"
        statements = document.get("statements") if isinstance(document, dict) else None
        if not isinstance(statements, list):
            return f"no 'statements' list in {response.body[:200]!r}"
        if len(statements) > limit:
            return f"limit={limit} but {len(statements)} statements came back"
        expected, known = request.expect if isinstance(request.expect, tuple) else (None, False)
        if known and not statements:
            return "no statements, though this benchmark stored some that match"
        for statement in statements:
            value: object = statement
            for key in field_path:
                value = value.get(key) if isinstance(value, dict) else None
            if value != expected:
                return f"a statement does not match: {'.'.join(field_path)}={value!r}"
        return None

    return validate


def _run_queries(
    ctx: Context,
    result: ScenarioResult,
    make: Callable[[random.Random], Request],
    validator: Validator,
) -> ScenarioResult:
    s = ctx.settings
    if s.queries <= 0:
        result.notes.append("skipped: --queries 0")
        return result
    rng = random.Random(f"{result.name}-{s.seed}")
    _warm_up(ctx, [make(rng) for _ in range(s.warmup * s.connections)], validator)
    for n in range(1, s.repeat + 1):
        requests = [make(rng) for _ in range(s.queries)]
        ctx.log(_line(result.name, n, s.repeat, result.add(ctx.run(requests, validator))))
    return result


@scenario("query-agent", "GET statements of one learner (agent=...&limit=--limit), --repeat runs")
def query_agent(ctx: Context) -> ScenarioResult:
    """Latency of a learner's recent statements: what a progress page or the LMS asks for."""
    s = ctx.settings
    learners = ctx.population.learners
    known = [lr for lr in learners if str(lr.user_id) in ctx.users_with_statements]
    pool = known or list(learners)
    counter = iter(range(1 << 62))

    def make(rng: random.Random) -> Request:
        learner = rng.choice(pool)
        agent = json.dumps(learner.query_agent(), separators=(",", ":"))
        query = f"agent={quote(agent, safe='')}&limit={s.limit}"
        name = str(learner.user_id)
        return Request(
            ctx.endpoint.request("GET", f"/statements?{query}"),
            f"GET /statements?agent=<account {name}>",
            expect=(name, name in ctx.users_with_statements),
            validate=next(counter) % VALIDATE_EVERY == 0,
        )

    result = _query_result("query-agent", "agent=<account>", ctx)
    return _run_queries(ctx, result, make, _check_query(("actor", "account", "name"), s.limit))


@scenario("query-verb", "GET statements with one verb (verb=<IRI>&limit=--limit), --repeat runs")
def query_verb(ctx: Context) -> ScenarioResult:
    """Latency of a verb filter, e.g. every recent completion, over a large share of the table."""
    s = ctx.settings
    verbs = [v.id for v in ctx.population.verbs]
    counter = iter(range(1 << 62))

    def make(rng: random.Random) -> Request:
        verb = rng.choice(verbs)
        query = urlencode({"verb": verb, "limit": s.limit})
        return Request(
            ctx.endpoint.request("GET", f"/statements?{query}"),
            f"GET /statements?verb={verb}",
            expect=(verb, verb in ctx.verbs_with_statements),
            validate=next(counter) % VALIDATE_EVERY == 0,
        )

    result = _query_result("query-verb", "verb=<IRI>", ctx)
    return _run_queries(ctx, result, make, _check_query(("verb", "id"), s.limit))


@scenario("recompute", "lms-bridge credit recompute over everything stored (needs --spawn)")
def recompute(ctx: Context) -> ScenarioResult:
    """Rebuilding the JP ledger from stored statements, as after a policy change.

    Runs the real command on the spawned server's database and times the whole process
    (start-up included). Target: 100,000 statements in under 60 s.
    """
    result = ScenarioResult(
        "recompute",
        "lms-bridge credit recompute (whole ledger, chunks of 100 identities)",
        goal=Goal("wall_s", "<", 60, " s"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (it runs the CLI on the server's database)")
        return result
    started = time.perf_counter()
    output = ctx.spawned.run_cli("credit", "recompute")
    wall = time.perf_counter() - started
    counted = re.search(r"(\d+) statements", output)
    read = int(counted.group(1)) if counted else 0
    result.runs.append(RunStats.one_process(wall, read))
    ctx.log(f"  recompute: {read:,} statements in {wall:.1f} s")
    return result


from bench import agency as _agency  # noqa: E402, F401  (registers agency-page, agency-xlsx)
from bench import cohort as _cohort  # noqa: E402, F401  (registers cohort-progress, after the queries)
from bench import cohort_page as _cohort_page  # noqa: E402, F401  (registers cohort-page)
from bench import ledger_scale as _ledger_scale  # noqa: E402, F401  (recompute-scale)
from bench import million as _million  # noqa: E402, F401  (million)
from bench import queue as _queue  # noqa: E402, F401  (registers queue-first, queue-filtered)
from bench import soak as _soak  # noqa: E402, F401  (soak, auth-attack)
