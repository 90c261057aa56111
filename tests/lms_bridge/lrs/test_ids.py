"""The ids the LRS assigns sort by time and pass every RFC 4122 validator clients use."""

from __future__ import annotations

import re
import threading
import uuid

from lms_bridge.lrs.ids import new_statement_id

RFC_4122 = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[1-5][a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$")
"""What the TinCan libraries accept as a statement id."""


def test_ids_increase_within_a_process_even_within_one_millisecond() -> None:
    ids = [new_statement_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_an_id_is_an_rfc_4122_uuid_of_version_4_and_the_standard_variant() -> None:
    value = new_statement_id()
    assert RFC_4122.match(value), value
    parsed = uuid.UUID(value)
    assert parsed.version == 4
    assert parsed.variant == uuid.RFC_4122


def test_threads_get_distinct_ids_each_in_increasing_order() -> None:
    found: list[list[str]] = [[] for _ in range(4)]

    def take(slot: int) -> None:
        found[slot].extend(new_statement_id() for _ in range(5_000))

    threads = [threading.Thread(target=take, args=(slot,)) for slot in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [value for ids in found for value in ids]
    assert len(set(every)) == len(every)
    assert all(ids == sorted(ids) for ids in found)
