"""Load benchmark of the lms_bridge LRS: ``python -m bench [options]``.

What it measures, against a running server (``--url``) or one it starts itself (``--spawn``):

``seed``
    Batched writes: POST /xapi/statements with ``--batch`` statements per request over
    ``--connections`` keep-alive connections, until ``--statements`` are stored (default
    100,000, in rounds of ``--round``). Reports statements/s. Target: >= 3,000 statements/s
    with batches of 100 over 4 connections.
``single``
    One statement per POST over the same connections, ``--single`` requests per run. Reports
    latency. Target: p99 < 30 ms with 4 connections.
``query-agent``, ``query-verb``
    GET /xapi/statements?agent=...&limit=N and ?verb=...&limit=N for learners and verbs
    drawn from the stored data, ``--queries`` requests per run. Target: p99 < 50 ms with at
    least 100,000 statements stored.

``soak``, ``auth-attack``, ``recompute-scale``, ``million`` (only when named in
``--scenarios``; see ``bench/soak.py``, ``bench/ledger_scale.py`` and ``bench/million.py``)
    Ten minutes at 80% of the peak batched rate with trickles of single POSTs and queries,
    sampling every worker's RSS; valid clients' latency alone and under a flood of wrong
    secrets; ``credit recompute`` over 100,000 people and 1,000,000 statements.

The targets are for the reference deployment: a 2-core machine running gunicorn and
PostgreSQL. Anywhere else (SQLite, a laptop, a CI runner) the figures are for comparison
between runs of the same machine, not proof of the targets.

How to read the numbers:

- **The client shares the CPU with the server.** On the 2-core reference machine the
  benchmark, gunicorn and PostgreSQL compete for the same cores, so the client is built to
  cost little: every request body is generated and serialised before the clock starts, the
  HTTP client is a few lines of socket code (``bench/client.py``) rather than http.client or
  httpx, and responses are parsed only to check them (every POST, one query in ten). The
  table shows the client's own CPU (percent of one core) and the whole machine's (percent of
  all cores) so a run where the client stole a lot, or the machine was busy, is visible.
- **Numbers are medians.** Every scenario runs several times (``--repeat``, or the rounds of
  the seed) and the table shows the median of each figure over the runs; the JSON file
  (``--json``) has every run. A latency is from the first byte sent to the last byte
  received; throughput is statements (or requests) over the wall time of the whole run.
- **The machine is noisy.** Shared virtual machines vary by tens of percent from minute to
  minute; compare runs made one after the other, look at the spread of the runs in the JSON,
  and distrust a single run that misses or beats a target narrowly.

Statements look like Moodle's (see ``bench/statements.py``): ~2,000 learners, 200
activities, 10 verbs. The run exits 1 if any request failed (non-2xx, no answer, or an answer
that does not match the request) and prints the first failures; 2 on a usage or setup error;
3 with ``--check-targets`` when a target was missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.client import Endpoint, send_once
from bench.report import ScenarioResult, failures_text, table, write_json
from bench.scenarios import REGISTRY, Context, Settings
from bench.server import REPO_ROOT, Spawned, SpawnError, redact, spawn
from bench.statements import Population

DEFAULT_URL = "http://127.0.0.1:8000/xapi"
EXIT_FAILED_REQUESTS = 1
EXIT_SETUP = 2
EXIT_TARGET_MISSED = 3


class SetupError(RuntimeError):
    """The server cannot be benchmarked: unreachable, or it refuses the credentials."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _count(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load benchmark of the lms_bridge xAPI LRS: statements/s and latencies.",
        epilog="Scenarios: "
        + "; ".join(f"{s.name}: {s.summary}" for s in REGISTRY.values())
        + ". Exit status: 1 a request failed, 2 setup error, 3 target missed (--check-targets).",
    )
    env = os.environ.get
    server = p.add_argument_group("server")
    server.add_argument(
        "--url",
        default=env("LMS_BRIDGE_BENCH_URL", DEFAULT_URL),
        help="xAPI base URL of a running server (env LMS_BRIDGE_BENCH_URL; default %(default)s)",
    )
    server.add_argument(
        "--key", default=env("LMS_BRIDGE_BENCH_KEY"), help="client key (env LMS_BRIDGE_BENCH_KEY)"
    )
    server.add_argument(
        "--secret",
        default=env("LMS_BRIDGE_BENCH_SECRET"),
        help="client secret (env LMS_BRIDGE_BENCH_SECRET)",
    )
    server.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="with --spawn: a setting for the server, e.g. LMS_BRIDGE_CREDIT_ENABLED=false",
    )
    server.add_argument(
        "--spawn",
        metavar="DATABASE_URL",
        help="start our own gunicorn on a free loopback port with this database (migrated "
        "first, a client created), and stop it afterwards; 'sqlite' = a throwaway SQLite file",
    )
    server.add_argument(
        "--port",
        type=_positive,
        help="with --spawn: the loopback port gunicorn listens on (default: a free one)",
    )
    server.add_argument(
        "--server-dir",
        type=Path,
        default=REPO_ROOT,
        help="project checkout to spawn from (default %(default)s)",
    )
    load = p.add_argument_group("load")
    load.add_argument(
        "--statements", type=_count, default=100_000, help="total to seed (%(default)s)"
    )
    load.add_argument(
        "--batch", type=_positive, default=100, help="statements per POST (%(default)s)"
    )
    load.add_argument(
        "--connections", type=_positive, default=4, help="concurrent connections (%(default)s)"
    )
    load.add_argument(
        "--single", type=_count, default=2000, help="single-statement POSTs per run (%(default)s)"
    )
    load.add_argument(
        "--queries", type=_count, default=500, help="queries per run, of each kind (%(default)s)"
    )
    load.add_argument("--limit", type=_positive, default=25, help="limit= of queries (%(default)s)")
    load.add_argument(
        "--repeat", type=_positive, default=3, help="runs of each latency scenario (%(default)s)"
    )
    load.add_argument(
        "--round",
        dest="round_size",
        type=_positive,
        default=10_000,
        help="statements per timed round of the seed (%(default)s)",
    )
    load.add_argument(
        "--warmup",
        type=_count,
        default=20,
        help="untimed requests per connection before a latency scenario (%(default)s)",
    )
    load.add_argument("--seed", type=int, default=1, help="random seed of the data (%(default)s)")
    load.add_argument(
        "--scenarios",
        default=",".join(name for name, s in REGISTRY.items() if s.default),
        help="comma-separated scenarios to run, in this order (default %(default)s)",
    )
    long = p.add_argument_group("soak, auth-attack, recompute-scale (only when named)")
    long.add_argument(
        "--soak-seconds", type=float, default=600.0, help="length of the soak (%(default)s)"
    )
    long.add_argument(
        "--soak-peak-seconds",
        type=float,
        default=30.0,
        help="how long the soak measures the peak batched rate first (%(default)s)",
    )
    long.add_argument(
        "--soak-share", type=float, default=0.8, help="share of the peak held (%(default)s)"
    )
    long.add_argument(
        "--soak-trickle",
        type=float,
        default=5.0,
        help="single POSTs and queries per second each, during the soak (%(default)s)",
    )
    long.add_argument(
        "--attackers", type=_positive, default=8, help="wrong-secret threads (%(default)s)"
    )
    long.add_argument(
        "--attack-seconds", type=float, default=20.0, help="length of each run (%(default)s)"
    )
    long.add_argument(
        "--valid-rate",
        type=float,
        default=20.0,
        help="requests/s of each valid connection in auth-attack (%(default)s)",
    )
    long.add_argument(
        "--attack-unknown-keys",
        action="store_true",
        help="half the attackers try random keys instead of the valid one",
    )
    long.add_argument(
        "--recompute-people", type=_count, default=100_000, help="people seeded (%(default)s)"
    )
    long.add_argument(
        "--recompute-statements",
        type=_count,
        default=1_000_000,
        help="statements seeded for recompute-scale (%(default)s)",
    )
    big = p.add_argument_group("million (only when named)")
    big.add_argument(
        "--million-statements",
        type=_count,
        default=1_000_000,
        help="statements the million scenario grows the store to, in ten steps (%(default)s)",
    )
    out = p.add_argument_group("output")
    out.add_argument("--json", type=Path, metavar="FILE", help="write every run's figures here")
    out.add_argument(
        "--check-targets", action="store_true", help="exit 3 if a scenario missed its target"
    )
    out.add_argument("--timeout", type=float, default=60.0, help="per request, s (%(default)s)")
    out.add_argument(
        "--max-failures",
        type=_positive,
        default=50,
        help="stop a run after this many failed requests (%(default)s)",
    )
    out.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return p


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def settings_from(args: argparse.Namespace, p: argparse.ArgumentParser) -> Settings:
    names = tuple(n.strip() for n in args.scenarios.split(",") if n.strip())
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    if not names:
        p.error("--scenarios is empty")
    try:
        Endpoint.from_url(args.url, "", "")
    except ValueError as error:
        p.error(str(error))
    if not args.spawn and not (args.key and args.secret):
        p.error(
            "no credentials: pass --key/--secret (or set LMS_BRIDGE_BENCH_KEY/SECRET; create "
            "them with `lms-bridge clients create --name bench --scope all --json`), "
            "or use --spawn DATABASE_URL"
        )
    return Settings(
        url=args.url,
        key=args.key or "",
        secret=args.secret or "",
        statements=args.statements,
        batch=args.batch,
        connections=args.connections,
        single=args.single,
        queries=args.queries,
        limit=args.limit,
        repeat=args.repeat,
        round_size=args.round_size,
        warmup=args.warmup,
        seed=args.seed,
        timeout=args.timeout,
        max_failures=args.max_failures,
        scenarios=names,
        soak_seconds=args.soak_seconds,
        soak_peak_seconds=args.soak_peak_seconds,
        soak_share=args.soak_share,
        soak_trickle=args.soak_trickle,
        attackers=args.attackers,
        attack_seconds=args.attack_seconds,
        valid_rate=args.valid_rate,
        attack_unknown_keys=args.attack_unknown_keys,
        recompute_people=args.recompute_people,
        recompute_statements=args.recompute_statements,
        million_statements=args.million_statements,
    )


def preflight(endpoint: Endpoint) -> str | None:
    """None if the server answers and accepts the credentials, else what is wrong."""
    try:
        about = send_once(endpoint, endpoint.request("GET", "/about", authenticate=False), 10)
        probe = send_once(endpoint, endpoint.request("GET", "/statements?limit=1"), 30)
    except OSError as error:
        return (
            f"cannot reach {endpoint.url} ({type(error).__name__}: {error}); is the server "
            "running? (or use --spawn DATABASE_URL)"
        )
    if about.status != 200:
        log(f"warning: GET /about answered {about.status}")
    if probe.status in (401, 403):
        return f"the server refused the credentials ({probe.status}): {probe.body[:200]!r}"
    if probe.status != 200:
        log(f"warning: GET /statements?limit=1 answered {probe.status}: {probe.body[:200]!r}")
    return None


CALIBRATION_LOOP = 1_000_000


def host_speed_ms() -> float:
    """Milliseconds a fixed pure-Python loop takes now (median of five): the host's speed.

    Shared virtual machines change speed by tens of percent within minutes (the same loop
    has taken from 0.9 to 1.4 times as long here); printed beside the figures, it says which
    of two runs had the faster machine.
    """
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for number in range(CALIBRATION_LOOP):
            total += number
        timings.append(time.perf_counter() - started)
    return round(statistics.median(timings) * 1000, 1)


def metadata(settings: Settings, spawned: Spawned | None) -> dict[str, Any]:
    options = asdict(replace(settings, secret="***" if settings.secret else ""))
    return {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "url": settings.url,
        "spawned_database": redact(spawned.database_url) if spawned else None,
        "options": options,
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run(settings: Settings, spawned: Spawned | None) -> tuple[list[ScenarioResult], dict[str, Any]]:
    endpoint = Endpoint.from_url(settings.url, settings.key, settings.secret)
    problem = preflight(endpoint)
    if problem is not None:
        raise SetupError(problem)
    meta = metadata(settings, spawned)
    population = Population.build(settings.seed)
    ctx = Context(settings, endpoint, population, log=log, spawned=spawned)
    log(
        f"bench: {endpoint.url}, {settings.connections} connections, scenarios "
        f"{', '.join(settings.scenarios)}; {len(population.learners):,} learners, "
        f"{len(population.activities)} activities, {len(population.verbs)} verbs"
    )
    results = []
    meta["host_speed_ms_before"] = host_speed_ms()
    started = time.perf_counter()
    for name in settings.scenarios:
        log(f"{name}: {REGISTRY[name].summary}")
        results.append(REGISTRY[name].function(ctx))
    meta["duration_s"] = round(time.perf_counter() - started, 1)
    meta["host_speed_ms_after"] = host_speed_ms()
    meta["statements_stored_by_bench"] = ctx.stored
    return results, meta


def main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.list:
        for s in REGISTRY.values():
            print(f"{s.name:16} {s.summary}{'' if s.default else ' (only when named)'}")
        return 0
    settings = settings_from(args, p)
    with ExitStack() as stack:
        spawned: Spawned | None = None
        try:
            if args.spawn:
                server_env = dict(item.split("=", 1) for item in args.server_env)
                spawned = stack.enter_context(
                    spawn(args.spawn, args.server_dir.resolve(), log, server_env, args.port)
                )
                settings = replace(
                    settings, url=spawned.url, key=spawned.key, secret=spawned.secret
                )
            results, meta = run(settings, spawned)
        except (SetupError, SpawnError) as error:
            log(f"error: {error}")
            return EXIT_SETUP
        except KeyboardInterrupt:
            log("interrupted")
            return 130
        failed = sum(r.failure_count for r in results)
        if failed and spawned is not None:
            log(f"gunicorn log tail:\n{spawned.log_tail()}")
    print()
    print(table(results))
    for result in results:
        for extra in result.tables:
            print()
            print(extra)
    for result in results:
        for note in result.notes:
            print(f"note: {result.name}: {note}")
    print(
        f"{meta['statements_stored_by_bench']:,} statements stored by this run in "
        f"{meta['duration_s']} s; medians of runs; client cpu = % of one core, "
        f"host cpu = % of all {meta['cpus']} cores, steal = % of them the hypervisor gave "
        "to other guests"
    )
    print(
        f"host speed: a fixed Python loop took {meta['host_speed_ms_before']} ms before and "
        f"{meta['host_speed_ms_after']} ms after (lower is faster; compare runs by it)"
    )
    if args.json:
        write_json(args.json, meta, results)
        print(f"results written to {args.json}")
    if failed:
        print()
        print(failures_text(results))
        return EXIT_FAILED_REQUESTS
    missed = [r.name for r in results if r.goal and r.runs and not r.goal.met(r.summary)]
    if args.check_targets and missed:
        print(f"targets missed: {', '.join(missed)}")
        return EXIT_TARGET_MISSED
    return 0


if __name__ == "__main__":
    sys.exit(main())
