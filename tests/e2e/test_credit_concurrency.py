"""Concurrent LMS posts for one person and day still respect the daily cap."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from tests.e2e.conftest import LiveServer, post_raw
from tests.statements import NIP_A, completion

WRITERS = 8


def test_concurrent_completions_of_one_person_on_one_day_stay_under_the_daily_cap(
    live_server: LiveServer, app: Flask
) -> None:
    bodies = [
        json.dumps(completion(module=m, minutes=180, timestamp=f"2025-04-14T0{m}:00:00Z")).encode()
        for m in range(1, WRITERS + 1)
    ]
    results: list[int] = []
    start = threading.Barrier(WRITERS)
    threads = [
        threading.Thread(target=post_raw, args=(live_server, body, results, start))
        for body in bodies
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * WRITERS
    with app.app_context():
        entries = list(db.session.scalars(select(CreditEntry).where(CreditEntry.nip == NIP_A)))
    assert len(entries) == WRITERS
    assert sum((e.jp for e in entries), Decimal(0)) == Decimal(9)
    ordered = sorted(entries, key=lambda e: e.occurred_at)
    assert [e.jp for e in ordered] == [4, 4, 1, 0, 0, 0, 0, 0], (
        "capped in the order things happened"
    )
