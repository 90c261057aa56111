"""The ``cohort-progress`` scenario: the progress matrix of a 300-participant Latsar cohort.

Setup goes through the real CLI of the spawned server (``programs import``, ``cohorts
create``, ``cohorts enroll``), then every participant's module statements are posted
through the LRS like an LMS would (so progress is derived on the ingestion path), and the
clock only runs for GET /api/v1/cohorts/{id}/progress. Target: p99 < 200 ms on
PostgreSQL with >= 100,000 statements stored (run it after ``seed``).
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from bench.client import Request, Response
from bench.report import Goal, ScenarioResult
from bench.scenarios import Context, _line, _post, _warm_up, check_ids, scenario
from bench.statements import Json

PARTICIPANTS = 300
PROGRAM = "latsar-cpns"
LMS = "https://lms.bpsdm.example.go.id"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
ATTENDED = "http://adlnet.gov/expapi/verbs/attended"
MODULES = {
    "mooc-pengantar": "http://adlnet.gov/expapi/activities/module",
    "bela-negara": "http://adlnet.gov/expapi/activities/module",
    "berakhlak": "http://adlnet.gov/expapi/activities/module",
    "smart-asn": "http://adlnet.gov/expapi/activities/module",
    "manajemen-asn": "http://adlnet.gov/expapi/activities/module",
    "evaluasi-akademik": "http://adlnet.gov/expapi/activities/module",
    "pjj-sinkron": "urn:lms-bridge:activitytype:distance-session",
    "klasikal": "urn:lms-bridge:activitytype:classical-session",
    "habituasi": "http://adlnet.gov/expapi/activities/module",
    "seminar-aktualisasi": "http://adlnet.gov/expapi/activities/module",
}


def participant_nips(count: int, rng: random.Random) -> list[str]:
    """Distinct, valid NIPs (birth date, appointment month, gender code, serial)."""
    nips: set[str] = set()
    while len(nips) < count:
        born = f"19{rng.randint(80, 99)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        appointed = f"20{rng.randint(18, 25)}{rng.randint(1, 12):02d}"
        nips.add(f"{born}{appointed}{rng.randint(1, 2)}{rng.randint(1, 999):03d}")
    return sorted(nips)


def module_statements(nip: str, rng: random.Random) -> list[Json]:
    """A participant somewhere along the program: a random prefix of the modules."""
    done = rng.randint(0, len(MODULES))
    statements: list[Json] = []
    for code, activity_type in list(MODULES.items())[:done]:
        verb = ATTENDED if "session" in activity_type else COMPLETED
        statement: Json = {
            "id": str(uuid.uuid4()),
            "actor": {
                "objectType": "Agent",
                "account": {"homePage": "https://siasn.bkn.go.id", "name": nip},
            },
            "verb": {"id": verb, "display": {"en": verb.rsplit("/", 1)[-1]}},
            "object": {
                "objectType": "Activity",
                "id": f"{LMS}/program/{PROGRAM}/{code}",
                "definition": {"type": activity_type},
            },
            "result": {
                "completion": True,
                "score": {"raw": rng.randint(50, 100), "min": 0, "max": 100},
            },
            "timestamp": "2026-03-10T02:00:00Z",
        }
        statements.append(statement)
    return statements


def _set_up(ctx: Context, rng: random.Random) -> tuple[int, list[str]]:
    """Import the template, create a cohort, enroll 300 (all through the CLI)."""
    assert ctx.spawned is not None
    spawned = ctx.spawned
    template = spawned.server_dir / "lms_bridge" / "programs" / "templates" / f"{PROGRAM}.yaml"
    spawned.run_cli("programs", "import", str(template))
    number = int(time.time()) % 1_000_000  # a fresh cohort on every run, even on one database
    created = spawned.run_cli(
        "cohorts",
        "create",
        "--program",
        PROGRAM,
        "--year",
        "2026",
        "--number",
        str(number),
        "--name",
        f"Latsar CPNS bench {number}",
        "--start",
        "2026-03-02",
        "--end",
        "2026-05-15",
        "--organiser",
        "bench",
    )
    match = re.search(r"\(cohort\) (\d+):", created)
    if match is None:
        raise RuntimeError(f"no cohort id in {created!r}")
    nips = participant_nips(PARTICIPANTS, rng)
    with tempfile.TemporaryDirectory(prefix="lms-bridge-cohort-") as scratch:
        csv = Path(scratch) / "peserta.csv"
        csv.write_text("nip,name\n" + "".join(f"{nip},Peserta {nip[-3:]}\n" for nip in nips))
        spawned.run_cli("cohorts", "enroll", match.group(1), str(csv))
    return int(match.group(1)), nips


@scenario("cohort-progress", "GET /api/v1/cohorts/{id}/progress of a 300-participant cohort")
def cohort_progress(ctx: Context) -> ScenarioResult:
    """Latency of the progress matrix an organiser's dashboard (or the LMS) reloads."""
    s = ctx.settings
    result = ScenarioResult(
        "cohort-progress",
        f"GET /api/v1/cohorts/{{id}}/progress ({PARTICIPANTS} participants) over "
        f"{s.connections} connections",
        goal=Goal("p99_ms", "<", 200, " ms"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (the cohort is set up with the server's CLI)")
        return result
    if s.queries <= 0:
        result.notes.append("skipped: --queries 0")
        return result
    rng = random.Random(f"cohort-progress-{s.seed}")
    cohort_id, nips = _set_up(ctx, rng)
    statements = [st for nip in nips for st in module_statements(nip, rng)]
    posts = [
        _post(ctx, statements[i : i + s.batch], len(statements[i : i + s.batch]), True)
        for i in range(0, len(statements), s.batch)
    ]
    run = ctx.run(posts, check_ids)
    ctx.stored += run.statements
    ctx.log(f"  cohort-progress: {PARTICIPANTS} enrolled, {run.statements:,} module statements")
    if ctx.stored < 100_000:
        result.notes.append(
            f"this run stored {ctx.stored:,} statements (the server may hold more); "
            "the target is for >= 100,000 stored: run after seed"
        )
    api = replace(ctx.endpoint, base_path="")
    path = f"/api/v1/cohorts/{cohort_id}/progress"

    def validate(_request: Request, response: Response) -> str | None:
        try:
            body = json.loads(response.body)
        except ValueError:
            return f"answer is not JSON: {response.body[:200]!r}"
        if len(body.get("participants", ())) != PARTICIPANTS:
            return f"expected {PARTICIPANTS} participants in {response.body[:200]!r}"
        return None

    def requests(count: int) -> list[Request]:
        return [
            Request(api.request("GET", path), f"GET {path}", validate=n % 10 == 0)
            for n in range(count)
        ]

    _warm_up(ctx, requests(s.warmup), validate)
    for n in range(1, s.repeat + 1):
        stats = result.add(ctx.run(requests(s.queries), validate))
        ctx.log(_line("cohort-progress", n, s.repeat, stats))
    return result
