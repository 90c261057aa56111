"""A province's directory and its credit, for the page scenarios (queue, agency pages).

``seed_directory`` imports ``PEOPLE`` ASN spread over a few agencies and their units through
the spawned server's CLI (``people import``), then posts credited statements for them
through the LRS like an LMS would (so every entry is made on the ingestion path): each
person completes e-learning modules with a duration (non-classical credit, pending until an
auditor verifies it). The data depends only on the seed, so two scenarios that call it in
one run share it: the second call finds the directory imported and posts nothing. On
PostgreSQL the tables are analyzed afterwards, as autovacuum would.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.cohort import participant_nips
from bench.scenarios import Context, _post, check_ids
from bench.statements import Json

PEOPLE = 10_000
STATEMENTS = 100_000
AGENCIES = (
    "Pemerintah Provinsi Lampung",
    "Pemerintah Kabupaten Lampung Selatan",
    "Pemerintah Kota Bandar Lampung",
    "Pemerintah Kota Metro",
)
UNITS = (
    "Badan Kepegawaian Daerah",
    "Badan Pengembangan SDM",
    "Dinas Kesehatan",
    "Dinas Pendidikan",
    "Dinas Pekerjaan Umum",
    "Inspektorat",
    "Sekretariat Daerah",
    "Dinas Sosial",
)
LMS = "https://lms.bpsdm.example.go.id"
MODULE = "http://adlnet.gov/expapi/activities/module"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
MODULES = 400


@dataclass(frozen=True)
class DirectoryPerson:
    nip: str
    name: str
    agency: str
    unit: str


@dataclass(frozen=True)
class Directory:
    people: tuple[DirectoryPerson, ...]
    statements: int
    """Credited statements posted for them by this run (0 when another scenario did)."""


_SEEDED: dict[tuple[int, int, int], Directory] = {}


def _people(count: int, rng: random.Random) -> tuple[DirectoryPerson, ...]:
    return tuple(
        DirectoryPerson(
            nip=nip,
            name=f"ASN {index:05d}",
            agency=AGENCIES[index % len(AGENCIES)],
            unit=UNITS[(index // len(AGENCIES)) % len(UNITS)],
        )
        for index, nip in enumerate(participant_nips(count, rng))
    )


def _statement(person: DirectoryPerson, module: int, rng: random.Random) -> Json:
    day = rng.randint(1, 28)
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": "https://siasn.bkn.go.id", "name": person.nip},
        },
        "verb": {"id": COMPLETED, "display": {"en": "completed"}},
        "object": {
            "objectType": "Activity",
            "id": f"{LMS}/mod/scorm/view.php?id={module}",
            "definition": {"type": MODULE, "name": {"id-ID": f"Modul e-learning {module}"}},
        },
        "result": {"completion": True, "duration": f"PT{rng.choice((45, 90, 135, 180))}M"},
        "timestamp": f"2026-{rng.randint(1, 11):02d}-{day:02d}T0{rng.randint(1, 8)}:00:00Z",
    }


def _seeded_already(
    database_url: str, directory: tuple[DirectoryPerson, ...], statements: int
) -> bool:
    """Whether an earlier run seeded this database (A/B runs then share one data set)."""
    if not database_url.startswith("postgresql"):
        return False
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM people WHERE nip = ANY(%s)), "
            "(SELECT count(*) FROM credit_evidence)",
            ([person.nip for person in directory],),
        ).fetchone()
    return row is not None and row[0] == len(directory) and row[1] >= statements


def _analyze(database_url: str, log: Callable[[str], None]) -> None:
    """Statistics for the planner, as autovacuum would gather after a bulk load.

    A server with autovacuum off (this benchmark machine's) keeps planning the fresh tables
    as nearly empty, and the queue's scoped query then walks every person's entries (16 s a
    page instead of milliseconds); production servers analyze a table once a tenth changed.
    """
    if not database_url.startswith("postgresql"):
        return
    dsn = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("ANALYZE")
    log("  directory: ANALYZE (the statistics autovacuum would have gathered)")


def seed_directory(ctx: Context, people: int = PEOPLE, statements: int = STATEMENTS) -> Directory:
    """The directory and its credit on the spawned server (made once per run and size)."""
    key = (ctx.settings.seed, people, statements)
    if key in _SEEDED:
        return _SEEDED[key]
    assert ctx.spawned is not None, "the directory is imported with the server's CLI"
    rng = random.Random(f"directory-{ctx.settings.seed}")
    directory = _people(people, rng)
    if _seeded_already(ctx.spawned.database_url, directory, statements):
        ctx.log(f"  directory: {people:,} people and their statements are there already")
        _SEEDED[key] = Directory(directory, 0)
        return _SEEDED[key]
    with tempfile.TemporaryDirectory(prefix="lms-bridge-directory-") as scratch:
        csv = Path(scratch) / "pegawai.csv"
        csv.write_text(
            "nip,name,agency,unit,position,email,employment\n"
            + "".join(f"{p.nip},{p.name},{p.agency},{p.unit},,,PNS\n" for p in directory)
        )
        ctx.spawned.run_cli("people", "import", str(csv))
    batch: list[Json] = []
    posts = []
    for index in range(statements):
        person = directory[index % people]
        batch.append(_statement(person, rng.randint(1, MODULES), rng))
        if len(batch) == ctx.settings.batch:
            posts.append(_post(ctx, batch, len(batch), True))
            batch = []
    if batch:
        posts.append(_post(ctx, batch, len(batch), True))
    run = ctx.run(posts, check_ids)
    ctx.stored += run.statements
    ctx.log(f"  directory: {people:,} people, {run.statements:,} credited statements")
    _analyze(ctx.spawned.database_url, ctx.log)
    _SEEDED[key] = Directory(directory, run.statements)
    return _SEEDED[key]
