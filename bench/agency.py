"""The ``agency-page`` and ``agency-xlsx`` scenarios: an agency of 10,000 ASN on its page.

Setup goes through the spawned server's CLI and LRS like a real agency's would: 10,000
people imported from a CSV (``people import``), then 100,000 statements (ten per person,
e-learning of 1 to 8 JP on different days of this year) posted through /xapi so the ledger
is built on the ingestion path, and an auditor account (``users create``) that signs in
through /login like a person does. The clock only runs for what a person waits for:

``agency-page``
    GET /agencies/<agency>/<year> through the signed-in session, ``--queries`` requests per
    run over ``--connections``. Target: p99 < 300 ms on PostgreSQL.
``agency-xlsx``
    GET the XLSX download of the agency's people table (10,000 rows), one at a time, three
    runs of ``--repeat`` downloads each. Target: < 5 s per download (p50 of a run).
"""

from __future__ import annotations

import random
import secrets
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bench.client import Endpoint, Request, Response, Validator
from bench.queue import sign_in
from bench.report import Goal, ScenarioResult
from bench.scenarios import Context, _line, _post, _warm_up, check_ids, scenario
from bench.statements import Json

PEOPLE = 10_000
STATEMENTS_PER_PERSON = 10
UNITS = 25
AGENCY = "Pemerintah Provinsi Bench"
SIASN = "https://siasn.bkn.go.id"
LMS = "https://lms.bpsdm.example.go.id"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
MODULE = "http://adlnet.gov/expapi/activities/module"
AUDITOR_EMAIL = "auditor.bench@bpsdm.example.go.id"


@dataclass
class Agency:
    """The seeded agency, shared by both scenarios of one run."""

    year: int
    cookie: str
    people: int


_SEEDED: dict[int, Agency] = {}


def person_nips(count: int, rng: random.Random) -> list[str]:
    """Distinct, valid NIPs (birth date, appointment month, gender digit, serial)."""
    nips: set[str] = set()
    while len(nips) < count:
        born = date(1970, 1, 1) + timedelta(days=rng.randint(0, 10_000))
        appointed = f"{rng.randint(born.year + 20, 2024)}{rng.randint(1, 12):02d}"
        nips.add(f"{born:%Y%m%d}{appointed}{rng.randint(1, 2)}{rng.randint(1, 999):03d}")
    return sorted(nips)


def statements_of(nip: str, year: int, rng: random.Random) -> list[Json]:
    """Ten modules on ten different days, 1 to 3 JP each: about 4 in 10 reach 20 JP."""
    days = rng.sample(range(0, 300), STATEMENTS_PER_PERSON)
    modules = rng.sample(range(1, 400), STATEMENTS_PER_PERSON)
    statements: list[Json] = []
    for day, module in zip(days, modules, strict=True):
        when = date(year, 1, 5) + timedelta(days=day)
        minutes = rng.choice((45, 45, 90, 90, 135))
        statements.append(
            {
                "id": str(uuid.uuid4()),
                "actor": {"objectType": "Agent", "account": {"homePage": SIASN, "name": nip}},
                "verb": {"id": COMPLETED, "display": {"en": "completed"}},
                "object": {
                    "objectType": "Activity",
                    "id": f"{LMS}/mod/scorm/view.php?id={module}",
                    "definition": {"type": MODULE, "name": {"id-ID": f"Modul {module}"}},
                },
                "result": {"completion": True, "duration": f"PT{minutes}M"},
                "timestamp": f"{when.isoformat()}T02:00:00Z",
            }
        )
    return statements


def _people_csv(nips: list[str], rng: random.Random) -> str:
    lines = ["nip,name,agency,unit,position,email,employment"]
    for n, nip in enumerate(nips):
        employment = "PPPK" if rng.random() < 0.05 else "PNS"
        lines.append(f"{nip},ASN {n:05d},{AGENCY},Unit {n % UNITS + 1:02d},,,{employment}")
    return "\n".join(lines) + "\n"


def page_request(endpoint: Endpoint, path: str, cookie: str) -> bytes:
    """A browser-like GET with the session cookie (no Basic credentials)."""
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {endpoint.host}:{endpoint.port}\r\n"
        f"Accept: text/html\r\nAccept-Language: id\r\nCookie: {cookie}\r\n\r\n"
    )
    return head.encode("latin-1")


def _seed(ctx: Context) -> Agency:
    """Import the people, post their statements, create and sign in the auditor (once)."""
    if ctx.settings.seed in _SEEDED:
        return _SEEDED[ctx.settings.seed]
    assert ctx.spawned is not None
    spawned = ctx.spawned
    rng = random.Random(f"agency-{ctx.settings.seed}")
    year = datetime.now(ZoneInfo("Asia/Jakarta")).year  # the policy's zone: this year
    auditor_password = secrets.token_urlsafe(16)
    nips = person_nips(PEOPLE, rng)
    with tempfile.TemporaryDirectory(prefix="lms-bridge-agency-") as scratch:
        people = Path(scratch) / "pegawai.csv"
        people.write_text(_people_csv(nips, rng))
        spawned.run_cli("people", "import", str(people))
        password = Path(scratch) / "password"
        password.write_text(auditor_password)
        spawned.run_cli(
            "users", "create", "--email", AUDITOR_EMAIL, "--name", "Auditor Bench",
            "--role", "auditor", "--agency", AGENCY, "--password-file", str(password),
        )  # fmt: skip
    started = time.perf_counter()
    statements = [st for nip in nips for st in statements_of(nip, year, rng)]
    batch = ctx.settings.batch
    posts = [
        _post(ctx, statements[i : i + batch], len(statements[i : i + batch]), True)
        for i in range(0, len(statements), batch)
    ]
    run = ctx.run(posts, check_ids)
    ctx.stored += run.statements
    ctx.log(
        f"  agency: {PEOPLE:,} people, {run.statements:,} statements posted in "
        f"{time.perf_counter() - started:.0f} s, failed {run.failure_count}"
    )
    api = replace(ctx.endpoint, base_path="")
    agency = Agency(
        year=year, cookie=sign_in(api.url, AUDITOR_EMAIL, auditor_password), people=PEOPLE
    )
    _SEEDED[ctx.settings.seed] = agency
    return agency


def _expect_html(marker: bytes) -> Validator:
    def validate(_request: Request, response: Response) -> str | None:
        if marker not in response.body:
            return f"{marker!r} not in the answer: {response.body[:200]!r}"
        return None

    return validate


AGENCY_PATH = "/agencies/{agency}/{year}"
XLSX_PATH = "/agencies/{agency}/{year}/pegawai.xlsx"


@scenario(
    "agency-page", "GET the agency page of 10,000 people (signed in), --repeat runs", default=False
)
def agency_page(ctx: Context) -> ScenarioResult:
    """Latency of the page a BPSDM auditor or an agency head opens first."""
    s = ctx.settings
    result = ScenarioResult(
        "agency-page",
        f"GET /agencies/... ({PEOPLE:,} people) over {s.connections} connections",
        goal=Goal("p99_ms", "<", 300, " ms"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (people and users are set up by the CLI)")
        return result
    agency = _seed(ctx)
    api = replace(ctx.endpoint, base_path="")
    path = AGENCY_PATH.format(agency=quote(AGENCY), year=agency.year)
    marker = f"{agency.people:,}".replace(",", ".").encode()
    validate = _expect_html(marker)

    def requests(count: int) -> list[Request]:
        return [
            Request(page_request(api, path, agency.cookie), f"GET {path}", validate=n % 10 == 0)
            for n in range(count)
        ]

    _warm_up(ctx, requests(s.warmup), validate)
    for n in range(1, s.repeat + 1):
        stats = result.add(ctx.run(requests(s.queries), validate))
        ctx.log(_line("agency-page", n, s.repeat, stats))
    return result


@scenario("agency-xlsx", "GET the XLSX of the agency's 10,000 people, one at a time", default=False)
def agency_xlsx(ctx: Context) -> ScenarioResult:
    """Seconds an auditor waits for the spreadsheet of the whole agency."""
    s = ctx.settings
    result = ScenarioResult(
        "agency-xlsx",
        f"GET the XLSX of {PEOPLE:,} people, 1 connection",
        goal=Goal("p50_ms", "<", 5000, " ms"),
    )
    if ctx.spawned is None:
        result.notes.append("skipped: needs --spawn (people and users are set up by the CLI)")
        return result
    agency = _seed(ctx)
    api = replace(ctx.endpoint, base_path="")
    path = XLSX_PATH.format(agency=quote(AGENCY), year=agency.year)
    validate = _expect_html(b"PK")  # an XLSX file is a ZIP
    one = replace(ctx, settings=replace(s, connections=1))
    for n in range(1, s.repeat + 1):
        requests = [
            Request(page_request(api, path, agency.cookie), f"GET {path}", validate=True)
            for _ in range(3)
        ]
        stats = result.add(one.run(requests, validate))
        ctx.log(_line("agency-xlsx", n, s.repeat, stats))
    return result
