"""An entry's explanation names every cap that changed its JP, so an auditor can see why an
entry that earned 4 JP counts 1 or 0."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import XAPIClient
from tests.lms_bridge.credit.test_ledger import entries, post
from tests.statements import completion, void

SELF_DEVELOPMENT = "urn:lms-bridge:activitytype:self-development"
DAILY_CAP_1 = "; batas harian 9 JP: 1 JP dihitung (daily cap 9 JP: 1 JP counted)"


def at(hour: int, module: int, minutes: int = 180, **extra: Any) -> dict[str, Any]:
    """A completion on 10 March 2025 at ``hour`` UTC (every one on the same WIB day)."""
    return completion(
        module=module, minutes=minutes, timestamp=f"2025-03-10T0{hour}:00:00Z", **extra
    )


def test_the_policy_daily_cap_is_named_with_what_it_counted(xapi: XAPIClient) -> None:
    post(xapi, at(1, 1), at(2, 2), at(3, 3))
    first, second, third = entries()
    assert [e.jp for e in (first, second, third)] == [Decimal(4), Decimal(4), Decimal(1)]
    assert "batas" not in first.explanation
    assert "batas" not in second.explanation
    assert third.explanation.startswith("180 min e-learning ÷ 45 = 4 JP")
    assert third.explanation.endswith(DAILY_CAP_1)


def test_an_entry_cut_to_zero_says_the_cap_was_used_up(xapi: XAPIClient) -> None:
    post(xapi, at(1, 1), at(2, 2), at(3, 3), at(4, 4))
    fourth = entries()[-1]
    assert fourth.jp == 0
    assert fourth.explanation.endswith(
        "; batas harian 9 JP sudah terpakai: 0 JP dihitung "
        "(daily cap 9 JP already used up: 0 JP counted)"
    )


def test_a_rules_daily_cap_is_named_by_the_rule(xapi: XAPIClient) -> None:
    post(
        xapi,
        at(1, 1, minutes=90, activity_type=SELF_DEVELOPMENT),
        at(2, 2, minutes=90, activity_type=SELF_DEVELOPMENT),
    )
    first, second = entries()
    assert (first.jp, second.jp) == (Decimal(2), Decimal(0))
    assert "batas" not in first.explanation
    assert second.explanation.endswith(
        "; batas harian aturan self-development 2 JP sudah terpakai: 0 JP dihitung "
        "(daily cap of rule self-development 2 JP already used up: 0 JP counted)"
    )


def test_both_daily_caps_are_named_when_both_cut(xapi: XAPIClient) -> None:
    post(xapi, at(1, 1), at(2, 2), at(3, 3, activity_type=SELF_DEVELOPMENT))
    last = entries()[-1]
    assert last.jp == Decimal(1)
    assert last.explanation.endswith(
        "; batas harian aturan self-development 2 JP dan batas harian 9 JP: 1 JP dihitung "
        "(daily cap of rule self-development 2 JP and daily cap 9 JP: 1 JP counted)"
    )


def test_the_per_activity_maximum_is_named(xapi: XAPIClient) -> None:
    post(xapi, at(1, 1, minutes=600))
    [entry] = entries()
    assert entry.jp == Decimal(8)
    assert "= 13 JP; paling banyak 8 JP per kegiatan (at most 8 JP per activity)" in (
        entry.explanation
    )
    assert "batas harian" not in entry.explanation, "8 JP is under the daily cap"


def test_the_note_goes_when_the_cap_no_longer_cuts(xapi: XAPIClient) -> None:
    statements = [at(1, 1), at(2, 2), at(3, 3)]
    post(xapi, *statements)
    post(xapi, void(statements[0]["id"]))
    counting = [e for e in entries() if e.status == "pending"]
    assert [e.jp for e in counting] == [Decimal(4), Decimal(4)]
    assert all("batas" not in e.explanation for e in counting)


def test_a_repeat_of_a_capped_activity_keeps_its_note(xapi: XAPIClient) -> None:
    """The repeat rebuilds the entry but leaves its day unsettled: the note must survive."""
    post(xapi, at(1, 1), at(2, 2), at(3, 3))
    post(xapi, at(5, 3))
    third = entries()[-1]
    assert third.jp == Decimal(1)
    assert third.explanation.endswith("(2 statements, credited once)" + DAILY_CAP_1)
