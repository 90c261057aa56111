"""``recompute-scale``: ``credit recompute`` over a province (needs ``--spawn`` on PostgreSQL).

Seeds ``--recompute-people`` ASN (default 100,000, each identified by their NIP under
SIASN's home page, so every statement resolves) with ``--recompute-statements`` statements
(default 1,000,000: per person seven module completions of 45-180 minutes and three views,
over 2025), then times ``lms-bridge credit recompute --restart`` as a process and reports
its wall time and peak RSS (``wait4``), and the most advisory locks held at once in its
database while it ran (sampled each second).

Seeding through HTTP would take over ten minutes here, so the seed calls the service's own
ingestion (``lms_bridge.ingest.record_statements``: validation, store, credit, progress,
the same code a POST runs, without HTTP) in two processes, in batches of 500. A database
that already holds the statements is not seeded again.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.report import Goal, RunStats, ScenarioResult
from bench.scenarios import Context, scenario
from bench.server import executable

SIASN = "https://siasn.bkn.go.id"
LMS = "https://lms.bpsdm.example.go.id"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VIEWED = "http://id.tincanapi.com/verb/viewed"
MODULE = "http://adlnet.gov/expapi/activities/module"
ACTIVITIES = 200
BATCH = 500
SEEDERS = 2


def nip_of(index: int) -> str:
    """A distinct, well-formed NIP per index (birth date, appointment, gender, serial)."""
    born = date(1970, 1, 1) + timedelta(days=index % 10_000)
    appointed = f"20{10 + index % 15:02d}{1 + index % 12:02d}"
    gender = 1 + (index // 10_000) % 2
    serial = 1 + (index // 20_000) % 999
    return f"{born:%Y%m%d}{appointed}{gender}{serial:03d}"


def person_statements(index: int, count: int) -> list[dict[str, Any]]:
    actor = {"objectType": "Agent", "account": {"homePage": SIASN, "name": nip_of(index)}}
    statements = []
    for n in range(count):
        module = (index * 31 + n * 7) % ACTIVITIES
        moment = datetime(2025, 1, 2, 1, tzinfo=UTC) + timedelta(
            days=(index + n * 37) % 360, minutes=(index * 13 + n) % 480
        )
        completed = n % 10 < 7
        statement: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": actor,
            "verb": {"id": COMPLETED if completed else VIEWED, "display": {"en": "completed"}},
            "object": {
                "objectType": "Activity",
                "id": f"{LMS}/mod/scorm/view.php?id={module}",
                "definition": {"type": MODULE, "name": {"id-ID": f"Modul {module}"}},
            },
            "timestamp": moment.isoformat().replace("+00:00", "Z"),
        }
        if completed:
            minutes = 45 * (1 + (index + n) % 4)
            statement["result"] = {"completion": True, "duration": f"PT{minutes}M"}
        statements.append(statement)
    return statements


def seed_people(first: int, last: int, per_person: int, key: str, secret: str) -> int:
    """Ingest the statements of people [first, last) through the service, in batches."""
    from lms_bridge.access import authenticate_client  # noqa: PLC0415 (the server's code)
    from lms_bridge.app import create_app  # noqa: PLC0415
    from lms_bridge.ingest import record_statements  # noqa: PLC0415
    from xapi.schemas import validate_statements  # noqa: PLC0415

    app = create_app()
    stored = 0
    with app.app_context():
        client = authenticate_client(key, secret)
        assert client is not None, "the bench client's credentials were refused"
        batch: list[dict[str, Any]] = []
        for index in range(first, last):
            batch += person_statements(index, per_person)
            if len(batch) >= BATCH or index == last - 1:
                record_statements(
                    validate_statements(batch, "1.0.3"), client=client, version="1.0.3"
                )
                stored += len(batch)
                batch = []
    return stored


def _count_statements(ctx: Context) -> int:
    assert ctx.spawned is not None
    output = _psql(ctx, "SELECT count(*) FROM statements")
    return int(output or 0)


def _psql(ctx: Context, sql: str) -> str:
    assert ctx.spawned is not None
    url = ctx.spawned.database_url.replace("postgresql+psycopg://", "postgresql://")
    done = subprocess.run(
        ["psql", url, "-At", "-c", sql], capture_output=True, text=True, check=False, timeout=60
    )
    return done.stdout.strip()


@scenario(
    "recompute-scale",
    "seed a province (100,000 people, 1,000,000 statements), time credit recompute",
    default=False,
)
def recompute_scale(ctx: Context) -> ScenarioResult:
    s = ctx.settings
    result = ScenarioResult(
        "recompute-scale",
        f"lms-bridge credit recompute over {s.recompute_people:,} people and "
        f"{s.recompute_statements:,} statements",
        goal=Goal("wall_s", "<", 1800, " s"),
    )
    if ctx.spawned is None or "postgresql" not in ctx.spawned.database_url:
        result.notes.append("skipped: needs --spawn on PostgreSQL")
        return result
    env = ctx.spawned.env
    per_person = max(1, s.recompute_statements // s.recompute_people)
    have = _count_statements(ctx)
    if have < s.recompute_statements:
        ctx.log(f"  recompute-scale: seeding {s.recompute_people:,} people x {per_person}")
        started = time.perf_counter()
        share = -(-s.recompute_people // SEEDERS)
        seeders = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.ledger_scale",
                    str(start),
                    str(min(start + share, s.recompute_people)),
                    str(per_person),
                ],
                cwd=ctx.spawned.server_dir,
                env={**env, "BENCH_KEY": ctx.settings.key, "BENCH_SECRET": ctx.settings.secret},
            )
            for start in range(0, s.recompute_people, share)
        ]
        codes = [seeder.wait() for seeder in seeders]
        if any(codes):
            result.failure_count += 1
            result.notes.append(f"seeding failed: exit codes {codes}")
            return result
        seeded = time.perf_counter() - started
        result.notes.append(
            f"seeded {s.recompute_people * per_person:,} statements in {seeded:.0f} s through "
            f"the ingestion service in {SEEDERS} processes (no HTTP)"
        )
    total = _count_statements(ctx)
    entries = _psql(ctx, "SELECT count(*) FROM credit_entries")
    _psql(ctx, "ANALYZE")
    ctx.log(f"  recompute-scale: {total:,} statements, {entries} entries; recomputing")

    most_locks = [0]
    stop = threading.Event()

    def sample_locks() -> None:
        while not stop.is_set():
            held = _psql(
                ctx,
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            if held.isdigit():
                most_locks[0] = max(most_locks[0], int(held))
            stop.wait(1.0)

    sampler = threading.Thread(target=sample_locks, daemon=True)
    sampler.start()
    started = time.perf_counter()
    process = subprocess.Popen(
        [executable("lms-bridge", ctx.spawned.server_dir), "credit", "recompute", "--restart"],
        cwd=ctx.spawned.server_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    output = process.stdout.read().decode() if process.stdout else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        result.failure_count += 1
        result.notes.append(f"recompute exited {process.returncode}: {output[-500:]}")
        return result
    counted = re.search(r"(\d+) statements", output)
    read = int(counted.group(1)) if counted else 0
    peak_mib = usage.ru_maxrss / 1024  # KiB on Linux
    result.runs.append(RunStats.one_process(wall, read))
    result.notes.append(
        f"recompute: {read:,} statements, {entries} entries in {wall:.1f} s "
        f"({read / wall:,.0f} statements/s), peak RSS {peak_mib:.0f} MiB, at most "
        f"{most_locks[0]} advisory locks held at once in its database"
    )
    result.notes.append("output: " + " | ".join(line.strip() for line in output.splitlines()))
    ctx.log(f"  recompute-scale: {read:,} statements in {wall:.1f} s, peak RSS {peak_mib:.0f} MiB")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description="seed people for recompute-scale (internal)")
    parser.add_argument("first", type=int)
    parser.add_argument("last", type=int)
    parser.add_argument("per_person", type=int)
    args = parser.parse_args()
    stored = seed_people(
        args.first, args.last, args.per_person, os.environ["BENCH_KEY"], os.environ["BENCH_SECRET"]
    )
    print(f"seeded {stored} statements", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
