"""Policy files are validated on load, with errors that name the offending value."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms_bridge.credit.policy import DEFAULT_POLICY_FILE, PolicyError, load_policy, parse_policy
from lms_bridge.credit.siasn_reference import jenis_diklat

GOOD = DEFAULT_POLICY_FILE.read_text()


def test_the_shipped_policy_follows_the_domain_defaults() -> None:
    policy = load_policy()
    assert policy.minutes_per_jp == 45
    assert policy.daily_cap_jp == 9
    assert policy.yearly_target_jp == 20
    assert str(policy.time_zone) == "Asia/Jakarta"
    assert policy.rule("elearning-duration").jp.max_jp == 8
    assert policy.rule("webinar-attendance").jp.fallback_jp == 2
    assert policy.rule("self-development").jp.daily_cap_jp == 2
    assert not policy.rule("elearning-duration").auto_verified
    assert policy.rule("seminar-in-person").auto_verified


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("time_zone: Asia/Jakarta", "time_zone: Asia/Atlantis"), "time_zone: unknown time zone"),
        (("daily_cap_jp: 9", "daily_cap_jp: -1"), "daily_cap_jp"),
        (
            ("  - id: webinar-attendance", "  - id: elearning-duration"),
            "is used by an earlier rule",
        ),
        (("path: nonklasikal", "path: online"), "path"),
        (("method: nominal           # the event's", "method: guess  # the event's"), "method"),
        (("fallback_jp: 2 ", "fallback_jp: null "), "fallback_jp"),
        (
            ("verbs: [http://adlnet.gov/expapi/verbs/attended]", "verbs: [attended]"),
            "is not an absolute IRI",
        ),
    ],
)
def test_a_bad_policy_is_refused_with_the_path_of_the_problem(
    change: tuple[str, str], problem: str
) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(PolicyError) as refused:
        parse_policy(GOOD.replace(old, new, 1), "test.yaml")
    assert any(problem in line for line in refused.value.problems), refused.value.problems


def test_a_file_that_is_not_yaml_is_refused() -> None:
    with pytest.raises(PolicyError, match="not valid YAML"):
        parse_policy("rules: [unclosed", "broken.yaml")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.yaml")


def test_a_yaml_slip_names_its_line_not_a_unicode_string(tmp_path: Path) -> None:
    path = tmp_path / "kebijakan.yaml"
    path.write_text(GOOD.replace("daily_cap_jp: 9", "daily_cap_jp: [9", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as refused:
        load_policy(path)
    assert refused.value.source == str(path)
    [problem] = refused.value.problems
    assert "<unicode string>" not in problem
    line = next(n for n, text in enumerate(GOOD.splitlines(), 1) if "daily_cap_jp: 9" in text)
    assert problem.startswith(f"baris (line) {line + 1}, ")


def test_a_rule_problem_names_the_rule_by_its_id_and_line() -> None:
    old = "      max_jp: 8 "
    line = next(n for n, text in enumerate(GOOD.splitlines(), 1) if text.startswith(old))
    with pytest.raises(PolicyError) as refused:
        parse_policy(GOOD.replace(old, "      max_jp: 0 ", 1), "test.yaml")
    [problem] = refused.value.problems
    assert problem.startswith("rules[elearning-duration].jp.max_jp: ")
    assert problem.endswith(f"(baris/line {line})")


def test_every_shipped_rule_has_a_siasn_code_on_its_own_path() -> None:
    policy = load_policy()
    codes = jenis_diklat()
    assert len(codes) == 25
    assert {c.id for c in codes.values() if c.path == "klasikal"} == set(range(1, 14))
    for rule in policy.rules:
        assert rule.siasn_jenis_diklat is not None, rule.id
        assert codes[rule.siasn_jenis_diklat].path == rule.path, rule.id
    assert policy.rule("elearning-duration").siasn_jenis_diklat == 16
    assert policy.siasn.rounding == "down"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("    e-learning: 16 ", "    e-learning: 26 "), "not a SIASN jenisDiklat code"),
        (
            ("    e-learning: 16 ", "    e-learning: 9 "),
            "is a klasikal code, the rule is nonklasikal",
        ),
        (("    e-learning: 16 ", "    e-lerning: 16 "), "no rule has the form 'e-lerning'"),
        (("  rounding: down ", "  rounding: sideways "), "siasn.rounding"),
        (
            ("    form: webinar\n", "    form: webinar\n    siasn_jenis_diklat: 3\n"),
            "rules[1].siasn_jenis_diklat: 3 (Diklat Teknis) is a klasikal code",
        ),
    ],
)
def test_a_bad_siasn_mapping_is_refused(change: tuple[str, str], problem: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(PolicyError) as refused:
        parse_policy(GOOD.replace(old, new, 1))
    assert problem in str(refused.value)


def test_a_rule_code_wins_over_its_form_code() -> None:
    text = GOOD.replace("    form: webinar\n", "    form: webinar\n    siasn_jenis_diklat: 17\n", 1)
    assert parse_policy(text).rule("webinar-attendance").siasn_jenis_diklat == 17
    without = GOOD.replace("    webinar: 25 ", "    # webinar: 25 ", 1)
    assert parse_policy(without).rule("webinar-attendance").siasn_jenis_diklat is None
