"""A Latsar CPNS cohort of 30 on a real server: Moodle statements in, the matrix, webhooks
and the derived completion statements out.

The LMS is Moodle-shaped: account actors (Moodle user ids, mapped to NIPs by an identity
file, or tied by ``context.registration``), quiz attempts with the module as ``parent``,
completion in ``result``; a few statements are voided and a few re-sent. Every expected
value below is written out, not recomputed by the code under test.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from flask import Flask

from lms_bridge.db import unit_of_work
from lms_bridge.people import import_actor_mappings, import_people
from lms_bridge.programs import add_subscription
from tests.cohorts import latsar_cohort, nips
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import LiveServer
from tests.lms_bridge.programs.receiver import Receiver, free_port, receiving
from tests.statements import (
    ATTENDED,
    COMPLETED,
    MODES,
    MOODLE,
    PASSED,
    module_statement,
    plugin_user,
    void,
)

SECRET_KEY = "test-secret-key"
LMS_BRIDGE_COMMAND = str(Path(sys.executable).parent / "lms-bridge")
SCORED = ("evaluasi-akademik", "klasikal", "seminar-aktualisasi")
FULL_JP = {"elearning": 270.0, "distance": 90.0, "classical": 54.0, "workplace": 233.0}
ELEARNING_ONLY = ("mooc-pengantar", "bela-negara", "berakhlak", "smart-asn", "manajemen-asn")


def _request(server: LiveServer, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    base = server.endpoint.removesuffix("/xapi")
    auth = base64.b64encode(f"{server.key}:{server.secret}".encode()).decode()
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Basic {auth}",
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def _statements(
    user_id: int, scores: dict[str, float], *, registration: str | None, skip: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """One participant's statements: every module but ``skip``, scored modules at ``scores``."""
    actor = plugin_user(user_id)
    statements = []
    for module, mode in MODES.items():
        if module in skip:
            continue
        verb = ATTENDED if mode in ("distance", "classical") else COMPLETED
        raw = scores.get(module)
        if module == "evaluasi-akademik":
            verb = PASSED if raw is not None and raw >= 60 else COMPLETED
        statements.append(
            module_statement(
                module,
                actor=actor,
                verb=verb,
                raw=raw,
                success=None if raw is None else raw >= 60,
                registration=registration,
                as_parent=module == "evaluasi-akademik",
            )
        )
    return statements


def _expected_row(
    statuses: dict[str, str], *, completed: bool, passed: bool, final: float | None
) -> dict[str, Any]:
    return {"statuses": statuses, "completed": completed, "passed": passed, "final": final}


def _all(status_of_scored: dict[str, str]) -> dict[str, str]:
    return {m: status_of_scored.get(m, "completed") for m in MODES}


def test_a_latsar_cohort_of_30_end_to_end(live_server: LiveServer, app: Flask) -> None:
    participants = nips(30)
    receiver = Receiver(free_port(), fail_first=2)
    with app.app_context():
        cohort_id, registrations = latsar_cohort(participants)
        import_people(
            [
                {
                    "nip": nip,
                    "name": f"Peserta {i}",
                    "agency": "Pemerintah Provinsi Lampung",
                    "unit": "BPSDM",
                    "employment": "CPNS",
                }
                for i, nip in enumerate(participants)
            ]
        )
        import_actor_mappings(
            [
                {"homePage": MOODLE, "account_name": str(1000 + i), "nip": nip}
                for i, nip in enumerate(participants)
            ]
        )
        with unit_of_work() as session:
            secret = add_subscription(
                session, receiver.url, cohort_id, secret_key=SECRET_KEY
            ).secret

    good = {"evaluasi-akademik": 85.0, "klasikal": 85.0, "seminar-aktualisasi": 85.0}
    low = {"evaluasi-akademik": 60.0, "klasikal": 60.0, "seminar-aktualisasi": 70.0}
    failed_seminar = {"evaluasi-akademik": 85.0, "klasikal": 85.0, "seminar-aktualisasi": 50.0}
    passed_scored = {
        "evaluasi-akademik": "passed",
        "klasikal": "passed",
        "seminar-aktualisasi": "passed",
    }
    expected: dict[str, dict[str, Any]] = {}
    events: Counter[str] = Counter()
    batches: list[list[dict[str, Any]]] = []
    voids: list[dict[str, Any]] = []
    for i, nip in enumerate(participants):
        # Half are tied by registration, half by their Moodle account's mapped NIP.
        registration = registrations[nip] if i % 2 == 0 else None
        if i < 18:
            batches.append(_statements(1000 + i, good, registration=registration))
            expected[nip] = _expected_row(
                _all(passed_scored), completed=True, passed=True, final=85.0
            )
            events.update(
                {
                    "module.completed": 10,
                    "module.passed": 3,
                    "program.completed": 1,
                    "program.passed": 1,
                }
            )
        elif i < 21:
            batches.append(_statements(1000 + i, low, registration=registration))
            expected[nip] = _expected_row(
                _all(passed_scored), completed=True, passed=False, final=65.0
            )
            events.update({"module.completed": 10, "module.passed": 3, "program.completed": 1})
        elif i < 24:
            batches.append(_statements(1000 + i, failed_seminar, registration=registration))
            expected[nip] = _expected_row(
                _all({**passed_scored, "seminar-aktualisasi": "failed"}),
                completed=False,
                passed=False,
                final=67.5,
            )
            events.update({"module.completed": 9, "module.passed": 2})
        elif i < 27:
            batches.append(
                _statements(
                    1000 + i,
                    {},
                    registration=registration,
                    skip=tuple(m for m in MODES if m not in ELEARNING_ONLY),
                )
            )
            statuses = {m: ("completed" if m in ELEARNING_ONLY else "not_started") for m in MODES}
            expected[nip] = _expected_row(statuses, completed=False, passed=False, final=0.0)
            events.update({"module.completed": 5})
        elif i == 27:
            # Completes everything, then the LMS voids the habituation completion.
            statements = _statements(1000 + i, good, registration=registration)
            batches.append(statements)
            habituation = next(s for s in statements if s["object"]["id"].endswith("/habituasi"))
            voids.append(void(habituation["id"]))
            statuses = {**_all(passed_scored), "habituasi": "not_started"}
            expected[nip] = _expected_row(statuses, completed=False, passed=False, final=85.0)
            events.update(
                {
                    "module.completed": 10,
                    "module.passed": 3,
                    "program.completed": 1,
                    "program.passed": 1,
                }
            )
        elif i == 28:
            # Re-sent as-is (same ids) and again as fresh copies (new ids): counts once.
            statements = _statements(1000 + i, good, registration=registration)
            copies = [{**s, "id": str(uuid.uuid4())} for s in statements]
            batches += [statements, statements, copies]
            expected[nip] = _expected_row(
                _all(passed_scored), completed=True, passed=True, final=85.0
            )
            events.update(
                {
                    "module.completed": 10,
                    "module.passed": 3,
                    "program.completed": 1,
                    "program.passed": 1,
                }
            )
        else:
            expected[nip] = _expected_row(
                dict.fromkeys(MODES, "not_started"), completed=False, passed=False, final=0.0
            )

    for batch in batches:
        status, ids = _request(live_server, "POST", "/xapi/statements", batch)
        assert status == 200
        assert len(ids) == len(batch)
    status, _ = _request(live_server, "POST", "/xapi/statements", voids)
    assert status == 200

    status, matrix = _request(live_server, "GET", f"/api/v1/cohorts/{cohort_id}/progress")
    assert status == 200
    rows = {row["nip"]: row for row in matrix["participants"]}
    assert set(rows) == set(participants)
    for nip, want in expected.items():
        row = rows[nip]
        assert {m: s["status"] for m, s in row["modules"].items()} == want["statuses"], nip
        assert (row["completed"], row["passed"], row["final_score"]) == (
            want["completed"],
            want["passed"],
            want["final"],
        ), nip
        jp_done = {
            mode: sum(
                FULL_JP_BY_MODULE[m]
                for m, s in want["statuses"].items()
                if MODES[m] == mode and s in ("completed", "passed")
            )
            for mode in FULL_JP
        }
        assert {mode: v["done"] for mode, v in row["jp"].items()} == jp_done, nip
        assert {mode: v["required"] for mode, v in row["jp"].items()} == FULL_JP
    assert sum(row["passed"] for row in rows.values()) == 19
    assert sum(row["completed"] for row in rows.values()) == 22

    env = {
        **os.environ,
        "LMS_BRIDGE_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LMS_BRIDGE_SECRET_KEY": SECRET_KEY,
    }
    with receiving(receiver):
        for _ in range(3):
            subprocess.run(
                [LMS_BRIDGE_COMMAND, "deliver", "--once", "--backoff", "0"],
                cwd=REPO_ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
    kinds = Counter(event["body"]["type"] for event in receiver.accepted)
    assert kinds == events
    assert len(set(receiver.delivery_ids())) == len(receiver.accepted)
    assert receiver.verified(secret)

    cohort_iri = matrix["cohort"]["activity_id"]
    for verb, count in (
        (PASSED, events["program.passed"]),
        (COMPLETED, events["program.completed"]),
    ):
        query = urllib.parse.urlencode({"verb": verb, "activity": cohort_iri, "limit": 100})
        status, result = _request(live_server, "GET", f"/xapi/statements?{query}")
        assert status == 200
        assert len(result["statements"]) == count
        derived = result["statements"][0]
        assert derived["actor"]["account"]["homePage"] == "https://siasn.bkn.go.id"
        assert (
            derived["context"]["registration"] == registrations[derived["actor"]["account"]["name"]]
        )
        assert derived["authority"]["account"]["homePage"] == "urn:lms-bridge:system"


FULL_JP_BY_MODULE = {
    "mooc-pengantar": 30.0,
    "bela-negara": 60.0,
    "berakhlak": 90.0,
    "smart-asn": 40.0,
    "manajemen-asn": 40.0,
    "evaluasi-akademik": 10.0,
    "pjj-sinkron": 90.0,
    "klasikal": 54.0,
    "habituasi": 203.0,
    "seminar-aktualisasi": 30.0,
}
