"""The default policy's rules, applied to single statements (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lms_bridge.credit.policy import load_policy
from lms_bridge.credit.rules import Award, OutOfPolicy, evaluate
from tests.statements import ATTENDED, MEETING, VIEWED, completion

POLICY = load_policy()


def nothing_catalogued(_: str) -> Decimal | None:
    return None


def award(statement: dict, nominal: dict[str, Decimal] | None = None) -> Award:
    outcome = evaluate(statement, POLICY, (nominal or {}).get)
    assert isinstance(outcome, Award), outcome
    return outcome


@pytest.mark.parametrize(
    ("minutes", "jp"),
    [
        (90, "2"),
        (100, "2"),
        (112, "2"),
        (113, "2.5"),
        (45, "1"),
        (30, "0.5"),
        (20, "0"),
        (600, "8"),
    ],
)
def test_elearning_duration_is_divided_by_45_and_rounded_down_to_half_jp(
    minutes: int, jp: str
) -> None:
    assert award(completion(minutes=minutes)).jp == Decimal(jp)


def test_elearning_explanation_names_minutes_rule_and_policy() -> None:
    assert award(completion(minutes=90)).explanation == (
        "90 min e-learning ÷ 45 = 2 JP, rule elearning-duration, policy 2025.1"
    )


def test_elearning_is_capped_at_8_jp_per_module() -> None:
    outcome = award(completion(minutes=600))
    assert outcome.jp == Decimal(8)
    assert "at most 8 JP per activity" in outcome.explanation


def test_elearning_without_duration_earns_the_catalogued_nominal_jp() -> None:
    statement = completion(minutes=None)
    outcome = award(statement, {statement["object"]["id"]: Decimal(3)})
    assert outcome.jp == Decimal(3)
    assert not outcome.needs_review


def test_elearning_without_duration_or_catalogue_waits_for_review() -> None:
    outcome = award(completion(minutes=None))
    assert outcome.jp == 0
    assert outcome.needs_review


def test_moodle_one_second_duration_counts_as_no_duration() -> None:
    statement = completion(minutes=None)
    statement["result"] = {"duration": "PT1S", "completion": True}
    assert award(statement).needs_review


def test_webinar_without_duration_earns_2_jp_and_at_most_4() -> None:
    assert award(completion(verb=ATTENDED, activity_type=MEETING, minutes=None)).jp == Decimal(2)
    assert award(completion(verb=ATTENDED, activity_type=MEETING, minutes=400)).jp == Decimal(4)


def test_viewing_earns_nothing_and_says_why() -> None:
    outcome = evaluate(completion(verb=VIEWED), POLICY, nothing_catalogued)
    assert isinstance(outcome, OutOfPolicy)
    assert "verb http://id.tincanapi.com/verb/viewed earns no JP" in outcome.reason


def test_completion_of_an_unlisted_activity_type_says_which_type() -> None:
    outcome = evaluate(
        completion(activity_type="http://example.com/quiz"), POLICY, nothing_catalogued
    )
    assert isinstance(outcome, OutOfPolicy)
    assert "activity type http://example.com/quiz" in outcome.reason


def test_cmi5_completion_is_recognised_by_its_category() -> None:
    statement = completion(activity_type="http://example.com/au")
    statement["context"] = {
        "contextActivities": {
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}]
        }
    }
    assert award(statement).rule.id == "elearning-duration"


@pytest.mark.parametrize(
    "duration",
    [
        "PT" + "9" * 400 + "S",  # stored before the validator bounded durations
        "P" + "9" * 320 + "Y",  # beyond a float: infinity
        "P999999999Y",  # within the validator's bound, far beyond any learning
    ],
)
def test_an_implausible_duration_waits_for_review_instead_of_failing(duration: str) -> None:
    """``decimal.InvalidOperation`` used to fail the whole batch (or recompute) here."""
    statement = completion(minutes=None)
    statement["result"] = {"duration": duration, "completion": True}
    outcome = award(statement)
    assert outcome.needs_review
    assert outcome.jp == 0


def test_a_duration_of_a_year_is_still_measured() -> None:
    statement = completion(minutes=None)
    statement["result"] = {"duration": "P365D", "completion": True}
    outcome = award(statement)
    assert not outcome.needs_review
    assert outcome.jp == Decimal(8)  # the rule's cap per activity
