"""Prometheus metrics with prometheus_client, correct under gunicorn's worker processes.

Each gunicorn worker counts its own requests; a scrape lands on one worker, which must answer
for all of them. prometheus_client's multiprocess mode does that: with
``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn.conf.py sets it before any worker starts), every
worker writes its counters and histograms to memory-mapped files there and a scrape sums
the files. Without it (tests, ``flask run``) the metrics are this process's own.

What the database knows (credit entries by status, webhook deliveries waiting or given up,
the last recomputation) is not counted in any process: it is read when a scrape asks, with
one query, so a metric can never drift from the tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import text

from lms_bridge.db import unit_of_work
from lms_bridge.sql.driver import utc_datetime

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

PROCESS_REGISTRY = CollectorRegistry()
"""This process's request metrics (the scrape reads the shared files instead when the
multiprocess directory is set)."""

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds: a single POST takes 2-10 ms, a batch of 500 about a second."""

REQUESTS = Counter(
    "lms_bridge_http_requests",
    "Requests answered, by method, route (the URL rule, never the raw path) and status.",
    ["method", "route", "status"],
    registry=PROCESS_REGISTRY,
)
LATENCY = Histogram(
    "lms_bridge_http_request_duration_seconds",
    "Time from the request's start to its response, by method and route.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=PROCESS_REGISTRY,
)
STATEMENTS_STORED = Counter(
    "lms_bridge_statements_stored",
    "Statements stored (new ones; an identical resend stores nothing).",
    registry=PROCESS_REGISTRY,
)


_series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
"""Each (method, route, status)'s children, found once: ``labels()`` validates and hashes
its arguments on every call, a third of what counting a request cost."""


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    key = (method, route, status)
    series = _series.get(key)
    if series is None:
        series = _series.setdefault(
            key, (REQUESTS.labels(method, route, str(status)), LATENCY.labels(method, route))
        )
    series[0].inc()
    series[1].observe(seconds)


def count_stored_statements(count: int) -> None:
    """Count statements a committed batch stored."""
    if count:
        STATEMENTS_STORED.inc(count)


@dataclass(frozen=True)
class DatabaseFigures:
    """What one scrape reads from the tables."""

    credit_entries: dict[str, int]
    deliveries: dict[str, int]
    recomputations: int
    last_recompute_finished: float | None
    last_recompute_seconds: float | None
    last_recompute_statements: int | None


FIGURES_QUERY = text(
    "SELECT 'credit', status, count(*) FROM credit_entries GROUP BY status "
    "UNION ALL "
    "SELECT 'delivery', status, count(*) FROM webhook_deliveries GROUP BY status "
    "UNION ALL "
    "SELECT 'recompute', CAST(max(id) AS VARCHAR(20)), count(*) FROM credit_recomputations"
)
"""Each part reads an index (credit_entries.status, webhook_deliveries' status index) or a
small table: one round trip per scrape."""

LAST_RECOMPUTATION_QUERY = text(
    "SELECT started_at, finished_at, statements FROM credit_recomputations WHERE id = :id"
)


def database_figures() -> DatabaseFigures:
    """Read the figures the database holds (inside an app context)."""
    credit: dict[str, int] = {}
    deliveries: dict[str, int] = {}
    recomputations = 0
    last_id = None
    with unit_of_work(writes=False) as session:
        for kind, status, count in session.execute(FIGURES_QUERY):
            if kind == "credit":
                credit[status] = int(count)
            elif kind == "delivery":
                deliveries[status] = int(count)
            else:  # the newest run's id, in the status column
                recomputations, last_id = int(count), status and int(status)
        last = None
        if last_id is not None:
            last = session.execute(LAST_RECOMPUTATION_QUERY, {"id": last_id}).one()
    if last is None:
        return DatabaseFigures(credit, deliveries, recomputations, None, None, None)
    started, finished = _aware(last[0]), _aware(last[1])
    return DatabaseFigures(
        credit,
        deliveries,
        recomputations,
        finished.timestamp(),
        (finished - started).total_seconds(),
        int(last[2]),
    )


def _aware(value: object) -> datetime:
    assert isinstance(value, (datetime, str))
    return utc_datetime(value)


CREDIT_STATUSES = ("pending", "verified", "needs_revision", "rejected", "revoked", "unmatched")
"""Every status the ledger allows (its check constraint): each is reported, 0 when none."""


class DatabaseCollector(Collector):
    """Gauges made from :func:`database_figures` at scrape time."""

    def __init__(self, figures: DatabaseFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        credit = GaugeMetricFamily(
            "lms_bridge_credit_entries",
            "Credit entries in the ledger, by status.",
            labels=["status"],
        )
        for status in sorted(set(CREDIT_STATUSES) | set(figures.credit_entries)):
            credit.add_metric([status], figures.credit_entries.get(status, 0))
        yield credit
        yield _gauge(
            "lms_bridge_outbox_depth",
            "Webhook deliveries waiting to be sent or retried (status pending).",
            figures.deliveries.get("pending", 0),
        )
        yield _gauge(
            "lms_bridge_outbox_failed",
            "Webhook deliveries given up after their last attempt (status failed).",
            figures.deliveries.get("failed", 0),
        )
        yield _gauge(
            "lms_bridge_outbox_delivered",
            "Webhook deliveries a receiver accepted.",
            figures.deliveries.get("delivered", 0),
        )
        yield _gauge(
            "lms_bridge_credit_recomputations",
            "Runs of `credit recompute` recorded (credit_recomputations).",
            figures.recomputations,
        )
        if figures.last_recompute_finished is not None:
            yield _gauge(
                "lms_bridge_credit_recompute_last_finished_timestamp_seconds",
                "When the last `credit recompute` finished (Unix time).",
                figures.last_recompute_finished,
            )
            yield _gauge(
                "lms_bridge_credit_recompute_last_duration_seconds",
                "How long the last `credit recompute` took.",
                figures.last_recompute_seconds or 0.0,
            )
            yield _gauge(
                "lms_bridge_credit_recompute_last_statements",
                "Statements the last `credit recompute` read.",
                figures.last_recompute_statements or 0,
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition(figures: DatabaseFigures) -> bytes:
    """The text a scrape gets: every worker's request metrics, then the database's."""
    return b"".join(generate_latest(registry) for registry in _registries(figures))


def _registries(figures: DatabaseFigures) -> Iterable[CollectorRegistry]:
    directory = os.environ.get(MULTIPROCESS_DIRECTORY)
    if directory:
        shared = CollectorRegistry()
        multiprocess.MultiProcessCollector(shared, path=directory)  # type: ignore[no-untyped-call]
        yield shared
    else:
        yield PROCESS_REGISTRY
    from_database = CollectorRegistry()
    from_database.register(DatabaseCollector(figures))
    yield from_database
