"""Attendance and workplace assessments recorded on the pages move progress and JP; voids undo."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms_bridge.accounts import Principal
from lms_bridge.audit.trail import history
from lms_bridge.credit import current_policy
from lms_bridge.db import db, unit_of_work
from lms_bridge.models import CreditEvidence, Statement
from lms_bridge.programs import cohort_progress
from lms_bridge.programs.fieldwork import (
    RecordNotFound,
    RecordRefused,
    parse_score,
    record_assessment,
    record_attendance,
    void_record,
)
from lms_bridge.programs.overview import (
    behind_modules,
    matrix_table,
    read_participant_timeline,
    scheduled_ends,
)
from tests.cohorts import ENDS, STARTS, latsar_cohort, nips
from tests.conftest import XAPIClient
from tests.statements import asn, module_statement

DAY = date(2026, 4, 6)


def _instructor(*cohorts: int) -> Principal:
    return Principal(7, "guru@bpsdm.id", "Bu Guru", "instructor", frozenset(), frozenset(cohorts))


def _coach(cohort_id: int, *participants: str) -> Principal:
    return Principal(
        8,
        "coach@bpsdm.id",
        "Pak Coach",
        "coach",
        frozenset(),
        frozenset({cohort_id}),
        frozenset(participants),
    )


def _row(cohort_id: int, nip: str) -> tuple[str, Decimal, Decimal]:
    db.session.remove()
    with unit_of_work(writes=False) as session:
        progress = cohort_progress(session, cohort_id)
    row = next(row for row in progress.participants if row.nip == nip)
    return row.modules["klasikal"].status, row.jp_done["classical"], row.jp_done["workplace"]


def _ledger_jp(statement_ids: list[str]) -> Decimal:
    db.session.remove()
    total = db.session.scalar(
        select(func.coalesce(func.sum(CreditEvidence.jp), 0)).where(
            CreditEvidence.statement_id.in_(statement_ids), CreditEvidence.voided.is_(False)
        )
    )
    return Decimal(total)


def test_attendance_moves_progress_and_jp_and_a_void_moves_them_back(app_context: Flask) -> None:
    people = nips(3)
    cohort_id, registrations = latsar_cohort(people)
    instructor = _instructor(cohort_id)
    assert _row(cohort_id, people[0]) == ("not_started", 0, 0)
    recorded = record_attendance(
        current_policy(),
        instructor,
        cohort_id=cohort_id,
        module_code="klasikal",
        on=DAY,
        nips=people[:2],
    )
    assert len(recorded.statement_ids) == 2
    assert _row(cohort_id, people[0]) == ("completed", 54, 0)
    assert _row(cohort_id, people[2]) == ("not_started", 0, 0)  # not ticked
    assert _ledger_jp(recorded.statement_ids) > 0  # the classical-session rule credits it
    stored = json.loads(
        db.session.scalar(
            select(Statement.payload).where(Statement.statement_id == recorded.statement_ids[0])
        )
        or "{}"
    )
    assert stored["authority"]["account"] == {
        "homePage": "urn:lms-bridge:users",
        "name": "guru@bpsdm.id",
    }
    assert stored["context"]["instructor"]["name"] == "Bu Guru"
    assert stored["context"]["registration"] == registrations[people[0]]
    assert stored["actor"]["account"] == {"homePage": "https://siasn.bkn.go.id", "name": people[0]}
    assert stored["verb"]["id"] == "http://adlnet.gov/expapi/verbs/attended"
    assert stored["timestamp"].startswith("2026-04-06T01:00")  # 08:00 WIB
    events = history(db.session, "statement", recorded.statement_ids[0])
    assert [event.action for event in events] == ["record.attendance"]

    void_record(
        instructor,
        cohort_id=cohort_id,
        nip=people[0],
        statement_id=recorded.statement_ids[0],
        reason="salah centang",
    )
    assert _row(cohort_id, people[0]) == ("not_started", 0, 0)
    assert _row(cohort_id, people[1]) == ("completed", 54, 0)
    assert _ledger_jp(recorded.statement_ids[:1]) == 0
    events = history(db.session, "statement", recorded.statement_ids[0])
    assert [event.action for event in events] == ["record.attendance", "record.void"]
    assert events[-1].reason == "salah centang"
    with pytest.raises(RecordRefused) as again:
        void_record(
            instructor, cohort_id=cohort_id, nip=people[0], statement_id=recorded.statement_ids[0]
        )
    assert again.value.code == "already_voided"


def test_a_coach_records_workplace_assessments_by_the_modules_rule(app_context: Flask) -> None:
    people = nips(2)
    cohort_id, _ = latsar_cohort(people)
    coach = _coach(cohort_id, people[0])
    record_assessment(
        current_policy(),
        coach,
        cohort_id=cohort_id,
        nip=people[0],
        module_code="seminar-aktualisasi",
        score=Decimal(60),
        completed=True,
        note="perlu perbaikan",
    )
    db.session.remove()
    with unit_of_work(writes=False) as session:
        row = cohort_progress(session, cohort_id).participants[0]
    assert row.modules["seminar-aktualisasi"].status == "failed"  # below min_score 70
    later = record_assessment(
        current_policy(),
        coach,
        cohort_id=cohort_id,
        nip=people[0],
        module_code="seminar-aktualisasi",
        score=Decimal(82),
        completed=True,
    )
    habituasi = record_assessment(
        current_policy(),
        coach,
        cohort_id=cohort_id,
        nip=people[0],
        module_code="habituasi",
        score=None,
        completed=True,
    )
    scored = record_assessment(
        current_policy(),
        coach,
        cohort_id=cohort_id,
        nip=people[0],
        module_code="habituasi",
        score=Decimal(75),
        completed=False,
    )
    db.session.remove()
    with unit_of_work(writes=False) as session:
        row = next(
            r for r in cohort_progress(session, cohort_id).participants if r.nip == people[0]
        )
    assert row.modules["seminar-aktualisasi"].status == "passed"
    assert row.modules["seminar-aktualisasi"].best_score == Decimal(82)
    assert row.modules["habituasi"].status == "completed"
    assert row.jp_done["workplace"] == 233
    timeline = read_participant_timeline(cohort_id, people[0], today=date(2026, 12, 4))
    seminar = next(m for m in timeline.modules if m.module.code == "seminar-aktualisasi")
    assert [item.note for item in seminar.evidence] == ["perlu perbaikan", None]
    assert all(item.recorded_by == "Pak Coach" and item.voidable for item in seminar.evidence)
    verbs = [i.verb_id.rsplit("/", 1)[1] for m in timeline.modules for i in m.evidence]
    assert sorted(verbs) == ["completed", "completed", "completed", "scored"]
    void_record(coach, cohort_id=cohort_id, nip=people[0], statement_id=later.statement_ids[0])
    void_record(coach, cohort_id=cohort_id, nip=people[0], statement_id=habituasi.statement_ids[0])
    db.session.remove()
    with unit_of_work(writes=False) as session:
        row = next(
            r for r in cohort_progress(session, cohort_id).participants if r.nip == people[0]
        )
    assert row.modules["seminar-aktualisasi"].status == "failed"
    assert row.modules["habituasi"].status == "in_progress"  # the score alone remains
    assert row.jp_done["workplace"] == 0
    assert scored.statement_ids


def test_records_stay_inside_the_recorders_scope(app_context: Flask) -> None:
    people = nips(3)
    cohort_id, _ = latsar_cohort(people, number=1)
    other_id, _ = latsar_cohort(nips(2), number=2)
    instructor = _instructor(cohort_id)
    coach = _coach(cohort_id, people[0])
    refusals = [
        (
            lambda: record_attendance(
                current_policy(),
                instructor,
                cohort_id=other_id,
                module_code="klasikal",
                on=DAY,
                nips=nips(1),
            ),
            "not_found",
        ),
        (
            lambda: record_attendance(
                current_policy(),
                instructor,
                cohort_id=cohort_id,
                module_code="habituasi",
                on=DAY,
                nips=people[:1],
            ),
            "not_classical",
        ),
        (
            lambda: record_attendance(
                current_policy(),
                instructor,
                cohort_id=cohort_id,
                module_code="klasikal",
                on=ENDS.replace(month=6),
                nips=people[:1],
            ),
            "date_outside",
        ),
        (
            lambda: record_attendance(
                current_policy(),
                instructor,
                cohort_id=cohort_id,
                module_code="klasikal",
                on=DAY,
                nips=[],
            ),
            "no_participants",
        ),
        (
            lambda: record_attendance(
                current_policy(),
                instructor,
                cohort_id=cohort_id,
                module_code="klasikal",
                on=DAY,
                nips=["199001012020121001"],
            ),
            "not_found",
        ),
        (
            lambda: record_attendance(
                current_policy(),
                coach,
                cohort_id=cohort_id,
                module_code="klasikal",
                on=DAY,
                nips=people[:1],
            ),
            "role",
        ),
        (
            lambda: record_assessment(
                current_policy(),
                coach,
                cohort_id=cohort_id,
                nip=people[1],
                module_code="habituasi",
                score=None,
                completed=True,
            ),
            "not_found",
        ),
        (
            lambda: record_assessment(
                current_policy(),
                coach,
                cohort_id=cohort_id,
                nip=people[0],
                module_code="klasikal",
                score=None,
                completed=True,
            ),
            "not_workplace",
        ),
        (
            lambda: record_assessment(
                current_policy(),
                coach,
                cohort_id=cohort_id,
                nip=people[0],
                module_code="habituasi",
                score=None,
                completed=False,
            ),
            "nothing_to_record",
        ),
        (
            lambda: record_assessment(
                current_policy(),
                instructor,
                cohort_id=cohort_id,
                nip=people[0],
                module_code="habituasi",
                score=None,
                completed=True,
            ),
            "role",
        ),
    ]
    for attempt, code in refusals:
        with pytest.raises(RecordRefused) as refused:
            attempt()
        assert refused.value.code == code
    assert (
        db.session.scalar(select(func.count()).select_from(Statement)) == 0
    )  # nothing half-written
    for text in ("abc", "101", "-1", "NaN", "1e400"):
        with pytest.raises(RecordRefused):
            parse_score(text)
    assert parse_score(" 82,5 ") == Decimal("82.50")
    assert parse_score("") is None


def test_only_records_made_on_the_pages_are_voided_there(
    app_context: Flask, xapi: XAPIClient
) -> None:
    people = nips(1)
    cohort_id, _ = latsar_cohort(people)
    statement = module_statement(
        "klasikal", actor=asn(people[0]), verb="http://adlnet.gov/expapi/verbs/attended"
    )
    assert xapi.post_statements([statement]).status_code == 200
    with pytest.raises(RecordRefused) as refused:
        void_record(
            _instructor(cohort_id), cohort_id=cohort_id, nip=people[0], statement_id=statement["id"]
        )
    assert refused.value.code == "not_voidable"
    with pytest.raises(RecordNotFound):
        void_record(
            _instructor(cohort_id), cohort_id=cohort_id, nip=people[0], statement_id="0" * 36
        )


def test_modules_are_due_by_their_share_of_the_cohorts_days(app_context: Flask) -> None:
    people = nips(2)
    cohort_id, _ = latsar_cohort(people)
    with unit_of_work(writes=False) as session:
        progress = cohort_progress(session, cohort_id)
    ends = scheduled_ends(progress.cohort, progress.modules)
    assert ends["mooc-pengantar"] == date(2026, 3, 5)  # 30 of 647 JP of 75 days: day 4
    assert ends["seminar-aktualisasi"] == ENDS
    assert list(ends.values()) == sorted(ends.values())
    assert behind_modules(progress, STARTS) == {nip: [] for nip in people}
    assert behind_modules(progress, date(2026, 3, 6))[people[0]] == ["mooc-pengantar"]
    assert len(behind_modules(progress, date(2026, 12, 4))[people[0]]) == 10


def test_the_download_is_the_apis_matrix_cell_for_cell(
    app_context: Flask, xapi: XAPIClient
) -> None:
    people = nips(2)
    cohort_id, _ = latsar_cohort(people)
    record_attendance(
        current_policy(),
        _instructor(cohort_id),
        cohort_id=cohort_id,
        module_code="klasikal",
        on=DAY,
        nips=people[:1],
    )
    api = xapi.get(f"/api/v1/cohorts/{cohort_id}/progress").get_json()
    with unit_of_work(writes=False) as session:
        table = matrix_table(
            cohort_progress(session, cohort_id), lambda kind, code: f"{kind}:{code}"
        )
    assert table.headers[:6] == [
        "nip:",
        "name:",
        "registration:",
        "status:mooc-pengantar",
        "score:mooc-pengantar",
        "jp:mooc-pengantar",
    ]
    for row, participant in zip(table.rows, api["participants"], strict=True):
        assert row[0] == participant["nip"]
        klasikal = table.headers.index("status:klasikal")
        assert row[klasikal] == f"module_status:{participant['modules']['klasikal']['status']}"
        assert row[klasikal + 2] == participant["modules"]["klasikal"]["jp"]
        done = table.headers.index("jp_done:classical")
        assert row[done] == participant["jp"]["classical"]["done"]
        assert row[-3] == f"boolean:{str(participant['completed']).lower()}"
