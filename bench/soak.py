"""Long-running and hostile load: ``soak`` and ``auth-attack`` (both need ``--spawn``).

``soak``
    ``--soak-seconds`` (default 600) of batched POSTs paced at ``--soak-share`` (80%) of the
    peak batched rate, measured first for ``--soak-peak-seconds`` as fast as the server
    answers, beside a steady trickle of single POSTs and agent queries (``--soak-trickle``
    requests/s each). Every gunicorn worker's RSS is sampled every few seconds; after the
    warm-up (the first fifth of the run) it must stay within 10% of its value then, and no
    request may fail. Batches are a pool of pre-built bodies whose statement ids are
    replaced by fresh ones on each send (a body per send would cost the client more CPU
    than the server spends on it); with a pool of 1,000 batches a statement's content comes
    back at most about a dozen times in ten minutes.
``auth-attack``
    Valid clients' latency (GET one statement, ``--connections`` connections) alone, then
    while ``--attackers`` threads send wrong secrets as fast as they are answered (for the
    valid key; with ``--attack-unknown-keys`` half of them for random keys). Compare a run
    against one of the code before (``--server-dir``), or with the limits lifted
    (``--server-env LMS_BRIDGE_FAILED_AUTH_PER_KEY=1000000/minute`` and ``..._PER_ADDRESS``).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.client import RETRYABLE, Connection, Endpoint, Failure, Request, Response, RunResult
from bench.report import Goal, ScenarioResult, percentile
from bench.scenarios import Context, _line, _post, check_ids, scenario
from bench.statements import StatementFactory, serialize

POOL_BATCHES = 1000
RSS_EVERY_S = 5.0
WARM_UP_SHARE = 0.2
RSS_TOLERANCE = 0.10


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: processes whose parent is the master."""
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command may contain spaces or parentheses: fields start after the last ')'
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == master:
            workers.append(int(entry.name))
    return sorted(workers)


def rss_kib(pid: int) -> int | None:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@dataclass
class Stream:
    """Measurements of one paced stream of requests."""

    name: str
    result: RunResult = field(default_factory=RunResult)
    windows: list[list[float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, latency: float, statements: int, window: int) -> None:
        with self.lock:
            self.result.latencies.append(latency)
            self.result.requests += 1
            self.result.statements += statements
            while len(self.windows) <= window:
                self.windows.append([])
            self.windows[window].append(latency)

    def fail(self, label: str, status: int, detail: str) -> None:
        with self.lock:
            self.result.failure_count += 1
            if len(self.result.failures) < 5:
                self.result.failures.append(Failure(label, status, detail[:300]))


def _exchange(connection: Connection, wire: bytes) -> tuple[int, bytes]:
    try:
        response = connection.exchange(wire)
    except RETRYABLE:
        connection.close()
        response = connection.exchange(wire)
    return response.status, response.body


@dataclass(frozen=True)
class Pace:
    """One paced stream: what to send, how often (0 = as fast as answers come), until when."""

    endpoint: Endpoint
    make: Callable[[], Request]
    interval: float
    started: float
    until: float
    window_s: float
    check: Callable[[Request, int, bytes], str | None] | None = None


def paced(pace: Pace, stream: Stream) -> None:
    """Send ``pace.make()`` every ``pace.interval`` seconds until ``pace.until`` (no catch-up
    bursts: a stream that fell behind starts again from now)."""
    connection = Connection(pace.endpoint, 60.0)
    due = time.perf_counter()
    try:
        while due < pace.until:
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            request = pace.make()
            sent = time.perf_counter()
            try:
                status, body = _exchange(connection, request.wire)
            except (OSError, ValueError) as error:
                connection.close()
                stream.fail(request.label, 0, f"{type(error).__name__}: {error}")
                due += pace.interval
                continue
            latency = time.perf_counter() - sent
            problem = None
            if not 200 <= status < 300:
                problem = body.decode("utf-8", "replace")
            elif pace.check is not None:
                problem = pace.check(request, status, body)
            if problem is not None:
                stream.fail(request.label, status, problem)
            else:
                window = int((sent - pace.started) // pace.window_s)
                stream.record(latency, request.statements, window)
            due = max(due + pace.interval, time.perf_counter() - pace.interval)
    finally:
        connection.close()


def _run_streams(jobs: list[tuple[Pace, Stream]]) -> list[threading.Thread]:
    threads = [threading.Thread(target=paced, args=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    return threads


@dataclass
class Attack:
    """Threads sending wrong secrets as fast as they are answered, counting the statuses:
    the valid key's, except every ``unknown_every``-th thread, which tries random keys."""

    endpoint: Endpoint
    valid_key: str
    unknown_every: int = 2
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, slot: int) -> None:
        connection = Connection(self.endpoint, 60.0)
        plain = self.endpoint.request("GET", "/statements?limit=1")
        try:
            while not self.stop.is_set():
                unknown = self.unknown_every and slot % self.unknown_every == 1
                key = secrets.token_urlsafe(12) if unknown else self.valid_key
                token = base64.b64encode(f"{key}:{secrets.token_urlsafe(16)}".encode())
                wire = plain.replace(self.endpoint.authorization.encode(), b"Basic " + token)
                try:
                    status, _ = _exchange(connection, wire)
                except (OSError, ValueError):
                    connection.close()
                    status = 0
                with self.lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
        finally:
            connection.close()


class BatchPool:
    """Pre-built batch bodies whose statement ids are fresh on every send."""

    def __init__(self, ctx: Context, batches: int, size: int) -> None:
        factory = StatementFactory(ctx.population, "soak", ctx.settings.seed)
        self.size = size
        self.templates: list[list[bytes]] = []
        for _ in range(batches):
            statements = factory.statements(size)
            for statement in statements:
                statement["id"] = str(uuid.uuid4())  # a placeholder, replaced on each send
            ctx.remember(statements)
            body = serialize(statements)
            pieces = []
            at = 0
            for statement in statements:
                position = body.index(statement["id"].encode(), at)
                pieces.append(body[at:position])
                at = position + 36
            pieces.append(body[at:])
            self.templates.append(pieces)
        self.counter = itertools.count()
        self.endpoint = ctx.endpoint

    def make(self) -> Request:
        pieces = self.templates[next(self.counter) % len(self.templates)]
        parts = [pieces[0]]
        for piece in pieces[1:]:
            parts.append(str(uuid.uuid4()).encode())
            parts.append(piece)
        wire = self.endpoint.request("POST", "/statements", b"".join(parts))
        return Request(wire, f"POST /statements (array of {self.size})", self.size)


def _ids_check(request: Request, status: int, body: bytes) -> str | None:
    return check_ids(request, Response(status, body))


@scenario("soak", "--soak-seconds at 80% of the peak batched rate + trickles; RSS", default=False)
def soak(ctx: Context) -> ScenarioResult:
    """0 errors and flat worker memory under sustained load."""
    s = ctx.settings
    result = ScenarioResult(
        "soak",
        f"batched POSTs at {s.soak_share:.0%} of peak for {s.soak_seconds:.0f} s, per-minute "
        "windows, with single POSTs and agent queries trickling",
        goal=Goal("failures", "<", 1, ""),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (it samples the server's workers)")
        return result
    ctx.log(f"  soak: building {POOL_BATCHES} batches of {s.batch}")
    pool = BatchPool(ctx, POOL_BATCHES, s.batch)
    # the peak: as fast as answers come, for a short while
    peak_stream = Stream("peak")
    peak_until = time.perf_counter() + s.soak_peak_seconds
    start = time.perf_counter()
    peak = Pace(ctx.endpoint, pool.make, 0.0, start, peak_until, 60.0)
    threads = _run_streams([(peak, peak_stream)] * s.connections)
    for thread in threads:
        thread.join()
    peak_rate = peak_stream.result.statements / (time.perf_counter() - start)
    ctx.stored += peak_stream.result.statements
    target = s.soak_share * peak_rate
    ctx.log(f"  soak: peak {peak_rate:,.0f} stmt/s; holding {target:,.0f} stmt/s")
    interval = s.batch * s.connections / target

    factory = StatementFactory(ctx.population, "soak-single", s.seed)
    learners = list(ctx.population.learners)
    picks = itertools.count()

    def single() -> Request:
        return _post(ctx, factory.statement(), 1, validate=True)

    def query() -> Request:
        learner = learners[next(picks) * 7919 % len(learners)]
        agent = quote(json.dumps(learner.query_agent(), separators=(",", ":")), safe="")
        return Request(
            ctx.endpoint.request("GET", f"/statements?agent={agent}&limit={s.limit}"),
            "GET /statements?agent=<account>",
        )

    batched, singles, queries = Stream("batched"), Stream("single"), Stream("query")
    started = time.perf_counter()
    until = started + s.soak_seconds
    window = 60.0 if s.soak_seconds >= 300 else max(s.soak_seconds / 5, 1.0)
    gap = 1 / s.soak_trickle
    threads = _run_streams(
        [(Pace(ctx.endpoint, pool.make, interval, started, until, window, _ids_check), batched)]
        * s.connections
        + [
            (Pace(ctx.endpoint, single, gap, started, until, window, _ids_check), singles),
            (Pace(ctx.endpoint, query, gap, started, until, window), queries),
        ]
    )
    samples: dict[int, list[tuple[float, int]]] = {}
    master = ctx.spawned.pid
    while any(thread.is_alive() for thread in threads):
        moment = time.perf_counter() - started
        for pid in worker_pids(master):
            kib = rss_kib(pid)
            if kib is not None:
                samples.setdefault(pid, []).append((moment, kib))
        time.sleep(RSS_EVERY_S)
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started

    for n, latencies in enumerate(batched.windows):
        ordered = sorted(latencies)
        run = RunResult(latencies=ordered, wall=window, requests=len(ordered))
        run.statements = len(ordered) * s.batch
        stats = result.add(run)
        ctx.log(_line("soak", n + 1, len(batched.windows), stats))
    result.failure_count = sum(x.result.failure_count for x in (batched, singles, queries))
    for x in (batched, singles, queries):
        result.failures.extend(x.result.failures[:2])
    ctx.stored += batched.result.statements + singles.result.statements
    result.notes.append(
        f"peak {peak_rate:,.0f} stmt/s measured for {s.soak_peak_seconds:.0f} s; held "
        f"{batched.result.statements / wall:,.0f} stmt/s (target {target:,.0f}) for {wall:.0f} s"
    )
    for x in (singles, queries):
        ordered = sorted(x.result.latencies)
        result.notes.append(
            f"{x.name}: {x.result.requests:,} requests, p50 {percentile(ordered, 50) * 1000:.1f} "
            f"ms, p99 {percentile(ordered, 99) * 1000:.1f} ms, failed {x.result.failure_count}"
        )
    flat = True
    warm = s.soak_seconds * WARM_UP_SHARE
    for pid, points in sorted(samples.items()):
        after = [kib for moment, kib in points if moment >= warm]
        if not after:
            continue
        base, top, last = after[0], max(after), after[-1]
        growth = (top - base) / base
        flat &= growth <= RSS_TOLERANCE
        result.notes.append(
            f"worker {pid}: RSS {base / 1024:.1f} MiB after warm-up, max {top / 1024:.1f}, "
            f"end {last / 1024:.1f} MiB (+{growth:.1%}; {len(points)} samples)"
        )
    result.notes.append(
        f"memory {'flat' if flat else 'NOT flat'} within {RSS_TOLERANCE:.0%} after the first "
        f"{warm:.0f} s; errors: {result.failure_count}"
    )
    if not flat:
        result.failure_count += 1
        result.failures.append(Failure("worker RSS", 0, "grew more than 10% after warm-up"))
    return result


@scenario(
    "auth-attack", "valid clients' latency alone, then under wrong-secret floods", default=False
)
def auth_attack(ctx: Context) -> ScenarioResult:
    """What failed sign-ins cost everyone else: valid p50/p99 alone vs under attack."""
    s = ctx.settings
    result = ScenarioResult(
        "auth-attack",
        f"GET /statements?limit=1, {s.connections} valid connections at {s.valid_rate:g} req/s "
        f"each; run 1 alone, run 2 with {s.attackers} attacker threads",
    )
    probe = Request(ctx.endpoint.request("GET", "/statements?limit=1"), "GET /statements?limit=1")
    seconds = s.attack_seconds
    gap = 1 / s.valid_rate  # each valid connection: a steady client, not a flood of its own

    def valid_run() -> RunResult:
        stream = Stream("valid")
        start = time.perf_counter()
        pace = Pace(ctx.endpoint, lambda: probe, gap, start, start + seconds, seconds + 1)
        threads = _run_streams([(pace, stream)] * s.connections)
        for thread in threads:
            thread.join()
        stream.result.wall = time.perf_counter() - start
        stream.result.latencies.sort()
        return stream.result

    for thread_count in (0, s.attackers):
        attack = Attack(ctx.endpoint, ctx.settings.key, 2 if s.attack_unknown_keys else 0)
        attackers = [
            threading.Thread(target=attack.run, args=(i,), daemon=True) for i in range(thread_count)
        ]
        for thread in attackers:
            thread.start()
        attack_started = time.perf_counter()
        run = valid_run()
        attack.stop.set()
        for thread in attackers:
            thread.join()
        attack_wall = time.perf_counter() - attack_started
        stats = result.add(run)
        label = "alone" if not thread_count else f"under attack ({thread_count} threads)"
        ctx.log(_line(f"auth-attack {label}", len(result.runs), 2, stats))
        if thread_count:
            total = sum(attack.statuses.values())
            result.notes.append(
                f"attackers: {total:,} attempts in {attack_wall:.0f} s "
                f"({total / attack_wall:,.0f}/s): "
                + ", ".join(
                    f"{code or 'no answer'}: {n:,}" for code, n in sorted(attack.statuses.items())
                )
            )
        result.notes.append(
            f"valid clients {label}: p50 {stats.p50_ms:.1f} ms, p99 {stats.p99_ms:.1f} ms, "
            f"{stats.requests_per_s:,.0f} req/s"
        )
    limits = {k: v for k, v in ctx.spawned.env.items() if "FAILED_AUTH" in k} if ctx.spawned else {}
    result.notes.append(
        f"server limits: {limits or 'defaults (10/minute per key, 30/minute per address)'}"
    )
    return result
