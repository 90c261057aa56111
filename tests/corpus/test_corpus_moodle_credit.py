"""Every Moodle statement of the corpus (the plugin's own 190 test fixtures) earns credit by
a named rule of the default policy or is explained, and the known cases land where they
should. docs/moodle-credit-report.md shows the repository's set (tests/lms_bridge/credit)."""

from __future__ import annotations

from lms_bridge.credit import nominal_jp_lookup
from lms_bridge.credit.explain import Explanation, explain, statements_in
from tests.corpus.conftest import CORPUS
from tests.lms_bridge.credit.test_moodle_report import (
    POLICY,
    assert_credited_by_a_rule_or_explained,
)


def _report() -> list[Explanation]:
    return explain(statements_in([CORPUS.root / "moodle"]), POLICY, nominal_jp_lookup(POLICY, {}))


def test_every_moodle_statement_is_credited_by_a_rule_or_explained() -> None:
    lines = _report()
    assert len(lines) == 190
    assert_credited_by_a_rule_or_explained(lines)


def test_completions_are_credited_and_browsing_is_not() -> None:
    by_source = {line.source: line.rule_id for line in _report()}
    assert by_source["core__course_completed__completing_existing_course.json"] == (
        "elearning-duration"
    )
    assert by_source["mod_lesson__lesson_ended.json"] == "elearning-duration"
    assert by_source["mod_facetoface__take_attendance__existing_attendance_taken.json"] == (
        "seminar-in-person"
    )
    assert by_source["core__course_viewed__viewing_existing_course.json"] is None
