"""A voiding statement and its target posted at the same moment: the target ends voided.

Posted one after the other either order works; released together from two connections, the
void's transaction could miss the target's uncommitted row while the target's insert missed
the uncommitted void, leaving the target readable and credited.
"""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.db import db
from lms_bridge.models import CreditEntry, CreditEvidence, Statement
from tests.e2e.conftest import LiveServer, post_raw
from tests.statements import completion, void

PAIRS = 100
"""Each pair is one race; all must end voided (the defect lost 29 of 50)."""
FILLER_MODULE = PAIRS + 1
"""The module of the statement that makes a target's POST a batch (credited, not voided)."""


@pytest.mark.parametrize("target_in_a_batch", [False, True], ids=["target-alone", "in-a-batch"])
def test_a_target_and_its_void_posted_together_always_end_voided_and_uncredited(
    live_server: LiveServer, app: Flask, target_in_a_batch: bool
) -> None:
    """A lone statement takes the one-round-trip insert, one in a batch the general path."""
    targets = [
        completion(module=pair, minutes=90, timestamp=f"2025-03-{1 + pair % 28:02d}T02:00:00Z")
        for pair in range(PAIRS)
    ]
    for target in targets:
        results: list[int] = []
        start = threading.Barrier(2)
        racers = [
            threading.Thread(
                target=post_raw, args=(live_server, json.dumps(body).encode(), results, start)
            )
            for body in (
                [target, completion(module=FILLER_MODULE)] if target_in_a_batch else target,
                void(target["id"]),
            )
        ]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join()
        assert results == [200, 200]
    target_ids = {target["id"] for target in targets}
    filler_activity = completion(module=FILLER_MODULE)["object"]["id"]
    with app.app_context():
        unvoided = set(
            db.session.scalars(
                select(Statement.statement_id).where(
                    Statement.statement_id.in_(target_ids), Statement.voided.is_(False)
                )
            )
        )
        evidence_kept = set(
            db.session.scalars(
                select(CreditEvidence.statement_id).where(
                    CreditEvidence.statement_id.in_(target_ids), CreditEvidence.voided.is_(False)
                )
            )
        )
        counted = [
            entry.jp
            for entry in db.session.scalars(select(CreditEntry))
            if entry.status in ("pending", "verified") and entry.activity_id != filler_activity
        ]
    assert not unvoided, f"{len(unvoided)} of {PAIRS} targets stayed unvoided"
    assert not evidence_kept, f"{len(evidence_kept)} voided targets kept their evidence"
    assert sum(counted, Decimal(0)) == 0
