"""`credit explain` reads only JSON statements the LRS would accept, naming what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lms_bridge.credit.explain import StatementFileError, statements_in
from tests.statements import completion


def test_statements_of_files_and_folders_are_read(tmp_path: Path) -> None:
    (tmp_path / "one.json").write_text(json.dumps(completion()), encoding="utf-8")
    (tmp_path / "two.json").write_text(json.dumps([completion(), completion()]), encoding="utf-8")
    assert [name for name, _ in statements_in([tmp_path])] == [
        "one.json",
        "two.json#0",
        "two.json#1",
    ]


def test_malformed_json_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rusak.json"
    path.write_text('{\n  "actor": {\n  ]', encoding="utf-8")
    with pytest.raises(StatementFileError, match=r"rusak\.json, baris \(line\) 3 "):
        statements_in([path])


def test_a_statement_without_verb_is_named_by_file_and_position(tmp_path: Path) -> None:
    statement = completion()
    del statement["verb"]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([completion(), statement]), encoding="utf-8")
    with pytest.raises(StatementFileError) as refused:
        statements_in([path])
    assert str(refused.value).startswith(f"{path}#1: bukan statement xAPI 1.0.3 yang sah")
    assert "statement.verb" in str(refused.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"x": "Búdi"}'.encode("latin-1"))
    with pytest.raises(StatementFileError, match="UTF-8"):
        statements_in([path])
