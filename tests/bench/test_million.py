"""The million scenario at a tiny size, on both databases, so it keeps working end to end."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.million import STEPS, Database, report_lines
from tests.bench.conftest import run_bench
from tests.conftest import BACKENDS, REPO_ROOT, own_postgres_database

STATEMENTS = 2400


@pytest.fixture(params=BACKENDS)
def spawn_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own for the spawned server: the bench counts every statement in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'million.db'}"
        return
    with own_postgres_database("million", driver="postgresql") as url:
        yield url


def test_the_million_scenario_reports_growth_queries_recompute_and_bytes(
    spawn_url: str, tmp_path: Path
) -> None:
    report = tmp_path / "million.json"
    printed, results = run_bench(
        [
            "--spawn",
            spawn_url,
            "--server-dir",
            str(REPO_ROOT),
            "--scenarios",
            "million",
            "--million-statements",
            str(STATEMENTS),
            "--queries",
            "10",
            "--single",
            "10",
            "--repeat",
            "1",
            "--warmup",
            "1",
        ],
        report,
        timeout=240,
    )
    assert "last/first step:" in printed
    assert "bytes per statement:" in printed
    [scenario] = results["scenarios"]
    assert scenario["failure_count"] == 0
    details = scenario["details"]
    steps = details["steps"]
    assert len(steps) == STEPS
    assert [step["stored_after"] for step in steps] == [
        STATEMENTS * n // STEPS for n in range(1, STEPS + 1)
    ]
    assert sum(run["statements"] for run in scenario["runs"]) == STATEMENTS
    assert details["ratio_last_first"] == pytest.approx(
        steps[-1]["statements_per_s"] / steps[0]["statements_per_s"], rel=1e-2
    )
    assert set(details["queries"]) == {"agent", "verb", "activity", "registration"}
    assert all(figures["p99_ms"] > 0 for figures in details["queries"].values())
    assert details["single"]["p99_ms"] > 0
    stored = details["stored"]
    assert stored == STATEMENTS + 10 + 4  # the steps, the single POSTs and their warm-up
    assert details["recompute"]["statements"] == stored
    assert details["recompute"]["peak_rss_mib"] > 10
    tables = {table["table"]: table for table in details["tables"]}
    assert tables["statements"]["bytes"] > STATEMENTS * 500
    assert details["bytes_per_statement_total"] == pytest.approx(
        sum(t["bytes"] for t in details["tables"]) / stored, rel=1e-3
    )
    assert any(index["table"] == "statements" for index in details["indexes"])
    assert {t["table"] for t in details["tables_before_recompute"]} == set(tables)
    if spawn_url.startswith("postgresql"):
        assert steps[-1]["database_mb"] > 0
        assert all(step["wal_per_statement"] > 0 for step in steps)
        assert details["settings"]["autovacuum"] in ("on", "off")


def test_the_report_names_each_target_and_whether_it_was_met() -> None:
    step = {
        "stored_after": 100,
        "statements_per_s": 1000.0,
        "p99_ms": 9.0,
        "iowait_pct": 1.0,
        "database_mb": None,
        "checkpoints": None,
        "buffers_backend": None,
        "blocks_read": None,
    }
    figures = {"p50_ms": 10.0, "p99_ms": 60.0, "p99_runs": [60.0]}
    lines = report_lines(
        {
            "steps": [step, {**step, "statements_per_s": 600.0}],
            "ratio_last_first": 0.6,
            "overall_statements_per_s": 800.0,
            "stored": 200,
            "queries": {"agent": figures},
            "single": figures,
            "recompute": {"wall_s": 100.0, "peak_rss_mib": 400.0, "statements": 200},
            "bytes_per_statement_total": 2400.0,
            "tables": [
                {
                    "table": "statements",
                    "bytes_per_statement": 2000.0,
                    "heap_per_statement": 1500.0,
                    "indexes_per_statement": 500.0,
                }
            ],
        }
    )
    text = "\n".join(lines)
    assert "last/first step: 0.60 (target >= 0.7: MISSED)" in text
    assert "(target p99 < 50: MISSED)" in text
    assert "(target < 120 s in < 500 MiB: met)" in text
    assert "2,400 in all (target <= 2,500: met)" in text


def test_sqlite_sizes_are_read_per_table_and_index(tmp_path: Path) -> None:
    path = tmp_path / "sizes.db"
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x TEXT)")
        connection.execute("CREATE INDEX ix_t_x ON t (x)")
        connection.executemany("INSERT INTO t VALUES (?)", [("v" * 200,)] * 500)

    class Spawn:
        database_url = f"sqlite:///{path}"

    db = Database(Spawn())  # type: ignore[arg-type]
    [(_, total, heap, indexes)] = [row for row in db.table_sizes() if row[0] == "t"]
    assert total == heap + indexes
    assert heap > 100_000
    assert indexes > 100_000
    assert ("t", "ix_t_x") in {(t, i) for t, i, _ in db.index_sizes()}
