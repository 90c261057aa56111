"""Statistics of runs, the printed table and the JSON file."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from bench.client import Failure, RunResult


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted values, interpolating between closest ranks."""
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class RunStats:
    """One run, or the median of several (each field its own median)."""

    requests: int
    statements: int
    wall_s: float
    statements_per_s: float
    requests_per_s: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    client_cpu_pct: float  # of one core: what the benchmark itself took from the server
    host_cpu_pct: float  # of all cores, client and server together; NaN where unknown
    steal_pct: float  # of all cores, taken by the hypervisor for other guests; NaN where unknown
    failures: int
    retries: int

    @classmethod
    def from_run(cls, run: RunResult) -> RunStats:
        wall = run.wall if run.wall > 0 else math.nan
        lat = run.latencies
        return cls(
            requests=run.requests,
            statements=run.statements,
            wall_s=run.wall,
            statements_per_s=run.statements / wall,
            requests_per_s=run.requests / wall,
            p50_ms=percentile(lat, 50) * 1000,
            p90_ms=percentile(lat, 90) * 1000,
            p99_ms=percentile(lat, 99) * 1000,
            max_ms=(lat[-1] * 1000) if lat else math.nan,
            client_cpu_pct=100 * run.client_cpu / wall,
            host_cpu_pct=100 * run.host_busy if run.host_busy is not None else math.nan,
            steal_pct=100 * run.host_steal if run.host_steal is not None else math.nan,
            failures=run.failure_count,
            retries=run.retries,
        )

    @classmethod
    def one_process(cls, wall: float, statements: int) -> RunStats:
        """A command timed as a whole (a recompute): one request lasting ``wall`` seconds."""
        return cls(
            requests=1,
            statements=statements,
            wall_s=wall,
            statements_per_s=statements / wall if wall else math.nan,
            requests_per_s=math.nan,
            p50_ms=wall * 1000,
            p90_ms=wall * 1000,
            p99_ms=wall * 1000,
            max_ms=wall * 1000,
            client_cpu_pct=math.nan,
            host_cpu_pct=math.nan,
            steal_pct=math.nan,
            failures=0,
            retries=0,
        )

    @classmethod
    def median(cls, runs: Sequence[RunStats]) -> RunStats:
        values: dict[str, Any] = {}
        for f in fields(cls):
            column = [getattr(r, f.name) for r in runs]
            if f.name in ("failures", "retries"):
                values[f.name] = sum(column)
                continue
            known = [v for v in column if not math.isnan(v)]
            middle = statistics.median(known) if known else math.nan
            values[f.name] = round(middle) if f.type == "int" else middle
        return cls(**values)


@dataclass(frozen=True)
class Goal:
    """A product target, e.g. p99 < 30 ms; judged on the median of the runs."""

    metric: str
    op: str  # "<" or ">="
    value: float
    unit: str

    def met(self, stats: RunStats) -> bool:
        actual = float(getattr(stats, self.metric))
        if stats.requests == 0 or math.isnan(actual):
            return False
        return actual < self.value if self.op == "<" else actual >= self.value

    def __str__(self) -> str:
        short = {"statements_per_s": "stmt/s", "requests_per_s": "req/s"}
        name = short.get(self.metric, self.metric.removesuffix("_ms"))
        return f"{name} {self.op} {self.value:g}{self.unit}"


@dataclass
class ScenarioResult:
    name: str
    description: str
    runs: list[RunStats] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    goal: Goal | None = None
    notes: list[str] = field(default_factory=list)
    details: dict[str, Any] | None = None
    """Figures that are not runs (a scenario's own breakdown), written to the JSON as they are."""
    tables: list[str] = field(default_factory=list)
    """A scenario's own tables, printed after the main one."""

    def add(self, run: RunResult) -> RunStats:
        stats = RunStats.from_run(run)
        self.runs.append(stats)
        self.failure_count += run.failure_count
        room = 5 - len(self.failures)
        self.failures.extend(run.failures[: max(room, 0)])
        return stats

    @property
    def summary(self) -> RunStats:
        return RunStats.median(self.runs)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = _finite(
            {
                "name": self.name,
                "description": self.description,
                "goal": str(self.goal) if self.goal else None,
                "goal_met": (
                    self.goal.met(self.summary) and not self.failure_count
                    if self.goal and self.runs
                    else None
                ),
                "median": asdict(self.summary) if self.runs else None,
                "runs": [asdict(r) for r in self.runs],
                "failure_count": self.failure_count,
                "failures": [asdict(f) for f in self.failures],
                "notes": self.notes,
            }
        )
        if self.details is not None:
            document["details"] = _finite(self.details)
        return document


def _finite(value: Any) -> Any:
    """NaN is not JSON: write null instead; and no false precision."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


COLUMNS = (
    ("scenario", "<"),
    ("runs", ">"),
    ("req/run", ">"),
    ("stmt/s", ">"),
    ("req/s", ">"),
    ("p50 ms", ">"),
    ("p90 ms", ">"),
    ("p99 ms", ">"),
    ("max ms", ">"),
    ("client cpu", ">"),
    ("host cpu", ">"),
    ("steal", ">"),
    ("failed", ">"),
    ("target", "<"),
)


def _num(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


def _row(result: ScenarioResult) -> list[str]:
    if not result.runs:
        return [result.name, "0", *["-"] * 10, str(result.failure_count), "not run"]
    s = result.summary
    target = ""
    if result.goal is not None:
        verdict = "ok" if result.goal.met(s) else "MISSED"
        target = f"{result.goal}: {verdict if not result.failure_count else 'void (failures)'}"
    return [
        result.name,
        str(len(result.runs)),
        f"{s.requests:,}",
        _num(s.statements_per_s, 0) if s.statements else "-",
        _num(s.requests_per_s, 0),
        _num(s.p50_ms),
        _num(s.p90_ms),
        _num(s.p99_ms),
        _num(s.max_ms),
        f"{_num(s.client_cpu_pct, 0)}%",
        f"{_num(s.host_cpu_pct, 0)}%",
        f"{_num(s.steal_pct, 0)}%",
        str(result.failure_count),
        target,
    ]


def table(results: Sequence[ScenarioResult]) -> str:
    """A fixed-width table of the medians, one row per scenario."""
    rows = [[name for name, _ in COLUMNS], *(_row(r) for r in results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            f"{cell:{align}{width}}"
            for cell, (_, align), width in zip(row, COLUMNS, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def failures_text(results: Sequence[ScenarioResult]) -> str:
    lines = []
    for result in results:
        if not result.failure_count:
            continue
        lines.append(f"{result.name}: {result.failure_count} failed request(s); first ones:")
        for failure in result.failures:
            status = failure.status or "no answer"
            lines.append(f"  [{status}] {failure.request}: {failure.detail}")
    return "\n".join(lines)


def write_json(path: Path, meta: dict[str, Any], results: Sequence[ScenarioResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "scenarios": [r.to_json() for r in results]}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
