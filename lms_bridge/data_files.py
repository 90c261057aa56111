"""Versioned YAML data files (the JP policy, program templates): read and validate them.

Agencies edit these files by hand, so a bad one must be refused whole, with every problem
named by its path (``rules[2].jp.max_jp: …``), before anything uses it.
"""

from __future__ import annotations

from typing import Any

import yaml
from marshmallow import Schema, ValidationError


class DataFileError(ValueError):
    """A data file that cannot be used; ``problems`` lists each offending path and reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def problem_paths(messages: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested error messages as ``path: reason`` lines."""
    if isinstance(messages, dict):
        problems: list[str] = []
        for key, value in messages.items():
            step = f"[{key}]" if isinstance(key, int) else (f".{key}" if prefix else str(key))
            problems += problem_paths(value, prefix + step)
        return problems
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [f"{prefix}: {item}" for item in messages]
    return [f"{prefix}: {messages}"]


def load_yaml_mapping(
    text: str, source: str, schema: Schema, error: type[DataFileError]
) -> dict[str, Any]:
    """Parse ``text`` as YAML and load it through ``schema``; raise ``error`` naming paths."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(source, [f"bukan YAML yang sah (not valid YAML): {problem}"]) from problem
    if not isinstance(raw, dict):
        raise error(source, ["berkas harus berupa mapping (the file must be a mapping)"])
    try:
        data: dict[str, Any] = schema.load(raw)
    except ValidationError as problem:
        raise error(source, problem_paths(problem.messages)) from problem
    return data
