"""Every Moodle statement of the corpus earns credit by a named rule or is explained.

The report is docs/moodle-credit-report.md (``lms-bridge credit explain … --markdown``);
this test regenerates it and checks it is current, complete and right on the known cases.
"""

from __future__ import annotations

from lms_bridge.credit import nominal_jp_lookup
from lms_bridge.credit.explain import Explanation, as_markdown, explain, statements_in
from lms_bridge.credit.policy import load_policy
from tests.conftest import CORPUS, REPO_ROOT

TITLE = "What the default JP policy makes of the Moodle corpus"
POLICY = load_policy()


def _report() -> list[Explanation]:
    return explain(statements_in([CORPUS / "moodle"]), POLICY, nominal_jp_lookup(POLICY))


def test_every_moodle_statement_is_credited_by_a_rule_or_explained() -> None:
    lines = _report()
    assert len(lines) == 190
    for line in lines:
        assert line.text, line
        if line.rule_id is None:
            assert "earns no JP" in line.text or "no rule of policy" in line.text, line
        else:
            assert f"rule {line.rule_id}, policy {POLICY.version}" in line.text, line


def test_completions_are_credited_and_browsing_is_not() -> None:
    by_source = {line.source: line for line in _report()}
    assert (
        by_source["core__course_completed__completing_existing_course.json"].rule_id
        == "elearning-duration"
    )
    assert by_source["mod_lesson__lesson_ended.json"].rule_id == "elearning-duration"
    assert (
        by_source["mod_facetoface__take_attendance__existing_attendance_taken.json"].rule_id
        == "seminar-in-person"
    )
    assert by_source["core__course_viewed__viewing_existing_course.json"].rule_id is None


def test_the_committed_report_is_current() -> None:
    committed = (REPO_ROOT / "docs" / "moodle-credit-report.md").read_text(encoding="utf-8")
    assert committed == as_markdown(_report(), TITLE), (
        "regenerate: lms-bridge credit explain ../shared/xapi-corpus/moodle --markdown "
        f"'{TITLE}' > docs/moodle-credit-report.md"
    )
