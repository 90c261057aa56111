"""Statements real xAPI emitters send, as files laid out the same way in two places.

``tests/fixtures/statements`` is the project's own set (SOURCES.tsv there says where each
file comes from and under which licence); the full real-world corpus (``make test-corpus``)
has the same layout, so one set of checks runs on either. Every file one folder deep is
output a conformant 1.0.3 LRS accepts through ``POST /statements``, except the files a check
lists as breaking a rule; material it must reject sits in ``*/not-valid-for-xapi-1.0.3/``,
and statements it can take only as multipart/mixed in ``attachments/multipart-only/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "statements"


@dataclass(frozen=True)
class StatementFiles:
    """The JSON files under one root, named by their path relative to it."""

    root: Path

    def names(self, pattern: str) -> list[str]:
        return sorted(str(path.relative_to(self.root)) for path in self.root.glob(pattern))

    def load(self, name: str) -> Any:
        return json.loads((self.root / name).read_text(encoding="utf-8"))

    def statements(self, name: str) -> list[dict[str, Any]]:
        """The file's statements as a batch, whether it holds one or an array."""
        data = self.load(name)
        return data if isinstance(data, list) else [data]


IN_REPOSITORY = StatementFiles(FIXTURES)


def parametrize_by_file(metafunc: pytest.Metafunc, cases: dict[str, list[str]]) -> None:
    """Give each file a test case of its own (``cases``: argument name -> file names), so a
    failure names the emitter's file."""
    for argument, names in cases.items():
        if argument in metafunc.fixturenames:
            metafunc.parametrize(argument, names)
