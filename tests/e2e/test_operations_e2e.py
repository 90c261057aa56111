"""Operations under a real gunicorn: metrics summed over its workers, JSON log lines."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from lms_bridge.access import create_client
from tests.blueprints.test_ops import sample
from tests.conftest import HASH_METHOD, basic_auth, empty_all_tables
from tests.e2e.conftest import free_port, start_gunicorn

pytestmark = pytest.mark.e2e

COUNTED_REQUESTS = 60
COUNTED_ROUTE = "/readyz"
"""Not /xapi/about: the start-up wait polls it with a 1 s timeout, and a poll given up on a
slow start is still answered (and counted) after the first scrape."""


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read().decode()


def test_metrics_add_up_every_worker_and_logs_are_json_lines(
    app: Flask, database_url: str, tmp_path: Path
) -> None:
    """Requests spread over two workers (several connections at once) are all counted, in
    whichever worker answers the scrape; every access line is JSON with the request id the
    response carried."""
    with app.app_context():
        empty_all_tables()
        create_client(
            "Prometheus",
            key="scraper-e2e",
            secret="scrape",
            scopes=["metrics"],
            hash_method=HASH_METHOD,
        )
    port = free_port()
    log = tmp_path / "gunicorn.log"
    process = start_gunicorn(
        database_url,
        port,
        log,
        {"LMS_BRIDGE_ACCESS_LOG": "-", "LMS_BRIDGE_METRICS_DIR": str(tmp_path / "metrics")},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        auth = {"Authorization": basic_auth("scraper-e2e", "scrape")}
        _, _, before = _get(f"{base}/metrics", auth)
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: _get(base + COUNTED_ROUTE), range(COUNTED_REQUESTS)))
        assert all(status == 200 for status, _, _ in answers)
        for _ in range(6):  # scrapes land on either worker: each must see every request
            _, _, after = _get(f"{base}/metrics", auth)
            grown = sample(
                after,
                "lms_bridge_http_requests_total",
                method="GET",
                route=COUNTED_ROUTE,
                status="200",
            ) - sample(
                before,
                "lms_bridge_http_requests_total",
                method="GET",
                route=COUNTED_ROUTE,
                status="200",
            )
            assert grown == COUNTED_REQUESTS
        _, headers, _ = _get(f"{base}/healthz", {"X-Request-ID": "probe-7"})
        assert headers["X-Request-ID"] == "probe-7"
    finally:
        process.terminate()
        process.wait(timeout=15)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON, gunicorn's too
    access = [record for record in records if record.get("path") == "/healthz"]
    assert access, "no access line for /healthz"
    assert access[-1]["request_id"] == "probe-7"
    assert access[-1]["status"] == 200
    ids = {answer[1]["X-Request-ID"] for answer in answers}
    logged = {record.get("request_id") for record in records if record.get("path") == COUNTED_ROUTE}
    assert ids <= logged
