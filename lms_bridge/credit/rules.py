"""Apply the policy to one statement: which rule credits it, and how many JP.

Pure functions of (statement, policy, catalogue): the same statement always earns the same
award, which is what lets the ledger be rebuilt from stored statements at any time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from lms_bridge.credit.policy import Match, Policy, Rule
from xapi.errors import BadRequest
from xapi.fields import duration_seconds

NominalJp = Callable[[str], Decimal | None]
"""Looks up an activity's nominal JP (policy catalogue, program modules); None if unknown."""


@dataclass(frozen=True)
class Award:
    """A statement credited by a rule (before per-day caps)."""

    rule: Rule
    activity_id: str
    jp: Decimal
    needs_review: bool
    explanation: str


@dataclass(frozen=True)
class OutOfPolicy:
    """Why a statement earns no JP under this policy."""

    reason: str


def _context_activity_ids(statement: Mapping[str, Any]) -> Iterator[str]:
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for value in activities.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Mapping) and "id" in item:
                yield str(item["id"])


def _extension_value(statement: Mapping[str, Any], iri: str) -> tuple[bool, Any]:
    holders = (
        ((statement.get("object") or {}).get("definition") or {}).get("extensions"),
        (statement.get("context") or {}).get("extensions"),
        (statement.get("result") or {}).get("extensions"),
    )
    for extensions in holders:
        if isinstance(extensions, Mapping) and iri in extensions:
            return True, extensions[iri]
    return False, None


def _holds(match: Match, statement: Mapping[str, Any]) -> bool:
    obj = statement["object"]
    if statement["verb"]["id"] not in match.verbs:
        return False
    if (
        match.activity_types
        and (obj.get("definition") or {}).get("type") not in match.activity_types
    ):
        return False
    if match.activity_ids and not any(p.match(str(obj["id"])) for p in match.activity_ids):
        return False
    if match.context_activities and not any(
        pattern.match(activity_id)
        for activity_id in _context_activity_ids(statement)
        for pattern in match.context_activities
    ):
        return False
    for iri, expected in match.extensions:
        present, value = _extension_value(statement, iri)
        if not present or (expected is not None and value != expected):
            return False
    result = statement.get("result") or {}
    if match.completion is not None and result.get("completion") is not match.completion:
        return False
    return match.success is None or result.get("success") is match.success


def matching_rule(statement: Mapping[str, Any], policy: Policy) -> Rule | None:
    """The first rule (in policy order) any of whose match blocks holds."""
    obj = statement.get("object") or {}
    if obj.get("objectType", "Activity") != "Activity":
        return None
    for rule in policy.rules:
        if any(_holds(match, statement) for match in rule.matches):
            return rule
    return None


def format_jp(jp: Decimal) -> str:
    """JP as people write it: ``4``, ``1.5`` (never ``4.00`` or ``4E+1``)."""
    return f"{jp.normalize():f}"


def _rounded(jp: Decimal, step: Decimal) -> Decimal:
    return (jp / step).to_integral_value(rounding=ROUND_FLOOR) * step


MAX_CREDITED_MINUTES = Decimal(366 * 24 * 60)
"""A duration longer than a year measures no learning: it goes to the rule's fallback (an
auditor's review by default), and the arithmetic never meets numbers beyond the ledger's."""


def _minutes(statement: Mapping[str, Any]) -> Decimal | None:
    duration = (statement.get("result") or {}).get("duration")
    if not isinstance(duration, str):
        return None
    try:
        seconds = duration_seconds(duration)
    except BadRequest:
        return None
    if not math.isfinite(seconds):
        return MAX_CREDITED_MINUTES + 1
    return Decimal(repr(seconds)) / 60


def evaluate(
    statement: Mapping[str, Any], policy: Policy, nominal_jp: NominalJp
) -> Award | OutOfPolicy:
    """Credit ``statement`` by the policy, or say why it earns nothing."""
    verb = statement["verb"]["id"]
    rule = matching_rule(statement, policy)
    if rule is None:
        obj = statement.get("object") or {}
        if obj.get("objectType", "Activity") != "Activity":
            return OutOfPolicy(f"the object is a {obj.get('objectType')}, not an activity")
        if not any(verb in match.verbs for r in policy.rules for match in r.matches):
            return OutOfPolicy(f"verb {verb} earns no JP under policy {policy.version}")
        activity_type = (obj.get("definition") or {}).get("type", "(none)")
        return OutOfPolicy(
            f"no rule of policy {policy.version} credits verb {verb} on activity type "
            f"{activity_type}"
        )
    activity_id = str(statement["object"]["id"])
    suffix = f"rule {rule.id}, policy {policy.version}"
    method = rule.jp.method
    if method == "fixed":
        jp = rule.jp.fixed_jp or Decimal(0)
        return Award(
            rule, activity_id, jp, False, f"{rule.form}: fixed {format_jp(jp)} JP, {suffix}"
        )
    if method == "duration":
        minutes = _minutes(statement)
        plausible = minutes is not None and minutes <= MAX_CREDITED_MINUTES
        if minutes is not None and plausible and minutes >= rule.jp.minimum_minutes:
            jp = _rounded(minutes / policy.minutes_per_jp, policy.rounding_step)
            text = (
                f"{format_jp(minutes.quantize(Decimal('0.1')))} min {rule.form} ÷ "
                f"{format_jp(policy.minutes_per_jp)} = {format_jp(jp)} JP"
            )
            if rule.jp.max_jp is not None and jp > rule.jp.max_jp:
                jp = rule.jp.max_jp
                text += (
                    f"; paling banyak {format_jp(jp)} JP per kegiatan "
                    f"(at most {format_jp(jp)} JP per activity)"
                )
            return Award(rule, activity_id, jp, False, f"{text}, {suffix}")
        if minutes is None:
            missing = "no duration"
        elif not plausible:
            missing = "duration over a year"
        else:
            missing = f"duration under {rule.jp.minimum_minutes} min"
        fallback = rule.jp.when_no_duration
        if fallback == "fixed" and rule.jp.fallback_jp is not None:
            jp = rule.jp.fallback_jp
            return Award(
                rule,
                activity_id,
                jp,
                False,
                f"{rule.form}, {missing}: {format_jp(jp)} JP, {suffix}",
            )
        if fallback == "none":
            return OutOfPolicy(f"{missing}: rule {rule.id} credits measured time only")
        if fallback == "review":
            return Award(
                rule,
                activity_id,
                Decimal(0),
                True,
                f"{rule.form}, {missing}: needs an auditor's review, {suffix}",
            )
        return _nominal(rule, activity_id, nominal_jp, f"{missing}, ", suffix)
    return _nominal(rule, activity_id, nominal_jp, "", suffix)


def _nominal(rule: Rule, activity_id: str, nominal_jp: NominalJp, why: str, suffix: str) -> Award:
    jp = nominal_jp(activity_id)
    if jp is None:
        return Award(
            rule,
            activity_id,
            Decimal(0),
            True,
            f"{rule.form}, {why}no nominal JP catalogued: needs an auditor's review, {suffix}",
        )
    return Award(
        rule, activity_id, jp, False, f"{rule.form}, {why}nominal {format_jp(jp)} JP, {suffix}"
    )
