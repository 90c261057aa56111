"""Every Moodle statement of the repository's set earns credit by a named rule or is explained.

The report is docs/moodle-credit-report.md (``lms-bridge credit explain … --markdown``);
this test regenerates it and checks it is current, complete and right on the known cases.
The corpus check (tests/corpus) asks the same of all 190 statements of the plugin's tests.
"""

from __future__ import annotations

from lms_bridge.credit import nominal_jp_lookup
from lms_bridge.credit.explain import Explanation, as_markdown, explain, statements_in
from lms_bridge.credit.policy import load_policy
from tests.conftest import REPO_ROOT
from tests.statement_files import FIXTURES

TITLE = "What the default JP policy makes of Moodle's statements"
POLICY = load_policy()
MOODLE = FIXTURES / "moodle"


def moodle_report() -> list[Explanation]:
    return explain(statements_in([MOODLE]), POLICY, nominal_jp_lookup(POLICY, {}))


def assert_credited_by_a_rule_or_explained(lines: list[Explanation]) -> None:
    for line in lines:
        assert line.text, line
        if line.rule_id is None:
            assert "earns no JP" in line.text or "no rule of policy" in line.text, line
        else:
            assert f"rule {line.rule_id}, policy {POLICY.version}" in line.text, line


def test_every_moodle_statement_is_credited_by_a_rule_or_explained() -> None:
    lines = moodle_report()
    assert len(lines) == 35
    assert_credited_by_a_rule_or_explained(lines)


def test_completions_are_credited_and_browsing_is_not() -> None:
    by_source = {line.source: line.rule_id for line in moodle_report()}
    assert by_source["core__course_completed.json"] == "elearning-duration"
    assert by_source["mod_lesson__lesson_ended.json"] == "elearning-duration"
    assert by_source["mod_scorm__status_submitted.json"] == "elearning-duration"
    assert by_source["mod_facetoface__take_attendance.json"] == "seminar-in-person"
    assert by_source["core__course_viewed.json"] is None
    assert by_source["mod_quiz__attempt_submitted__multichoice.json#0"] is None  # an attempt


def test_the_committed_report_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "moodle-credit-report.md").read_text(encoding="utf-8")
    assert committed == as_markdown(moodle_report(), TITLE), (
        "regenerate: lms-bridge credit explain tests/fixtures/statements/moodle --markdown "
        f'"{TITLE}" > docs/moodle-credit-report.md'
    )
