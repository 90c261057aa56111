"""``credit recompute`` at a province's scale: chunked transactions, bounded locks, resumable
runs, and a ledger that stays right while statements keep arriving.

One transaction holding an advisory lock per person ran PostgreSQL's shared lock table out
of memory from about 24,000 people. Creating that many people in a test is slow, so the
tests make the chunk small and count the advisory locks each transaction holds in
``pg_locks``: the bound is what fails on a single-transaction recompute.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text

from lms_bridge.credit import EXTENSION, current_policy, nominal_jp_lookup, rematch_actors
from lms_bridge.credit import ledger as ledger_module
from lms_bridge.credit import recompute as recompute_module
from lms_bridge.credit.active_policy import ActivePolicy
from lms_bridge.credit.recompute import recompute_credit, unfinished_run
from lms_bridge.db import db
from lms_bridge.models import CreditEntry, CreditRecomputation
from lms_bridge.models.credit import CreditEvidence
from lms_bridge.people.directory import import_people
from lms_bridge.people.identity import import_actor_mappings
from lms_bridge.programs.modules import nominal_jp_of_every_module
from lms_bridge.sql import locks
from tests.conftest import XAPIClient
from tests.statements import MOODLE, asn, completion, moodle_user, void

PEOPLE = 60
CHUNK = 10


def nip(number: int) -> str:
    return f"198503302010121{number + 1:03d}"


def post(xapi: XAPIClient, statements: list[dict[str, Any]]) -> None:
    response = xapi.post_statements(statements)
    assert response.status_code == 200, response.get_json()


def seed(xapi: XAPIClient, people: int = PEOPLE) -> list[dict[str, Any]]:
    """Two completions per person on the same day: 3 h and 2 h (4 + 3 JP, capped per day)."""
    statements = [
        completion(
            actor=asn(nip(n)), module=m, minutes=minutes, timestamp=f"2025-03-10T0{m}:00:00Z"
        )
        for n in range(people)
        for m, minutes in ((1, 180), (2, 135))
    ]
    for start in range(0, len(statements), 100):
        post(xapi, statements[start : start + 100])
    return statements


def ledger() -> set[tuple[Any, ...]]:
    """Every entry as auditors see it (what a correct recompute must produce)."""
    db.session.expire_all()
    return {
        (e.subject_key, e.activity_key, e.rule_id, e.status, e.jp, tuple(e.statement_ids))
        for e in db.session.scalars(select(CreditEntry))
    }


def evidence_per_statement() -> int:
    db.session.expire_all()
    counts = db.session.execute(
        select(func.count()).select_from(CreditEvidence).group_by(CreditEvidence.statement_id)
    ).scalars()
    return max(counts, default=0)


def test_each_chunk_is_its_own_transaction_holding_only_its_own_locks(
    xapi: XAPIClient, app_context: Flask, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(xapi)
    policy = current_policy()
    held: list[int] = []
    real_lock_keys = recompute_module.lock_keys

    def counting_lock_keys(session: Any, keys: Any) -> None:
        real_lock_keys(session, keys)
        if backend == "postgresql":
            held.append(
                int(
                    session.scalar(
                        text(
                            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                            "AND pid = pg_backend_pid()"
                        )
                    )
                )
            )
        else:
            held.append(len(keys))

    commits: list[int] = []

    def count_commit(_connection: Any) -> None:
        commits.append(1)

    event.listen(db.engine, "commit", count_commit)
    monkeypatch.setattr(recompute_module, "lock_keys", counting_lock_keys)
    try:
        lower = replace(policy, daily_cap_jp=Decimal(6))
        report = recompute_credit(
            lower,
            nominal_jp_lookup(lower, nominal_jp_of_every_module(db.session())),
            chunk_actors=CHUNK,
        )
    finally:
        event.remove(db.engine, "commit", count_commit)
    assert report.statements == 2 * PEOPLE
    assert report.entries_changed == PEOPLE  # 4 + 3 capped at 6: the second entry drops to 2
    assert report.jp_before == Decimal(7 * PEOPLE)
    assert report.jp_after == Decimal(6 * PEOPLE)
    assert len(held) == PEOPLE // CHUNK, "one lock call per chunk"
    # CHUNK people, plus the ledger's shared lock on PostgreSQL; never all PEOPLE at once
    assert max(held) <= CHUNK + (1 if backend == "postgresql" else 0)
    assert len(commits) >= PEOPLE // CHUNK


def test_a_transaction_past_the_lock_budget_takes_one_ledger_lock(
    app_context: Flask, backend: str
) -> None:
    """A bulk path that still touches thousands of people holds one lock, not thousands."""
    with db.engine.connect() as connection:
        session = db.session
        keys = {f"nip:{n:018d}" for n in range(locks.LOCK_BUDGET * 20)}
        locks.lock_keys(session, keys)
        if backend == "postgresql":
            advisory = session.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid()"
                )
            )
            assert advisory == 1
            # and it holds off a writer of any one of those people until it ends
            other = connection.exec_driver_sql(
                "SELECT pg_try_advisory_xact_lock_shared(%(key)s)", {"key": locks.LEDGER_LOCK}
            ).scalar()
            assert other is False
        session.rollback()
        connection.rollback()


def test_a_stopped_run_is_resumed_where_it_was_and_ends_as_a_whole_run(
    xapi: XAPIClient, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(xapi)
    policy = current_policy()
    lower = replace(policy, daily_cap_jp=Decimal(6))
    real_chunk = recompute_module._recompute_actors
    calls: list[int] = []

    def failing_third_chunk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the machine went down")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(recompute_module, "_recompute_actors", failing_third_chunk)
    with pytest.raises(RuntimeError):
        recompute_credit(
            lower,
            nominal_jp_lookup(lower, nominal_jp_of_every_module(db.session())),
            chunk_actors=CHUNK,
        )
    stopped = unfinished_run(lower, None)
    assert stopped is not None
    assert stopped.finished_at is None
    assert stopped.statements == 2 * 2 * CHUNK  # two chunks committed, the third rolled back
    assert stopped.last_actor_key is not None

    monkeypatch.setattr(recompute_module, "_recompute_actors", real_chunk)
    report = recompute_credit(
        lower,
        nominal_jp_lookup(lower, nominal_jp_of_every_module(db.session())),
        resume=stopped,
        chunk_actors=CHUNK,
    )
    assert report.recomputation_id == stopped.id
    assert report.statements == 2 * PEOPLE
    assert report.jp_after == Decimal(6 * PEOPLE)
    assert unfinished_run(lower, None) is None
    resumed = ledger()
    recompute_credit(lower, nominal_jp_lookup(lower, nominal_jp_of_every_module(db.session())))
    assert ledger() == resumed, "the resumed run ended where a whole run ends"


def test_statements_arriving_during_a_recompute_are_credited_once_under_the_new_policy(
    xapi: XAPIClient, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New completions and voids, for people in the chunk being written, in chunks done and
    in chunks to come, posted while a chunk is open: the result equals a recompute alone."""
    real_policy = current_policy()
    old_policy = replace(real_policy, daily_cap_jp=Decimal(5))
    monkeypatch.setitem(app_context.extensions, EXTENSION, ActivePolicy(old_policy))
    seeded = seed(xapi)
    monkeypatch.setitem(app_context.extensions, EXTENSION, ActivePolicy(real_policy))  # new

    arriving = [
        completion(actor=asn(nip(n)), module=3, minutes=90, timestamp="2025-03-10T08:00:00Z")
        for n in (0, 15, 25, 55)  # chunk done, chunk open (10..19 ... see below), to come
    ]
    voids = [void(seeded[2 * n]["id"]) for n in (5, 12, 40)]
    real_lock_keys = recompute_module.lock_keys
    chunks: list[int] = []
    ingestion: list[threading.Thread] = []
    outcome: list[int] = []

    def ingest_while_open(session: Any, keys: Any) -> None:
        chunks.append(1)
        if len(chunks) == 2:  # people 10..19: evidence rewritten, not yet locked or rebuilt
            for body in (arriving, voids):
                thread = threading.Thread(
                    target=lambda body=body: outcome.append(xapi.post_statements(body).status_code),
                    daemon=True,
                )
                thread.start()
                ingestion.append(thread)
                thread.join(0.3)
        real_lock_keys(session, keys)

    monkeypatch.setattr(recompute_module, "lock_keys", ingest_while_open)
    recompute_credit(
        real_policy,
        nominal_jp_lookup(real_policy, nominal_jp_of_every_module(db.session())),
        chunk_actors=CHUNK,
    )
    for thread in ingestion:
        thread.join(20)
    assert outcome == [200, 200]
    during = ledger()
    assert evidence_per_statement() == 1, "no statement credited twice"
    monkeypatch.setattr(recompute_module, "lock_keys", real_lock_keys)

    report = recompute_credit(
        real_policy, nominal_jp_lookup(real_policy, nominal_jp_of_every_module(db.session()))
    )
    assert ledger() == during, "a recompute alone finds nothing to change"
    assert (report.entries_added, report.entries_removed, report.entries_changed) == (0, 0, 0)
    revoked = {row for row in during if row[3] == "revoked"}
    assert {row[5] for row in revoked} == {(seeded[2 * n]["id"],) for n in (5, 12, 40)}
    credited = {statement_id for row in during for statement_id in row[5]}
    assert {statement["id"] for statement in arriving} <= credited


def test_rematching_many_identities_works_in_chunks_of_bounded_locks(
    xapi: XAPIClient, app_context: Flask, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Late identity mappings for many LMS users: parked credit moves, a chunk at a time."""
    users = 30
    post(xapi, [completion(actor=moodle_user(str(u)), minutes=90) for u in range(users)])
    assert all(row[3] == "unmatched" for row in ledger())
    import_people(
        [
            {
                "nip": nip(u),
                "name": f"ASN {u}",
                "agency": "BPSDM Provinsi Lampung",
                "unit": "PKM",
                "position": "",
                "email": "",
                "employment": "PNS",
            }
            for u in range(users)
        ]
    )
    result = import_actor_mappings(
        [{"homePage": MOODLE, "account_name": str(u), "nip": nip(u)} for u in range(users)]
    )
    locked: list[int] = []
    real_lock_keys = ledger_module.lock_keys

    def counting(session: Any, keys: Any) -> None:
        locked.append(len(keys))
        real_lock_keys(session, keys)

    monkeypatch.setattr(ledger_module, "lock_keys", counting)
    rematch_actors(result.actor_keys, current_policy(), chunk=7)
    assert max(locked) <= 2 * 7
    assert len(locked) == -(-users // 7)
    assert {row[0] for row in ledger() if row[3] == "pending"} == {
        f"nip:{nip(u)}" for u in range(users)
    }


def test_the_command_resumes_a_stopped_run_and_restart_starts_again(
    xapi: XAPIClient, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(xapi, people=30)
    policy = current_policy()
    real_chunk = recompute_module._recompute_actors
    calls: list[int] = []

    def failing_second_chunk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the machine went down")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(recompute_module, "_recompute_actors", failing_second_chunk)
    with pytest.raises(RuntimeError):
        recompute_credit(
            policy,
            nominal_jp_lookup(policy, nominal_jp_of_every_module(db.session())),
            chunk_actors=CHUNK,
        )
    monkeypatch.setattr(recompute_module, "_recompute_actors", real_chunk)
    runner = app_context.test_cli_runner()

    resumed = runner.invoke(args=["credit", "recompute"])
    assert resumed.exit_code == 0, resumed.output
    assert "melanjutkan (resuming) run" in resumed.output
    assert "60 statements" in resumed.output  # the whole run's count, the first chunk's included

    restarted = runner.invoke(args=["credit", "recompute", "--restart"])
    assert restarted.exit_code == 0, restarted.output
    assert "resuming" not in restarted.output
    db.session.expire_all()
    runs = db.session.scalars(select(CreditRecomputation).order_by(CreditRecomputation.id)).all()
    assert [run.finished_at is not None for run in runs] == [True, True]


def test_statements_with_a_verb_no_rule_names_any_more_lose_their_credit(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """A recompute parses only statements whose verb some rule names; the others' evidence
    still goes (it was earned under the policy before)."""
    credited = current_policy()
    seed(xapi, people=3)
    assert db.session.scalar(select(func.count()).select_from(CreditEvidence)) == 6
    elsewhere = frozenset({"https://example.go.id/verbs/never-sent"})
    policy = replace(
        credited,
        rules=tuple(
            replace(rule, matches=tuple(replace(match, verbs=elsewhere) for match in rule.matches))
            for rule in credited.rules
        ),
    )
    report = recompute_credit(
        policy, nominal_jp_lookup(policy, nominal_jp_of_every_module(db.session()))
    )
    assert report.statements == 6
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(CreditEvidence)) == 0
    assert {entry.status for entry in db.session.scalars(select(CreditEntry))} == {"revoked"}
    assert report.entries_removed == 6


def evidence_rows_by_id() -> dict[int, tuple[Any, ...]]:
    db.session.expire_all()
    return {
        row.id: (row.statement_id, row.rule_id, row.jp, row.policy_version, row.voided)
        for row in db.session.scalars(select(CreditEvidence))
    }


def test_a_recompute_rewrites_only_the_evidence_that_changed(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """Under the same policy every evidence row stays as it is (no dead rows, no WAL for
    them); after a change, only the rows it changes are replaced, and the ledger follows."""
    credited = current_policy()
    statements = seed(xapi, people=3)
    post(xapi, [void(statements[0]["id"])])
    before = evidence_rows_by_id()
    entries_before = ledger()
    assert len(before) == 6
    assert sum(1 for row in before.values() if row[4]) == 1
    recompute_credit(
        credited, nominal_jp_lookup(credited, nominal_jp_of_every_module(db.session()))
    )
    assert evidence_rows_by_id() == before
    assert ledger() == entries_before

    # At most 3 JP a module: the 3-hour completions (4 JP) change, the others (3 JP) do not.
    policy = replace(
        credited,
        rules=tuple(
            replace(rule, jp=replace(rule.jp, max_jp=Decimal(3)))
            if rule.id == "elearning-duration"
            else rule
            for rule in credited.rules
        ),
    )
    recompute_credit(policy, nominal_jp_lookup(policy, nominal_jp_of_every_module(db.session())))
    after = evidence_rows_by_id()
    kept = after.keys() & before.keys()
    assert all(after[key] == before[key] for key in kept)
    replaced = {before[key][0] for key in before.keys() - kept}
    assert replaced == {after[key][0] for key in after.keys() - kept}
    assert len(replaced) == 3  # each person's 3-hour completion, the voided one too
    assert {after[key][2] for key in after.keys() - kept} == {Decimal(3)}
    assert {before[key][2] for key in before.keys() - kept} == {Decimal(4)}
