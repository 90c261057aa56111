"""``million``: a store grown to a million statements, and what it costs as it grows.

Only when named (``--scenarios million``), with ``--spawn`` on a fresh database:

1. **Ingestion as the store grows.** ``--million-statements`` (default 1,000,000) Moodle-like
   statements (``bench/statements.py``), POSTed through the real server in batches of
   :data:`BATCH` over ``--connections``, credit on (the server's default), in ten equal
   steps; each step's rate is reported, and the ratio of the last step's to the first's.
   Learners are in proportion to the size (:data:`STATEMENTS_PER_LEARNER` each: at a million
   a learner has ~2,000 statements, the reference shape), half identified by NIP under
   SIASN's home page (credited) and half by Moodle user id (parked as unmatched).
   Between steps the clock stops while the next step's bodies are generated; on PostgreSQL
   the database's size, checkpoints, buffers written by backends and blocks read from disk
   are sampled, and the machine's iowait is measured over each step.
2. **Queries at full size**, after ``ANALYZE`` (what autovacuum would have done): pages of
   :data:`QUERY_LIMIT` by agent, verb, activity and registration, ``--queries`` requests
   per run, ``--repeat`` runs each.
3. **Single POSTs** at full size: ``--single`` one-statement requests per run.
4. **``lms-bridge credit recompute --restart``** as a process: wall time and peak RSS
   (``wait4``).
5. **Bytes per statement by table**: ``pg_total_relation_size`` of each table (heap, TOAST
   and indexes) over the statements stored, and every index's own size (SQLite: ``dbstat``).

Targets (the issue "Scale past a million statements"): last step >= 70% of the first's
rate; agent queries p99 < 50 ms; recompute < 120 s in < 500 MB; <= 2,500 bytes a statement.
"""

from __future__ import annotations

import json
import math
import os
import re
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from bench.client import Request, RunResult
from bench.report import RunStats, ScenarioResult
from bench.scenarios import (
    VALIDATE_EVERY,
    Context,
    _check_query,
    _line,
    _post,
    _warm_up,
    check_ids,
    scenario,
)
from bench.server import Spawned, executable
from bench.statements import (
    REGISTRATION_NAMESPACE,
    Json,
    Population,
    StatementFactory,
)

BATCH = 500
STEPS = 10
STATEMENTS_PER_LEARNER = 2000
QUERY_LIMIT = 100
TARGET_RATIO = 0.7
TARGET_AGENT_P99_MS = 50.0
TARGET_RECOMPUTE_S = 120.0
TARGET_RECOMPUTE_MIB = 500.0
TARGET_BYTES = 2500.0


@dataclass(frozen=True)
class Step:
    """One tenth of the ingestion, and what the database and the machine did meanwhile."""

    stored_after: int
    statements_per_s: float
    p99_ms: float
    iowait_pct: float
    database_mb: float | None = None
    checkpoints: int | None = None
    buffers_backend: int | None = None
    blocks_read: int | None = None
    wal_per_statement: float | None = None
    """WAL bytes the server wrote per statement stored (the whole server: others' too)."""
    writes_per_statement: float | None = None
    """Buffers written by checkpoints, the background writer and backends, per statement."""


def _cpu_ticks() -> tuple[int, int] | None:
    """(iowait, total) jiffies of the whole machine; None off Linux."""
    try:
        with open("/proc/stat", "rb") as stat:
            fields = [int(x) for x in stat.readline().split()[1:9]]
    except OSError:
        return None
    return fields[4], sum(fields)


def _iowait_pct(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float:
    if before is None or after is None or after[1] <= before[1]:
        return math.nan
    return 100 * (after[0] - before[0]) / (after[1] - before[1])


class Database:
    """The spawned server's database, read beside it: psql for PostgreSQL, sqlite3 else."""

    def __init__(self, spawned: Spawned) -> None:
        url = spawned.database_url
        self.postgresql = url.startswith("postgresql")
        self.url = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
        self.path = url.removeprefix("sqlite:///") if not self.postgresql else ""

    def rows(self, sql: str, timeout: float = 600) -> list[list[str]]:
        if not self.postgresql:
            with sqlite3.connect(self.path, timeout=timeout) as connection:
                return [[str(v) for v in row] for row in connection.execute(sql).fetchall()]
        done = subprocess.run(
            ["psql", self.url, "-AtqX", "-F", "\t", "-c", sql],
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()[:500]}")
        return [line.split("\t") for line in done.stdout.splitlines() if line]

    def value(self, sql: str) -> str:
        rows = self.rows(sql)
        return rows[0][0] if rows and rows[0] else ""

    def counters(self) -> dict[str, int]:
        """Cumulative counters of PostgreSQL (none on SQLite)."""
        if not self.postgresql:
            return {}
        [[size, checkpoints, backend, written, read, wal]] = self.rows(
            "SELECT pg_database_size(current_database()), "
            "checkpoints_timed + checkpoints_req, buffers_backend, "
            "buffers_checkpoint + buffers_clean + buffers_backend, "
            "(SELECT blks_read FROM pg_stat_database WHERE datname = current_database()), "
            "pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint FROM pg_stat_bgwriter"
        )
        return {
            "size": int(size),
            "checkpoints": int(checkpoints),
            "buffers_backend": int(backend),
            "buffers_written": int(written),
            "blocks_read": int(read),
            "wal": int(wal),
        }

    def table_sizes(self) -> list[tuple[str, int, int, int]]:
        """(table, total bytes, heap+TOAST bytes, index bytes), largest first."""
        if self.postgresql:
            rows = self.rows(
                "SELECT c.relname, pg_total_relation_size(c.oid), "
                "pg_total_relation_size(c.oid) - pg_indexes_size(c.oid), pg_indexes_size(c.oid) "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
                "ORDER BY 2 DESC"
            )
            return [(name, int(total), int(heap), int(ix)) for name, total, heap, ix in rows]
        tables = dict(self.rows("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'table'"))
        owner = dict(self.rows("SELECT name, tbl_name FROM sqlite_schema WHERE tbl_name != ''"))
        sizes: dict[str, list[int]] = {}
        for name, size in self.rows("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            sizes.setdefault(table, [0, 0])
            if name in tables:
                sizes[table][0] += int(size)
            else:
                sizes[table][1] += int(size)
        return sorted(((t, h + i, h, i) for t, (h, i) in sizes.items()), key=lambda row: -row[1])

    def index_sizes(self) -> list[tuple[str, str, int]]:
        """(table, index, bytes) of every index, largest first."""
        if self.postgresql:
            rows = self.rows(
                "SELECT t.relname, i.relname, pg_relation_size(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = current_schema() ORDER BY 3 DESC"
            )
            return [(table, index, int(size)) for table, index, size in rows]
        owner = dict(self.rows("SELECT name, tbl_name FROM sqlite_schema WHERE type = 'index'"))
        rows = self.rows("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        return [(owner[name], name, int(size)) for name, size in rows if name in owner]

    def settings(self) -> dict[str, str]:
        """The PostgreSQL settings that shape this workload (as the server runs them)."""
        if not self.postgresql:
            return {}
        rows = self.rows("SELECT name, current_setting(name) FROM pg_settings ORDER BY name")
        return {name: value for name, value in rows if name in SETTINGS_SHOWN}


SETTINGS_SHOWN = (
    "server_version",
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "wal_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "checkpoint_completion_target",
    "synchronous_commit",
    "wal_compression",
    "autovacuum",
    "random_page_cost",
    "effective_io_concurrency",
    "max_locks_per_transaction",
    "jit",
)


def _population(total: int, seed: int) -> Population:
    return Population.build(seed, learners=max(2, round(total / STATEMENTS_PER_LEARNER)))


def _ingest(
    ctx: Context, db: Database, population: Population, total: int
) -> list[tuple[Step, RunStats]]:
    """Ten steps of batched POSTs; each step's figures as the store grows."""
    s = ctx.settings
    factory = StatementFactory(population, "million", s.seed)
    steps: list[tuple[Step, RunStats]] = []
    sent = 0
    for n in range(1, STEPS + 1):
        size = total * n // STEPS - sent
        requests = []
        left = size
        while left > 0:
            batch = factory.statements(min(BATCH, left))
            left -= len(batch)
            ctx.remember(batch)
            requests.append(_post(ctx, batch, len(batch), validate=True))
        before, ticks = db.counters(), _cpu_ticks()
        run = ctx.run(requests, check_ids)
        iowait = _iowait_pct(ticks, _cpu_ticks())
        after = db.counters()
        sent += size
        ctx.stored += run.statements
        stats = RunStats.from_run(run)
        step = Step(
            stored_after=sent,
            statements_per_s=stats.statements_per_s,
            p99_ms=stats.p99_ms,
            iowait_pct=iowait,
            database_mb=after["size"] / 1e6 if after else None,
            checkpoints=after["checkpoints"] - before["checkpoints"] if after else None,
            buffers_backend=after["buffers_backend"] - before["buffers_backend"] if after else None,
            blocks_read=after["blocks_read"] - before["blocks_read"] if after else None,
            wal_per_statement=(after["wal"] - before["wal"]) / size if after else None,
            writes_per_statement=(
                (after["buffers_written"] - before["buffers_written"]) / size if after else None
            ),
        )
        steps.append((step, stats))
        ctx.log(
            _line("million ingest", n, STEPS, stats) + f", iowait {iowait:.0f}%, stored {sent:,}"
        )
        if run.failure_count:
            raise IngestFailed(run)
    return steps


class IngestFailed(RuntimeError):
    def __init__(self, run: RunResult) -> None:
        super().__init__(f"ingestion: {run.failure_count} failed requests")
        self.run = run


def _agent_query(ctx: Context, population: Population) -> Callable[[int], Request]:
    learners = population.learners

    def make(n: int) -> Request:
        learner = learners[(n * 7919) % len(learners)]
        agent = json.dumps(learner.query_agent(), separators=(",", ":"))
        name = str(learner.account["name"])
        return Request(
            ctx.endpoint.request(
                "GET", f"/statements?agent={quote(agent, safe='')}&limit={QUERY_LIMIT}"
            ),
            f"GET /statements?agent=<account {name}>",
            expect=(name, name in ctx.users_with_statements),
            validate=n % VALIDATE_EVERY == 0,
        )

    return make


def _verb_query(ctx: Context, population: Population) -> Callable[[int], Request]:
    verbs = [v.id for v in population.verbs]

    def make(n: int) -> Request:
        verb = verbs[n % len(verbs)]
        return Request(
            ctx.endpoint.request(
                "GET", "/statements?" + urlencode({"verb": verb, "limit": QUERY_LIMIT})
            ),
            f"GET /statements?verb={verb}",
            expect=(verb, verb in ctx.verbs_with_statements),
            validate=n % VALIDATE_EVERY == 0,
        )

    return make


def _activity_query(ctx: Context, population: Population) -> Callable[[int], Request]:
    learners = population.learners
    courses = sorted({c for learner in learners for c in population.program_of(learner).courses})
    activities = [
        a.id for c in courses for a in population.courses[c].modules if a.kind != "question"
    ]

    def make(n: int) -> Request:
        activity = activities[(n * 31) % len(activities)]
        return Request(
            ctx.endpoint.request(
                "GET", "/statements?" + urlencode({"activity": activity, "limit": QUERY_LIMIT})
            ),
            f"GET /statements?activity={activity}",
            expect=(activity, False),
            validate=n % VALIDATE_EVERY == 0,
        )

    return make


def _registration_query(ctx: Context, population: Population) -> Callable[[int], Request]:
    import uuid  # noqa: PLC0415

    pairs = [
        (learner.user_id, population.courses[c].course_id)
        for learner in population.learners
        for c in population.program_of(learner).courses
    ]

    def make(n: int) -> Request:
        user, course = pairs[(n * 7919) % len(pairs)]
        registration = str(uuid.uuid5(REGISTRATION_NAMESPACE, f"{user}:{course}"))
        return Request(
            ctx.endpoint.request(
                "GET",
                "/statements?" + urlencode({"registration": registration, "limit": QUERY_LIMIT}),
            ),
            f"GET /statements?registration={registration}",
            expect=(registration, False),
            validate=n % VALIDATE_EVERY == 0,
        )

    return make


QUERIES: dict[
    str, tuple[Callable[[Context, Population], Callable[[int], Request]], tuple[str, ...]]
] = {
    "agent": (_agent_query, ("actor", "account", "name")),
    "verb": (_verb_query, ("verb", "id")),
    "activity": (_activity_query, ("object", "id")),
    "registration": (_registration_query, ("context", "registration")),
}


def _queries(ctx: Context, population: Population) -> dict[str, list[RunStats]]:
    s = ctx.settings
    measured: dict[str, list[RunStats]] = {}
    for name, (builder, path) in QUERIES.items():
        make = builder(ctx, population)
        validator = _check_query(path, QUERY_LIMIT)
        counter = iter(range(1 << 62))
        _warm_up(ctx, [make(next(counter)) for _ in range(s.warmup * s.connections)], validator)
        runs = measured.setdefault(name, [])
        for n in range(1, s.repeat + 1):
            result = ScenarioResult(name, "")
            stats = result.add(ctx.run([make(next(counter)) for _ in range(s.queries)], validator))
            if result.failure_count:
                raise QueryFailed(name, result)
            runs.append(stats)
            ctx.log(_line(f"million query {name}", n, s.repeat, stats))
    return measured


class QueryFailed(RuntimeError):
    def __init__(self, name: str, result: ScenarioResult) -> None:
        super().__init__(f"{name}: {result.failure_count} failed")
        self.result = result


def _singles(ctx: Context, population: Population) -> list[RunStats]:
    s = ctx.settings
    factory = StatementFactory(population, "million-single", s.seed)

    def requests(count: int) -> list[Request]:
        statements: list[Json] = factory.statements(count)
        ctx.remember(statements)
        return [_post(ctx, st, 1, validate=True) for st in statements]

    _warm_up(ctx, requests(s.warmup * s.connections), check_ids)
    runs = []
    for n in range(1, s.repeat + 1):
        result = ScenarioResult("single", "")
        run = ctx.run(requests(s.single), check_ids)
        ctx.stored += run.statements
        stats = result.add(run)
        runs.append(stats)
        ctx.log(_line("million single", n, s.repeat, stats))
    return runs


def _recompute(spawned: Spawned) -> tuple[float, float, int, str]:
    """(wall s, peak RSS MiB, statements read, output) of ``credit recompute --restart``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [executable("lms-bridge", spawned.server_dir), "credit", "recompute", "--restart"],
        cwd=spawned.server_dir,
        env=spawned.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()  # before wait4: a full pipe would block it
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"recompute exited {process.returncode}: {output[-500:]}")
    counted = re.search(r"(\d+) statements", output)
    return wall, usage.ru_maxrss / 1024, int(counted.group(1)) if counted else 0, output


def _median(values: list[float]) -> float:
    known = sorted(v for v in values if not math.isnan(v))
    if not known:
        return math.nan
    middle = len(known) // 2
    return known[middle] if len(known) % 2 else (known[middle - 1] + known[middle]) / 2


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def report_lines(details: dict[str, Any]) -> list[str]:
    """The scenario's own table: ingestion per step, then everything measured at the end."""
    lines = ["million: ingestion as the store grows (batches of 500, credit on)"]
    lines.append(
        f"  {'stored':>10}  {'stmt/s':>7}  {'p99 ms':>8}  {'iowait':>6}  {'db MB':>7}  "
        f"{'ckpts':>5}  {'backend wr':>10}  {'blks read':>10}  {'WAL B/st':>8}  "
        f"{'wr/st':>5}"
    )

    def cell(value: Any, width: int, digits: int = 0) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return f"{'-':>{width}}"
        return f"{value:>{width},.{digits}f}" if isinstance(value, float) else f"{value:>{width},}"

    for step in details["steps"]:
        lines.append(
            f"  {step['stored_after']:>10,}  {cell(step['statements_per_s'], 7)}  "
            f"{cell(step['p99_ms'], 8, 1)}  {cell(step['iowait_pct'], 5)}%  "
            f"{cell(step['database_mb'], 7)}  {cell(step['checkpoints'], 5)}  "
            f"{cell(step['buffers_backend'], 10)}  {cell(step['blocks_read'], 10)}  "
            f"{cell(step.get('wal_per_statement'), 8)}  "
            f"{cell(step.get('writes_per_statement'), 5, 2)}"
        )
    ratio = details["ratio_last_first"]
    lines.append(
        f"  last/first step: {ratio:.2f} (target >= {TARGET_RATIO}: "
        f"{_verdict(ratio >= TARGET_RATIO)}); overall {details['overall_statements_per_s']:,.0f} "
        "stmt/s"
    )
    lines.append(f"million: at {details['stored']:,} statements (medians of runs)")
    for name, figures in details["queries"].items():
        target = ""
        if name == "agent":
            target = f"  (target p99 < {TARGET_AGENT_P99_MS:g}: "
            target += f"{_verdict(figures['p99_ms'] < TARGET_AGENT_P99_MS)})"
        lines.append(
            f"  query {name:<13} p50 {figures['p50_ms']:7.1f} ms  p99 {figures['p99_ms']:7.1f} ms"
            f"  runs p99 {', '.join(f'{v:.1f}' for v in figures['p99_runs'])}{target}"
        )
    single = details["single"]
    if single:
        lines.append(
            f"  single POST          p50 {single['p50_ms']:7.1f} ms  p99 {single['p99_ms']:7.1f} "
            f"ms  runs p99 {', '.join(f'{v:.1f}' for v in single['p99_runs'])}"
        )
    recompute = details.get("recompute")
    if recompute:
        met = recompute["wall_s"] < TARGET_RECOMPUTE_S and (
            recompute["peak_rss_mib"] < TARGET_RECOMPUTE_MIB
        )
        lines.append(
            f"  credit recompute     {recompute['wall_s']:.1f} s, peak RSS "
            f"{recompute['peak_rss_mib']:.0f} MiB, {recompute['statements']:,} statements "
            f"(target < {TARGET_RECOMPUTE_S:g} s in < {TARGET_RECOMPUTE_MIB:g} MiB: "
            f"{_verdict(met)})"
        )
    total = details["bytes_per_statement_total"]
    lines.append(
        f"  bytes per statement: {total:,.0f} in all (target <= {TARGET_BYTES:,.0f}: "
        f"{_verdict(total <= TARGET_BYTES)}); by table (heap+TOAST / indexes):"
    )
    ingested = details.get("tables_before_recompute")
    if ingested:
        before = sum(t["bytes_per_statement"] for t in ingested)
        lines.append(
            f"    as ingested, before the recompute: {before:,.0f} (target: "
            f"{_verdict(before <= TARGET_BYTES)}); "
            + ", ".join(
                f"{t['table']} {t['bytes_per_statement']:,.0f}"
                for t in ingested
                if t["bytes_per_statement"] >= before / 100
            )
        )
    small = [t for t in details["tables"] if t["bytes_per_statement"] < total / 100]
    for table in details["tables"]:
        if table not in small:
            lines.append(
                f"    {table['table']:<32} {table['bytes_per_statement']:7,.0f}  "
                f"({table['heap_per_statement']:,.0f} / {table['indexes_per_statement']:,.0f})"
            )
    if small:
        rest = sum(t["bytes_per_statement"] for t in small)
        lines.append(f"    {f'{len(small)} other tables':<32} {rest:7,.0f}")
    return lines


def _tables(db: Database, stored: int) -> list[dict[str, Any]]:
    return [
        {
            "table": name,
            "bytes": size,
            "bytes_per_statement": size / max(stored, 1),
            "heap_per_statement": heap / max(stored, 1),
            "indexes_per_statement": indexes / max(stored, 1),
        }
        for name, size, heap, indexes in db.table_sizes()
    ]


@scenario(
    "million",
    "grow the store to --million-statements by batched POSTs: rate per tenth, then queries, "
    "single POSTs, recompute and bytes per statement (needs --spawn)",
    default=False,
)
def million(ctx: Context) -> ScenarioResult:
    s = ctx.settings
    total = s.million_statements
    result = ScenarioResult(
        "million",
        f"{total:,} statements in {STEPS} steps of batched POSTs ({BATCH} per request) over "
        f"{s.connections} connections; the rows are the steps",
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (it reads the server's database)")
        return result
    db = Database(ctx.spawned)
    population = _population(total, s.seed)
    ctx.log(
        f"  million: {total:,} statements, {len(population.learners):,} learners, "
        f"{len(population.activities)} activities"
    )
    try:
        steps = _ingest(ctx, db, population, total)
    except IngestFailed as failed:
        result.failure_count += failed.run.failure_count
        result.failures.extend(failed.run.failures)
        result.notes.append(str(failed))
        return result
    result.runs = [stats for _, stats in steps]
    sending = sum(stats.wall_s for _, stats in steps)
    details: dict[str, Any] = {
        "statements": total,
        "learners": len(population.learners),
        "steps": [step.__dict__ for step, _ in steps],
        "ratio_last_first": steps[-1][0].statements_per_s / steps[0][0].statements_per_s,
        "overall_statements_per_s": total / sending,
        "settings": db.settings(),
        "host_load_average": os.getloadavg(),
    }
    ctx.log("  million: ANALYZE")
    db.rows("ANALYZE")
    try:
        measured = _queries(ctx, population)
    except QueryFailed as failed:
        result.failure_count += failed.result.failure_count
        result.failures.extend(failed.result.failures)
        result.notes.append(str(failed))
        return result
    details["queries"] = {
        name: {
            "p50_ms": _median([r.p50_ms for r in runs]),
            "p99_ms": _median([r.p99_ms for r in runs]),
            "p99_runs": [r.p99_ms for r in runs],
        }
        for name, runs in measured.items()
    }
    singles = _singles(ctx, population)
    details["single"] = (
        {
            "p50_ms": _median([r.p50_ms for r in singles]),
            "p99_ms": _median([r.p99_ms for r in singles]),
            "p99_runs": [r.p99_ms for r in singles],
        }
        if singles
        else {}
    )
    result.failure_count += sum(r.failures for r in singles)
    stored = int(db.value("SELECT count(*) FROM statements") or 0)
    details["stored"] = stored
    details["tables_before_recompute"] = _tables(db, stored)
    ctx.log("  million: credit recompute")
    wall, peak_mib, read, output = _recompute(ctx.spawned)
    details["recompute"] = {
        "wall_s": wall,
        "peak_rss_mib": peak_mib,
        "statements": read,
        "output": " | ".join(line.strip() for line in output.splitlines() if line.strip()),
    }
    ctx.log(f"  million: recompute {read:,} statements in {wall:.1f} s, {peak_mib:.0f} MiB")
    details["tables"] = _tables(db, stored)
    details["bytes_per_statement_total"] = sum(t["bytes"] for t in details["tables"]) / max(
        stored, 1
    )
    details["indexes"] = [
        {
            "table": table,
            "index": index,
            "bytes": size,
            "bytes_per_statement": size / max(stored, 1),
        }
        for table, index, size in db.index_sizes()
    ]
    result.details = details
    result.tables.append("\n".join(report_lines(details)))
    return result
