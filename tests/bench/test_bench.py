"""The benchmark is a tool the targets are judged by: it must keep working end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.report import percentile
from tests.bench.conftest import run_bench
from tests.conftest import REPO_ROOT


def test_percentiles_interpolate_between_closest_ranks() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 50) == 30.0
    assert percentile(values, 99) == pytest.approx(49.6)
    assert percentile(values, 0) == 10.0
    assert percentile([7.0], 99) == 7.0


def test_a_small_run_against_a_spawned_server_measures_every_scenario(tmp_path: Path) -> None:
    """Spawns gunicorn on a throwaway SQLite file, as `make bench` does, at a tiny scale."""
    report = tmp_path / "bench.json"
    printed, results = run_bench(
        [
            "--spawn",
            "sqlite",
            "--server-dir",
            str(REPO_ROOT),
            "--statements",
            "200",
            "--batch",
            "50",
            "--round",
            "100",
            "--single",
            "20",
            "--queries",
            "10",
            "--repeat",
            "1",
            "--warmup",
            "2",
            "--scenarios",
            "seed,single,query-agent,query-verb,recompute",
        ],
        report,
        timeout=180,
    )
    assert "host speed: a fixed Python loop took" in printed
    by_name = {scenario["name"]: scenario for scenario in results["scenarios"]}
    assert list(by_name) == ["seed", "single", "query-agent", "query-verb", "recompute"]
    assert all(scenario["failure_count"] == 0 for scenario in by_name.values())
    assert sum(run["statements"] for run in by_name["seed"]["runs"]) == 200
    assert by_name["single"]["median"]["requests"] == 20
    assert by_name["recompute"]["median"]["statements"] >= 220  # the seed and the singles
    assert results["meta"]["host_speed_ms_before"] > 0


def test_the_soak_and_the_auth_attack_run_short(tmp_path: Path) -> None:
    """The long scenarios, seconds long: paced streams, worker RSS, the attack's statuses."""
    report = tmp_path / "bench.json"
    _, results = run_bench(
        [
            "--spawn",
            "sqlite",
            "--server-dir",
            str(REPO_ROOT),
            "--scenarios",
            "soak,auth-attack",
            "--batch",
            "20",
            "--soak-seconds",
            "6",
            "--soak-peak-seconds",
            "2",
            "--attack-seconds",
            "2",
            "--attackers",
            "2",
        ],
        report,
        timeout=240,
    )
    by_name = {s["name"]: s for s in results["scenarios"]}
    soak = by_name["soak"]
    assert soak["failure_count"] == 0
    assert any(note.startswith("memory flat") for note in soak["notes"])
    assert sum(1 for note in soak["notes"] if note.startswith("worker ")) >= 1
    attack = by_name["auth-attack"]
    assert len(attack["runs"]) == 2
    assert any("attackers:" in note and "401" in note for note in attack["notes"])
