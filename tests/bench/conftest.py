"""Helpers of the benchmark's own tests: the bench run as a person runs it, as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import REPO_ROOT


def run_bench(arguments: list[str], report: Path, *, timeout: float) -> tuple[str, dict[str, Any]]:
    """``python -m bench ARGUMENTS --json REPORT`` from the repository; asserts it exited 0
    and returns what it printed and its report."""
    finished = subprocess.run(
        [sys.executable, "-m", "bench", *arguments, "--json", str(report)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    document: dict[str, Any] = json.loads(report.read_text())
    return finished.stdout, document
