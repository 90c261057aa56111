"""The second check: the full real-world xAPI corpus (``make test-corpus``).

The corpus lives outside the repository (its Moodle and Open edX files are GPL-3.0 and
AGPL-3.0, which the project's Apache-2.0 licence cannot take in), beside the checkout at
``../shared/xapi-corpus`` or wherever ``LMS_BRIDGE_XAPI_CORPUS`` says. Without it this
check fails: a corpus run that quietly tests nothing would look like a pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.statement_files import StatementFiles
from tests.xapi.conftest import rejected  # the validation checks' fixture

__all__ = ["CORPUS", "openedx_files_breaking_a_rule", "rejected"]

REPO_ROOT = Path(__file__).resolve().parents[2]
CORPUS_ROOT = Path(
    os.environ.get("LMS_BRIDGE_XAPI_CORPUS") or REPO_ROOT.parent / "shared" / "xapi-corpus"
).resolve()
CORPUS = StatementFiles(CORPUS_ROOT)


def openedx_files_breaking_a_rule(
    group_activity: tuple[str, str], unnamed_activity: tuple[str, str], bare_uuid: tuple[str, str]
) -> dict[str, tuple[str, str]]:
    """The Open edX files the corpus README lists as invalid xAPI 1.0.3 as committed, each
    with what a check expects of it (GroupActivity objects, an Activity without id, a
    grouping activity whose id is a bare UUID)."""
    return {
        **dict.fromkeys(
            (
                "openedx/problem_check(server).list_answers.json",
                "openedx/problem_check(server,multiple_questions,correct).json",
                "openedx/problem_check(server,multiple_questions,incorrect).json",
                "openedx/problem_check(server,multiple_questions,partial_correct).json",
            ),
            group_activity,
        ),
        "openedx/problem_check(browser).required.only.data.json": unnamed_activity,
        **{
            f"openedx/edx.special_exam.{kind}.attempt.{event}.json": bare_uuid
            for kind in ("practice", "proctored", "timed")
            for event in ("created", "submitted")
        },
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    if not (CORPUS_ROOT / "SOURCES.tsv").is_file():
        pytest.exit(
            f"no xAPI corpus at {CORPUS_ROOT}: set LMS_BRIDGE_XAPI_CORPUS=/path/to/xapi-corpus",
            returncode=2,
        )
