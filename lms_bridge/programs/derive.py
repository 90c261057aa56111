"""Module and program state as pure functions of the non-voided evidence.

Nothing here reads the order statements arrived in or counts them: a state is computed from
the *set* of evidence, so a re-sent statement, a shuffled batch or a late-arriving attempt
gives the same result, and removing (voiding) evidence takes the state back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lms_bridge.programs.template import MODES

PASSED_VERB = "http://adlnet.gov/expapi/verbs/passed"
FAILED_VERB = "http://adlnet.gov/expapi/verbs/failed"
STATUSES = ("not_started", "in_progress", "completed", "passed", "failed")
SATISFIED = frozenset({"completed", "passed"})
HUNDRED = Decimal(100)
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class ModuleRule:
    """What deriving a module's state needs of a program module."""

    id: int
    code: str
    mode: str
    nominal_jp: Decimal
    mandatory: bool
    verbs: frozenset[str]
    min_score: Decimal | None
    weight: Decimal


@dataclass(frozen=True)
class Evidence:
    """The facts of one statement about one module (non-voided)."""

    verb_id: str
    score: Decimal | None
    success: bool | None
    completion: bool | None


@dataclass(frozen=True)
class ModuleState:
    """Derived state of one module for one participant."""

    status: str
    best_score: Decimal | None
    jp: Decimal

    @property
    def satisfied(self) -> bool:
        """Completed or passed: the module counts toward completion and earns its JP."""
        return self.status in SATISFIED


NOT_STARTED = ModuleState("not_started", None, Decimal(0))


@dataclass(frozen=True)
class ProgramState:
    """Derived state of one participant's program."""

    jp_done: dict[str, Decimal] = field(default_factory=dict)
    jp_required: dict[str, Decimal] = field(default_factory=dict)
    completed: bool = False
    final_score: Decimal | None = None
    passed: bool = False


def score_of(result: Mapping[str, Any] | None) -> Decimal | None:
    """The score on 0 to 100: raw within min/max when given, else scaled times 100.

    Moodle v5 maps ``scaled`` to -1..1 (corpus README, "Quirks"), so raw/min/max is
    preferred whenever raw and max are present; min defaults to 0.
    """
    score = (result or {}).get("score")
    if not isinstance(score, Mapping):
        return None
    raw, low, high = score.get("raw"), score.get("min", 0), score.get("max")
    try:
        if raw is not None and high is not None and Decimal(str(high)) > Decimal(str(low)):
            value = (Decimal(str(raw)) - Decimal(str(low))) / (
                Decimal(str(high)) - Decimal(str(low))
            )
            return max(Decimal(0), min(HUNDRED, value * HUNDRED)).quantize(CENTS)
        scaled = score.get("scaled")
        if scaled is not None:
            return max(Decimal(0), min(HUNDRED, Decimal(str(scaled)) * HUNDRED)).quantize(CENTS)
    except ArithmeticError:
        return None
    return None


def derive_module(rule: ModuleRule, evidence: Iterable[Evidence]) -> ModuleState:
    """A module's state from its non-voided evidence.

    Satisfied when a statement with one of the rule's verbs does not report failure
    (``success``/``completion`` not false) and, if the rule has a minimum score, the best
    score reaches it. Satisfied with a score requirement or an explicit success is
    ``passed``, otherwise ``completed``; a failure or a best score below the minimum is
    ``failed`` (a later better attempt turns it into passed); anything else seen is
    ``in_progress``.
    """
    items = list(evidence)
    if not items:
        return NOT_STARTED
    scores = [item.score for item in items if item.score is not None]
    best = max(scores) if scores else None
    qualifying = [item for item in items if item.verb_id in rule.verbs]
    done = any(item.success is not False and item.completion is not False for item in qualifying)
    score_ok = rule.min_score is None or (best is not None and best >= rule.min_score)
    if done and score_ok:
        explicit = any(item.success is True or item.verb_id == PASSED_VERB for item in qualifying)
        status = "passed" if rule.min_score is not None or explicit else "completed"
        return ModuleState(status, best, rule.nominal_jp)
    failed = any(item.success is False or item.verb_id == FAILED_VERB for item in items)
    if failed or (done and best is not None):
        return ModuleState("failed", best, Decimal(0))
    return ModuleState("in_progress", best, Decimal(0))


def derive_program(
    rules: Sequence[ModuleRule], states: Mapping[int, ModuleState], threshold: Decimal
) -> ProgramState:
    """JP per mode, completion (every mandatory module satisfied) and the final score.

    The final score is the weighted average of the best scores of the modules with a
    weight (a weighted module without a score counts 0); with no weighted module, passing
    is completing. Passed = completed and final score ≥ threshold.
    """
    jp_done = dict.fromkeys(MODES, Decimal(0))
    jp_required = dict.fromkeys(MODES, Decimal(0))
    completed = True
    weight_total = Decimal(0)
    weighted = Decimal(0)
    for rule in rules:
        state = states.get(rule.id, NOT_STARTED)
        if rule.mandatory:
            jp_required[rule.mode] += rule.nominal_jp
            completed = completed and state.satisfied
        jp_done[rule.mode] += state.jp
        if rule.weight > 0:
            weight_total += rule.weight
            weighted += rule.weight * (state.best_score or Decimal(0))
    final = (weighted / weight_total).quantize(CENTS) if weight_total else None
    passed = completed and (final is None or final >= threshold)
    return ProgramState(jp_done, jp_required, completed, final, passed)
