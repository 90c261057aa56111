"""The ids the LRS assigns: unique, increasing, and of a form every xAPI client accepts."""

from __future__ import annotations

import re
import threading
import uuid

from lms_bridge.lrs.ids import new_statement_id
from xapi.fields import is_uuid

RFC_4122 = re.compile(r"^[a-f0-9]{8}-[a-f0-9]{4}-[1-5][a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$")
"""What the ADL's TinCanPython accepts as a statement id (versions 1 to 5 only)."""


def test_ids_increase_and_are_rfc_4122_uuids() -> None:
    ids = [new_statement_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(RFC_4122.match(value) and is_uuid(value) for value in ids)
    assert {uuid.UUID(value).variant for value in ids} == {uuid.RFC_4122}


def test_threads_get_distinct_ids() -> None:
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
