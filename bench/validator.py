"""Microbenchmark of the statement validator's hot path: ``python -m bench.validator``.

The load benchmark measures the whole service; this isolates ``validate_statements`` (the
~30 µs per statement of docs/architecture.md), so a change to the validator can be judged
alone. Batches of Moodle-like statements (bench/statements.py) are validated in-process;
each run reports µs per statement, and the median of the runs is printed last.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.statements import Population, StatementFactory
from xapi.schemas import validate_statements
from xapi.versions import VERSION_1, VERSION_2


def measure(batch: int, rounds: int, version: str) -> float:
    """µs per statement over ``rounds`` validations of one batch of ``batch`` statements."""
    statements = StatementFactory(Population.build(), "validator").statements(batch)
    xapi_version = VERSION_2 if version == VERSION_2 else VERSION_1
    validate_statements(statements, xapi_version)  # warm the memos, as a running server has
    started = time.perf_counter()
    for _ in range(rounds):
        validate_statements(statements, xapi_version)
    return (time.perf_counter() - started) / (rounds * batch) * 1e6


def main() -> None:
    """Print µs per statement for each run, then the median."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--version", choices=[VERSION_1, VERSION_2], default=VERSION_2)
    options = parser.parse_args()
    runs = [measure(options.batch, options.rounds, options.version) for _ in range(options.repeat)]
    for index, run in enumerate(runs, 1):
        print(f"run {index}: {run:.1f} µs/statement")
    print(f"median: {statistics.median(runs):.1f} µs/statement ({options.version})")


if __name__ == "__main__":
    main()
