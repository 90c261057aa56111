"""Statement ids the LRS assigns: time-ordered, in the form of a version-4 UUID.

A statement sent without an id gets one here. Random ids land on a random page of the
unique index on statement ids, and of the evidence's index on them: at a million statements
each insert touched a page that was likely not in memory, and after every checkpoint each
first touch logged the whole page (inserting 200,000 random ids into a copy of that index
wrote 104 MB of WAL; time-ordered ones, 43 MB). Time-ordered ids go in at the right edge of
those indexes, where the pages are already in memory.

The layout is UUID version 7's (RFC 9562: milliseconds first), but the version digit says 4:
xAPI 1.0.3 refers to RFC 4122, which has versions 1 to 5 only, and clients check it (the
ADL's TinCanPython refuses any other). An id is 48 bits of Unix milliseconds, a 12-bit
counter within the millisecond (one process's ids always increase), and 62 random bits.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid

_lock = threading.Lock()
_last_ms = 0
_counter = 0
COUNTER_LIMIT = 1 << 12
VERSION = 4


def new_statement_id() -> str:
    """A time-ordered statement id (see the module docstring)."""
    global _last_ms, _counter  # noqa: PLW0603  (one clock per process, under the lock)
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms, _counter = now, 0
        else:
            _counter += 1
            if _counter == COUNTER_LIMIT:  # 4,096 ids in one millisecond: borrow the next
                _last_ms, _counter = _last_ms + 1, 0
        milliseconds, counter = _last_ms, _counter
    value = milliseconds << 80 | VERSION << 76 | counter << 64 | 0b10 << 62 | secrets.randbits(62)
    return str(uuid.UUID(int=value))
