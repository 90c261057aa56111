"""Microbenchmark of the statement validator's hot path: ``python -m bench.validator``.

The load benchmark measures the whole service; this isolates ``validate_statements`` (the
~30 µs per statement of docs/architecture.md), so a change to the validator can be judged
alone. Batches of Moodle-like statements (bench/statements.py) are validated in-process and
the figure is µs per statement.

``--against DIR`` compares with another checkout's ``xapi/`` (e.g. ``git worktree add`` of
main): both validators are loaded into this process and their runs alternate, so the noise
of a shared machine falls on both alike. The minimum is the figure to compare; the median
shows how noisy the machine was.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.statements import Population, StatementFactory

Validate = Callable[[Any, str], Any]


def _validator(root: Path | None) -> Validate:
    """``validate_statements`` of the xapi/ package under ``root`` (None: this checkout)."""
    if root is None:
        from xapi.schemas import validate_statements  # noqa: PLC0415

        return validate_statements
    loaded = {
        name: sys.modules.pop(name)
        for name in list(sys.modules)
        if name == "xapi" or name.startswith("xapi.")
    }
    sys.path.insert(0, str(root))
    try:
        validate: Validate = importlib.import_module("xapi.schemas").validate_statements
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == "xapi" or name.startswith("xapi.")]:
            del sys.modules[name]
        sys.modules.update(loaded)
    return validate


def _run(validate: Validate, batch: list[Any], version: str, rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        validate(batch, version)
    return (time.perf_counter() - started) / (rounds * len(batch)) * 1e6


def main() -> None:
    """Print µs per statement (minimum and median of the runs) for each validator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10, help="validations of the batch per run")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--version", choices=["1.0.3", "2.0.0"], default="2.0.0")
    parser.add_argument("--against", type=Path, default=None, help="another checkout's root")
    options = parser.parse_args()
    batch = StatementFactory(Population.build(), "validator").statements(options.batch)
    validators = {"this checkout": _validator(None)}
    if options.against is not None:
        validators[str(options.against)] = _validator(options.against)
    for validate in validators.values():
        validate(batch, options.version)  # warm the memos, as a running server has them
    runs: dict[str, list[float]] = {name: [] for name in validators}
    for _ in range(options.runs):
        for name, validate in validators.items():
            runs[name].append(_run(validate, batch, options.version, options.rounds))
    for name, figures in runs.items():
        print(
            f"{name}: min {min(figures):.1f} µs/statement, median "
            f"{statistics.median(figures):.1f} ({options.runs} runs, xAPI {options.version})"
        )


if __name__ == "__main__":
    main()
