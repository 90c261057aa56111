"""The validator microbenchmark runs, alone and against another checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import validator

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_it_prints_a_figure_per_validator(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "validator",
        "--batch",
        "3",
        "--rounds",
        "1",
        "--runs",
        "2",
        "--against",
        str(REPO_ROOT),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    validator.main()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("this checkout: min ")
    assert lines[1].startswith(f"{REPO_ROOT}: min ")
    assert "xapi.schemas" in sys.modules  # this checkout's modules are back in place
