"""/healthz, /readyz, /metrics and the request id, through the whole Flask stack."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

import orjson
import pytest
from flask import Flask
from sqlalchemy import text

from lms_bridge.access import CreatedClient, create_client
from lms_bridge.app import create_app
from lms_bridge.db import db
from lms_bridge.models.credit import CreditRecomputation
from lms_bridge.observability.logs import JsonLineFormatter
from tests.conftest import HASH_METHOD, XAPIClient, basic_auth, make_settings
from tests.statements import statement


@pytest.fixture
def scraper(app_context: Flask) -> CreatedClient:
    """A client that may read the metrics and nothing else."""
    return create_client(
        "Prometheus",
        key="prometheus",
        secret="scrape-secret",
        scopes=["metrics"],
        hash_method=HASH_METHOD,
    )


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in exposition.splitlines():
        if line.startswith("#"):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, label_text = series.partition("{")
        found = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if metric == name and found == wanted:
            return float(value)
    return 0.0


def test_healthz_answers_without_the_database(tmp_path: object) -> None:
    """Alive even when the database cannot be reached: a supervisor must not restart a
    healthy process for an outage elsewhere."""
    broken = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_ready_on_a_migrated_database(app_context: Flask) -> None:
    response = app_context.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_refuses_when_the_database_is_unreachable() -> None:
    broken = create_app(make_settings("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["reason"] == "database_unreachable"
    assert "127.0.0.1" not in body["detail"]  # the probe is unauthenticated


def test_readyz_refuses_a_database_behind_the_code(app_context: Flask) -> None:
    """A database an older version migrated (or none yet) is not ready."""
    with db.engine.begin() as connection:
        (current,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = app_context.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_json()["reason"] == "migrations_pending"
        assert "0001" in response.get_json()["detail"]
    finally:
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_readyz_refuses_a_database_without_schema(tmp_path: object) -> None:
    empty = create_app(make_settings(f"sqlite:///{tmp_path}/empty.db"))
    response = empty.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"] == "not_migrated"


def test_metrics_need_the_metrics_scope(xapi: XAPIClient, scraper: CreatedClient) -> None:
    client = xapi.client
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    limited = create_client(
        "LMS", key="writer", secret="w", scopes=["statements/write"], hash_method=HASH_METHOD
    )
    refused = client.get("/metrics", headers={"Authorization": basic_auth(limited.key, "w")})
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "Forbidden"
    allowed = client.get(
        "/metrics", headers={"Authorization": basic_auth("prometheus", "scrape-secret")}
    )
    assert allowed.status_code == 200
    assert allowed.content_type.startswith("text/plain")


def test_metrics_count_requests_by_route_and_the_stores_figures(
    xapi: XAPIClient, scraper: CreatedClient
) -> None:
    auth = {"Authorization": basic_auth("prometheus", "scrape-secret")}
    before = xapi.client.get("/metrics", headers=auth).get_data(as_text=True)
    statement_id = "6e0e6a54-38f1-4d63-9c3a-1b2c3d4e5f60"
    assert xapi.put_statement(statement_id, statement()).status_code == 204
    assert xapi.post_statements([statement(), statement()]).status_code == 200
    assert xapi.get(f"/xapi/statements?statementId={statement_id}").status_code == 200
    assert xapi.get("/xapi/no-such-thing/9c3a").status_code == 404
    db.session.add(
        CreditRecomputation(
            policy_version="test",
            year=None,
            started_at=datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
            finished_at=datetime(2026, 1, 1, 0, 2, tzinfo=UTC),
            statements=3,
            entries_added=0,
            entries_removed=0,
            entries_changed=0,
            jp_before=0,
            jp_after=0,
        )
    )
    db.session.commit()
    after = xapi.client.get("/metrics", headers=auth).get_data(as_text=True)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    route = {"route": "/xapi/statements"}
    assert grew("lms_bridge_http_requests_total", method="PUT", status="204", **route) == 1
    assert grew("lms_bridge_http_requests_total", method="POST", status="200", **route) == 1
    assert grew("lms_bridge_http_requests_total", method="GET", status="200", **route) == 1
    # A path no rule matched is one series, never the raw path.
    assert (
        grew("lms_bridge_http_requests_total", method="GET", route="<unmatched>", status="404") == 1
    )
    assert "no-such-thing" not in after
    assert grew("lms_bridge_http_request_duration_seconds_count", method="POST", **route) == 1
    assert grew("lms_bridge_statements_stored_total") == 3
    # Every statement here is credited (pending) or left unmatched: the ledger holds three.
    entries = sum(
        sample(after, "lms_bridge_credit_entries", status=status)
        for status in ("pending", "verified", "needs_revision", "rejected", "revoked", "unmatched")
    )
    assert entries == db.session.scalar(text("SELECT count(*) FROM credit_entries"))
    assert entries > 0
    assert sample(after, "lms_bridge_outbox_depth") == 0
    assert sample(after, "lms_bridge_credit_recomputations") == 1
    assert sample(after, "lms_bridge_credit_recompute_last_duration_seconds") == 120
    assert sample(after, "lms_bridge_credit_recompute_last_statements") == 3


def test_request_id_kept_when_sane_and_replaced_otherwise(app_context: Flask) -> None:
    client = app_context.test_client()
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-0f3a9c"})
    assert kept.headers["X-Request-ID"] == "nginx-0f3a9c"
    for forged in ('a" injected="1', "x" * 500, "tab\tin it", "ünïcode"):
        replaced = client.get("/healthz", headers={"X-Request-ID": forged})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["X-Request-ID"])
    fresh = client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["X-Request-ID"])
    assert fresh.headers["X-Request-ID"] != replaced.headers["X-Request-ID"]


def test_every_log_line_of_a_request_carries_its_id(database_url: str) -> None:
    """A line logged while serving a request names the request's id, as JSON; a line
    logged outside any request names none."""
    formatter = JsonLineFormatter()
    logger = logging.getLogger("lms_bridge.test")
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    handler = Keep()
    logger.addHandler(handler)
    app = create_app(make_settings(database_url))

    @app.get("/xapi/test-log-line")
    def log_line() -> str:  # pragma: no cover - registered only for this test
        logger.warning("serving %s", "it")
        return "ok"

    try:
        response = app.test_client().get("/xapi/test-log-line", headers={"X-Request-ID": "req-42"})
        logger.warning("outside any request")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 200
    inside, outside = (orjson.loads(line) for line in lines)
    assert inside["request_id"] == "req-42"
    assert inside["message"] == "serving it"
    assert inside["level"] == "WARNING"
    assert "request_id" not in outside
