"""Versioned YAML data files (the JP policy, program templates): read and validate them.

Agencies edit these files by hand, so a bad one must be refused whole, with every problem
named by its path (``rules[2].jp.max_jp: …``), before anything uses it.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError


class DataFileError(ValueError):
    """A data file that cannot be used; ``problems`` lists each offending path and reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def read_data_file(file: Path, error: type[DataFileError]) -> str:
    """The text of a data file; ``error`` naming the file when it is unreadable or not UTF-8."""
    try:
        return file.read_text(encoding="utf-8")
    except OSError as problem:
        raise error(
            str(file), [f"tidak dapat dibaca (cannot read): {problem.strerror}"]
        ) from problem
    except UnicodeDecodeError as problem:
        raise error(
            str(file), ["berkas harus ber-encoding UTF-8 (the file must be UTF-8)"]
        ) from problem


def load_yaml_mapping(
    text: str,
    source: str,
    schema: Schema,
    error: type[DataFileError],
    *,
    items_by_id: Collection[str] = (),
) -> dict[str, Any]:
    """Parse ``text`` as YAML and load it through ``schema``; raise ``error`` naming paths.

    Each problem names its path and the line it is on; items of the lists in
    ``items_by_id`` (the policy's ``rules``) are named by their ``id``, which is what the
    agency knows a rule by, rather than by their position.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as problem:
        raise error(source, [_yaml_problem(problem)]) from problem
    if not isinstance(raw, dict):
        raise error(source, ["berkas harus berupa mapping (the file must be a mapping)"])
    try:
        data: dict[str, Any] = schema.load(raw)
    except ValidationError as problem:
        raise error(source, _located(problem.messages, text, raw, items_by_id)) from problem
    return data


def _yaml_problem(problem: yaml.YAMLError) -> str:
    """PyYAML's message names ``<unicode string>``; the caller names the file, this the line."""
    if isinstance(problem, yaml.MarkedYAMLError) and problem.problem_mark is not None:
        mark = problem.problem_mark
        context = f" ({problem.context})" if problem.context else ""
        return (
            f"baris (line) {mark.line + 1}, kolom (column) {mark.column + 1}: bukan YAML yang sah "
            f"(not valid YAML): {problem.problem}{context}"
        )
    return f"bukan YAML yang sah (not valid YAML): {problem}"


def _steps(
    messages: Any, steps: tuple[str | int, ...] = ()
) -> list[tuple[tuple[str | int, ...], str]]:
    """marshmallow's nested messages as (path steps, reason) pairs."""
    if isinstance(messages, dict):
        found: list[tuple[tuple[str | int, ...], str]] = []
        for key, value in messages.items():
            found += _steps(value, (*steps, key))
        return found
    if isinstance(messages, list) and all(isinstance(item, str) for item in messages):
        return [(steps, item) for item in messages]
    return [(steps, str(messages))]


def _located(
    messages: Any, text: str, raw: dict[str, Any], items_by_id: Collection[str]
) -> list[str]:
    """``path: reason (baris/line N)`` for each problem (built only when a file is refused)."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    problems: list[str] = []
    for steps, reason in _steps(messages):
        path = ""
        value: Any = raw
        parent: str | int | None = None
        for step in steps:
            item = (
                value[step]
                if isinstance(value, list) and isinstance(step, int) and step < len(value)
                else None
            )
            if isinstance(step, int):
                label = item.get("id") if parent in items_by_id and isinstance(item, dict) else None
                path += f"[{label}]" if isinstance(label, str) else f"[{step}]"
                value = item
            else:
                path += f".{step}" if path else step
                value = value.get(step) if isinstance(value, dict) else None
            parent = step
        line = _line_of(root, steps)
        problems.append(f"{path}: {reason}" + (f" (baris/line {line})" if line else ""))
    return problems


def _line_of(node: yaml.Node | None, steps: tuple[str | int, ...]) -> int | None:
    """The line of the deepest node ``steps`` reach (a missing key: its mapping's line)."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in steps:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value)
        ):
            child = node.value[step]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
