"""Explain, statement by statement, what a policy makes of a set of statements.

For agencies editing their policy and for the corpus report (docs/moodle-credit-report.md):
every statement either earns JP by a named rule or gets the reason it earns none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lms_bridge.credit.policy import Policy
from lms_bridge.credit.rules import Award, NominalJp, evaluate
from xapi.errors import InvalidStatement
from xapi.schemas import validate_statement
from xapi.versions import VERSION_1, VERSION_2


class StatementFileError(ValueError):
    """A file given to ``credit explain`` is not JSON, or holds something the LRS would refuse.

    The policy is only ever applied to statements the LRS accepted, so explaining anything
    else would describe a case that cannot happen; the file, line or statement is named.
    """


@dataclass(frozen=True)
class Explanation:
    """One statement's fate under the policy."""

    source: str
    verb: str
    activity_type: str
    rule_id: str | None
    jp: str
    text: str


def statements_in(paths: Iterable[Path]) -> list[tuple[str, dict[str, Any]]]:
    """(file name, statement) for each statement in JSON files or folders of them.

    Raises StatementFileError for a file that is not UTF-8 JSON or a statement the LRS
    would refuse (validated under its own ``version``, 1.0.3 when it names none).
    """
    found: list[tuple[str, dict[str, Any]]] = []
    for path in paths:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
        for file in files:
            data = _json_of(file)
            for position, statement in enumerate(data if isinstance(data, list) else [data]):
                suffix = f"#{position}" if isinstance(data, list) and len(data) > 1 else ""
                found.append((file.name + suffix, _valid(statement, str(file) + suffix)))
    return found


def _json_of(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise StatementFileError(
            f"{file}: berkas harus ber-encoding UTF-8 (the file must be UTF-8)"
        ) from error
    except json.JSONDecodeError as error:
        raise StatementFileError(
            f"{file}, baris (line) {error.lineno} kolom (column) {error.colno}: bukan JSON yang "
            f"sah (not valid JSON): {error.msg}"
        ) from error


def _valid(statement: object, source: str) -> dict[str, Any]:
    version = VERSION_1
    if isinstance(statement, dict) and str(statement.get("version", "")).startswith("2."):
        version = VERSION_2
    try:
        return validate_statement(statement, version)
    except InvalidStatement as error:
        raise StatementFileError(
            f"{source}: bukan statement xAPI {version} yang sah (not a valid xAPI {version} "
            f"statement): {error.message}"
        ) from error


def explain(
    statements: Iterable[tuple[str, dict[str, Any]]], policy: Policy, nominal_jp: NominalJp
) -> list[Explanation]:
    """Evaluate each statement and say what it earns, or why nothing."""
    lines: list[Explanation] = []
    for source, statement in statements:
        outcome = evaluate(statement, policy, nominal_jp)
        verb = str(statement["verb"]["id"])
        activity_type = str(
            ((statement.get("object") or {}).get("definition") or {}).get("type", "-")
        )
        if isinstance(outcome, Award):
            jp = f"{outcome.jp.normalize():f}" + (" (review)" if outcome.needs_review else "")
            lines.append(
                Explanation(source, verb, activity_type, outcome.rule.id, jp, outcome.explanation)
            )
        else:
            lines.append(Explanation(source, verb, activity_type, None, "-", outcome.reason))
    return lines


def as_markdown(lines: list[Explanation], title: str) -> str:
    """A table an auditor can read."""
    credited = sum(1 for line in lines if line.rule_id)
    out = [
        f"# {title}",
        "",
        f"{len(lines)} statements: {credited} earn credit by a named rule, "
        f"{len(lines) - credited} are out of policy, each with its reason.",
        "",
        "| statement | verb | rule | JP | explanation |",
        "|---|---|---|---|---|",
    ]
    for line in lines:
        verb = line.verb.rsplit("/", 1)[-1] or line.verb
        out.append(
            f"| {line.source} | {verb} | {line.rule_id or 'out of policy'} | {line.jp} | "
            f"{line.text.replace('|', '/')} |"
        )
    return "\n".join(out) + "\n"
