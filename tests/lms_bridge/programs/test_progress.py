"""Progress is derived from the set of non-voided statements: order, repeats and voids."""

from __future__ import annotations

import json
import random
import threading
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from lms_bridge import credit
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import CreditEntry, OutboxEvent, ProgressEvidence
from lms_bridge.programs import cohort_progress, participant_progress
from lms_bridge.programs.catalog import import_program
from lms_bridge.programs.derive import (
    Evidence,
    ModuleRule,
    ProgramState,
    derive_module,
    derive_program,
)
from lms_bridge.programs.modules import every_module, read_modules
from lms_bridge.programs.queries import MODULES_OF_ACTIVITIES
from lms_bridge.programs.template import parse_template, shipped_templates
from lms_bridge.sql.keys import index_key
from tests.cohorts import latsar_cohort, nips
from tests.conftest import XAPIClient, count_rows
from tests.queries import recorded_queries
from tests.statements import (
    ATTENDED,
    COMPLETED,
    FAILED,
    LATSAR,
    PASSED,
    VIEWED,
    module_statement,
    passing_statements,
    void,
)
from tests.statements import asn as siasn
from tests.statements import plugin_user as moodle_user

RULE = ModuleRule(
    id=1,
    code="evaluasi",
    mode="elearning",
    nominal_jp=Decimal(10),
    mandatory=True,
    verbs=frozenset({COMPLETED, PASSED}),
    min_score=Decimal(60),
    weight=Decimal(20),
)
EVIDENCE = st.builds(
    Evidence,
    verb_id=st.sampled_from([COMPLETED, PASSED, FAILED, VIEWED]),
    score=st.none() | st.decimals(min_value=0, max_value=100, places=2),
    success=st.none() | st.booleans(),
    completion=st.none() | st.booleans(),
)


@given(st.lists(EVIDENCE, max_size=8), st.randoms(use_true_random=False))
def test_module_state_ignores_order_and_repetition(
    evidence: list[Evidence], rng: random.Random
) -> None:
    shuffled = evidence + evidence[: len(evidence) // 2]
    rng.shuffle(shuffled)
    assert derive_module(RULE, shuffled) == derive_module(RULE, evidence)


RULES = [
    RULE,
    ModuleRule(
        2, "klasikal", "classical", Decimal(54), True, frozenset({ATTENDED}), None, Decimal(30)
    ),
    ModuleRule(
        3, "habituasi", "workplace", Decimal(203), True, frozenset({COMPLETED}), None, Decimal(0)
    ),
    ModuleRule(
        4, "pilihan", "distance", Decimal(6), False, frozenset({ATTENDED}), None, Decimal(0)
    ),
]
PROGRAM_EVIDENCE = st.lists(
    st.tuples(
        st.sampled_from([rule.id for rule in RULES]),
        st.builds(
            Evidence,
            verb_id=st.sampled_from([COMPLETED, PASSED, FAILED, ATTENDED]),
            score=st.none() | st.decimals(min_value=0, max_value=100, places=2),
            success=st.none() | st.booleans(),
            completion=st.none() | st.booleans(),
        ),
    ),
    max_size=12,
)


def _program(evidence: list[tuple[int, Evidence]]) -> ProgramState:
    states = {
        rule.id: derive_module(rule, [item for rule_id, item in evidence if rule_id == rule.id])
        for rule in RULES
    }
    return derive_program(RULES, states, Decimal(70))


@given(PROGRAM_EVIDENCE, st.randoms(use_true_random=False))
def test_program_state_ignores_order_and_repetition(
    evidence: list[tuple[int, Evidence]], rng: random.Random
) -> None:
    shuffled = evidence * 2
    rng.shuffle(shuffled)
    assert _program(shuffled) == _program(evidence)


@given(PROGRAM_EVIDENCE)
def test_removing_evidence_never_adds_jp_or_completion(
    evidence: list[tuple[int, Evidence]],
) -> None:
    """Why voiding takes progress back and never forward: satisfaction grows with evidence."""
    whole = _program(evidence)
    for position in range(len(evidence)):
        less = _program(evidence[:position] + evidence[position + 1 :])
        assert all(less.jp_done[mode] <= whole.jp_done[mode] for mode in whole.jp_done)
        assert whole.completed or not less.completed


def _states(progress: Any, nip: str) -> dict[str, str]:
    row = next(row for row in progress.participants if row.nip == nip)
    return {code: state.status for code, state in row.modules.items()}


def _post(xapi: XAPIClient, statements: list[dict[str, Any]]) -> None:
    response = xapi.post_statements(statements)
    assert response.status_code == 200, response.get_json()


def test_a_participant_who_completes_every_module_with_85_passes(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    _post(xapi, passing_statements(nip))
    with unit_of_work(writes=False) as session:
        [row] = participant_progress(session, cohort_id, nip).participants
    assert row.completed
    assert row.passed
    assert row.final_score == Decimal(85)
    assert row.jp_done == row.jp_required
    assert row.jp_done == {
        "elearning": Decimal(270),
        "distance": Decimal(90),
        "classical": Decimal(54),
        "workplace": Decimal(233),
    }


def test_statements_in_any_order_with_duplicates_give_the_same_matrix(
    xapi: XAPIClient, app_context: Flask
) -> None:
    first, second = nips(2)
    cohort_id, _ = latsar_cohort([first, second])
    plan: list[tuple[str, str, float | None, bool | None]] = [
        ("evaluasi-akademik", FAILED, 40, False),
        ("evaluasi-akademik", PASSED, 75, True),
        ("mooc-pengantar", VIEWED, None, None),
        ("bela-negara", COMPLETED, None, None),
        ("seminar-aktualisasi", COMPLETED, 65, None),
        ("pjj-sinkron", ATTENDED, None, None),
    ]

    def statements(nip: str) -> list[dict[str, Any]]:
        return [
            module_statement(module, actor=siasn(nip), verb=verb, raw=raw, success=success)
            for module, verb, raw, success in plan
        ]

    _post(xapi, statements(first))
    shuffled = statements(second)
    shuffled += shuffled[:3]
    random.Random(7).shuffle(shuffled)  # noqa: S311 (a fixed, reproducible order)
    for start in range(0, len(shuffled), 2):
        _post(xapi, shuffled[start : start + 2])
    with unit_of_work(writes=False) as session:
        progress = cohort_progress(session, cohort_id)
    assert _states(progress, first) == _states(progress, second)
    assert _states(progress, first)["evaluasi-akademik"] == "passed"
    assert _states(progress, first)["mooc-pengantar"] == "in_progress"
    assert _states(progress, first)["seminar-aktualisasi"] == "failed"
    assert _states(progress, first)["berakhlak"] == "not_started"


def test_voiding_the_completing_statement_takes_progress_back(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    statements = passing_statements(nip)
    _post(xapi, statements)
    habituation = next(s for s in statements if s["object"]["id"].endswith("/habituasi"))
    _post(xapi, [void(habituation["id"])])
    with unit_of_work(writes=False) as session:
        [row] = participant_progress(session, cohort_id, nip).participants
    assert row.modules["habituasi"].status == "not_started"
    assert row.jp_done["workplace"] == Decimal(30)
    assert not row.completed
    assert not row.passed


def test_registration_links_a_moodle_account_without_any_identity_mapping(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, registrations = latsar_cohort([nip])
    statement = module_statement(
        "evaluasi-akademik",
        actor=moodle_user(42),
        raw=80,
        as_parent=True,
        registration=registrations[nip],
    )
    _post(xapi, [statement])
    with unit_of_work(writes=False) as session:
        [row] = participant_progress(session, cohort_id, nip).participants
    assert row.modules["evaluasi-akademik"].status == "passed"
    assert row.modules["evaluasi-akademik"].best_score == Decimal(80)


def test_statements_outside_the_cohort_dates_do_not_count(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    late = module_statement("bela-negara", actor=siasn(nip), timestamp="2026-06-01T02:00:00Z")
    _post(xapi, [late])
    with unit_of_work(writes=False) as session:
        [row] = participant_progress(session, cohort_id, nip).participants
    assert row.modules["bela-negara"].status == "not_started"


def test_a_batch_touching_no_module_costs_one_query(xapi: XAPIClient, app_context: Flask) -> None:
    latsar_cohort(nips(1))
    statement = module_statement("bela-negara", actor=siasn(nips(1)[0]), verb=VIEWED)
    statement["object"]["id"] = "https://lms.bpsdm.example.go.id/mod/page/view.php?id=1"
    statement["context"]["contextActivities"]["parent"] = []
    with recorded_queries(db.engine) as sent:
        _post(xapi, [statement])
    touching = [q.sql for q in sent if "program_modules" in q.sql or "enrollments" in q.sql]
    assert len(touching) == 1, touching
    if db.engine.dialect.name == "postgresql":  # carried by the statement's own insert
        assert touching[0].startswith("WITH stored AS (INSERT INTO statements"), touching
    assert count_rows(ProgressEvidence) == 0


def test_a_classical_module_earns_its_nominal_jp_once_in_the_ledger(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    latsar_cohort([nip])
    attended = module_statement("klasikal", actor=siasn(nip), verb=ATTENDED)
    again = module_statement("klasikal", actor=siasn(nip), verb=COMPLETED)
    _post(xapi, [attended])
    _post(xapi, [again])
    entries = list(
        db.session.scalars(
            select(CreditEntry).where(CreditEntry.activity_id == f"{LATSAR}/klasikal")
        )
    )
    assert len(entries) == 1
    assert entries[0].jp_raw == Decimal(54)
    assert entries[0].nip == nip


def test_concurrent_batches_about_one_participant_derive_from_all_their_evidence(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    statements = passing_statements(nip)
    start = threading.Barrier(len(statements))
    statuses: list[int] = []
    db.session.remove()

    def post(statement: dict[str, Any]) -> None:
        with app_context.app_context():
            start.wait()
            statuses.append(xapi.post_statements([statement]).status_code)
            db.session.remove()

    threads = [threading.Thread(target=post, args=(s,)) for s in statements]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(statements)
    with unit_of_work(writes=False) as session:
        [row] = participant_progress(session, cohort_id, nip).participants
    assert row.completed
    assert row.passed
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == "program.passed")
        )
        == 1
    )


def test_a_batch_reads_its_own_activities_modules_once_for_progress_and_credit(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """One read of program modules per batch, by the batch's activities (not every
    program's), gives progress its modules and credit its nominal JP."""
    [nip] = nips(1)
    latsar_cohort([nip])
    batch = [
        module_statement("klasikal", actor=siasn(nip), verb=ATTENDED),
        module_statement("bela-negara", actor=siasn(nip), verb=COMPLETED),
    ]
    with recorded_queries(db.engine) as sent:
        _post(xapi, batch)
    by_activity = {MODULES_OF_ACTIVITIES.postgresql, MODULES_OF_ACTIVITIES.sqlite}
    reads = [q for q in sent if q.sql in by_activity]
    assert len(reads) == 1, [q.sql for q in sent if "program_modules" in q.sql]
    [read] = reads
    keys = read.parameters["keys"]
    if isinstance(keys, str):  # SQLite binds the list as JSON text
        keys = json.loads(keys)
    assert set(keys) == {
        index_key(activity)
        for statement in batch
        for activity in (
            statement["object"]["id"],
            *(a["id"] for a in statement["context"]["contextActivities"].get("parent", [])),
            *(a["id"] for a in statement["context"]["contextActivities"].get("grouping", [])),
        )
    }
    [entry] = db.session.scalars(
        select(CreditEntry).where(CreditEntry.activity_id == f"{LATSAR}/klasikal")
    )
    assert entry.jp_raw == Decimal(54)
    assert count_rows(ProgressEvidence) == 2


def test_nominal_jp_of_an_activity_in_two_program_versions_is_the_newest(
    app_context: Flask,
) -> None:
    latsar_cohort(nips(1))
    template = next(p for p in shipped_templates() if p.stem == "latsar-cpns").read_text()
    klasikal = template.index("/klasikal")
    version_2 = (
        template[:klasikal].replace("version: 1", "version: 2", 1)
        + template[klasikal:].replace("nominal_jp: 54", "nominal_jp: 48", 1)
    ).replace("nominal_jp: 30\n", "nominal_jp: 36\n", 1)  # the total stays 647
    with unit_of_work() as session:
        import_program(session, parse_template(version_2, "latsar-cpns v2"))
    klasikal_key = index_key(f"{LATSAR}/klasikal")
    session = db.session()
    # a batch's read, and recompute's (every module)
    for read in (read_modules(session, {klasikal_key}), every_module(session)):
        lookup = credit.nominal_jp_lookup(credit.current_policy(), read.nominal_jp)
        assert lookup(f"{LATSAR}/klasikal") == 48


def test_a_single_statement_s_nominal_jp_comes_with_its_insert_newest_version_first(
    xapi: XAPIClient, app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the insert carries the modules' read: no read of its own."""
    [nip] = nips(1)
    latsar_cohort([nip])
    template = next(p for p in shipped_templates() if p.stem == "latsar-cpns").read_text()
    klasikal = template.index("/klasikal")
    version_2 = (
        template[:klasikal].replace("version: 1", "version: 2", 1)
        + template[klasikal:].replace("nominal_jp: 54", "nominal_jp: 48", 1)
    ).replace("nominal_jp: 30\n", "nominal_jp: 36\n", 1)
    with unit_of_work() as session:
        import_program(session, parse_template(version_2, "latsar-cpns v2"))
    with recorded_queries(db.engine) as sent:
        _post(xapi, [module_statement("klasikal", actor=siasn(nip), verb=ATTENDED)])

    [entry] = db.session.scalars(
        select(CreditEntry).where(CreditEntry.activity_id == f"{LATSAR}/klasikal")
    )
    assert entry.jp_raw == Decimal(48)
    by_activity = [
        q.sql
        for q in sent
        if q.sql in {MODULES_OF_ACTIVITIES.postgresql, MODULES_OF_ACTIVITIES.sqlite}
    ]
    if db.engine.dialect.name == "postgresql":
        assert by_activity == []
        [insert] = [q.sql for q in sent if q.sql.startswith("WITH stored AS (INSERT")]
        assert "program_modules" in insert
    else:
        assert len(by_activity) == 1
