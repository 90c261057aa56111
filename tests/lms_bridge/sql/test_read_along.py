"""Reads carried by an insert are asked and answered by name."""

from __future__ import annotations

import pytest

from lms_bridge.sql.read_along import ReadAlong, answers_by_name, carried_columns


def test_answers_come_back_by_the_names_of_the_reads_that_asked() -> None:
    reads = [ReadAlong("modules", "(SELECT %s)", (1,)), ReadAlong("mappings", "(SELECT %s)", (2,))]
    columns, values = carried_columns(reads)
    assert columns == ", (SELECT %s), (SELECT %s)"
    assert values == [1, 2]
    assert answers_by_name(reads, ["m", "p"]) == {"modules": "m", "mappings": "p"}


def test_two_reads_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="share a name"):
        carried_columns([ReadAlong("modules", "(1)", ()), ReadAlong("modules", "(2)", ())])


def test_nothing_to_carry_adds_nothing() -> None:
    assert carried_columns([]) == ("", [])
    assert answers_by_name([], []) == {}
