"""The IP ASN competency-dimension estimate: worked examples from Perban BKN 8/2019's weights."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask

from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import verify_credit
from lms_bridge.credit.ipasn import (
    WEIGHTS_FILE,
    WeightsError,
    competency_estimate,
    default_weights,
    parse_weights,
)
from lms_bridge.db import db, utcnow
from lms_bridge.models import Cohort, CreditEntry, Enrollment, Program
from tests.blueprints.api.conftest import post
from tests.conftest import XAPIClient
from tests.people import add_people, person_row
from tests.statements import ATTENDED, MEETING, NIP_A, asn, completion

WEIGHTS = WEIGHTS_FILE.read_text()


def estimate(position: str | None, year: int = 2025, text: str = WEIGHTS) -> dict[str, object]:
    result = competency_estimate(
        db.session(), nip=NIP_A, position=position, year=year, weights=parse_weights(text)
    )
    return {
        "job_type": result.job_type,
        "score": result.score,
        "maximum": result.maximum,
        "met": {item.item: item.met for item in result.items},
        "technical": next(
            (i.verified_jp, i.pending_jp, i.needed_jp)
            for i in result.items
            if i.item == "technical"
        ),
    }


def credit(xapi: XAPIClient, *, technical_jp_days: int, webinar: bool, verify: bool = True) -> None:
    """``technical_jp_days`` days of 8 JP e-learning (on 2025-03-01..), and a 2 JP webinar."""
    add_people(person_row(NIP_A, "Siti Aminah"))
    statements = [
        completion(actor=asn(NIP_A), module=m, minutes=360, timestamp=f"2025-03-{m:02d}T02:00:00Z")
        for m in range(1, technical_jp_days + 1)
    ]
    if webinar:
        statements.append(
            completion(
                actor=asn(NIP_A),
                module=99,
                minutes=None,
                verb=ATTENDED,
                activity_type=MEETING,
                timestamp="2025-04-01T02:00:00Z",
            )
        )
    post(xapi, *statements)
    if verify:
        for entry in db.session.scalars(db.select(CreditEntry)).all():
            verify_credit(current_policy(), entry.id, decided_by="auditor")


def test_the_shipped_weights_add_up_to_forty_for_every_job_type() -> None:
    weights = default_weights()
    for job_type, items in weights.job_types.items():
        assert sum(items.values()) == 40, job_type
    assert weights.job_types["pelaksana"] == {
        "technical": Decimal("22.5"),
        "seminar": Decimal("17.5"),
    }
    assert weights.job_type_of("Kepala Bidang Pengembangan Kompetensi") == "structural"
    assert weights.job_type_of("Analis Kebijakan Ahli Muda") == "functional"
    assert weights.job_type_of("Pengadministrasi Perkantoran") == "pelaksana"
    assert weights.job_type_of(None) == "pelaksana"


def test_a_pelaksana_with_24_verified_technical_jp_and_a_webinar_scores_forty(
    app_context: Flask, xapi: XAPIClient
) -> None:
    credit(xapi, technical_jp_days=3, webinar=True)  # 3 x 8 JP = 24 JP >= 20
    assert estimate("Pengadministrasi Perkantoran") == {
        "job_type": "pelaksana",
        "score": Decimal("40"),
        "maximum": Decimal("40"),
        "met": {"technical": True, "seminar": True},
        "technical": (Decimal(24), Decimal(0), Decimal(0)),
    }


def test_a_functional_post_short_of_twenty_jp_gets_the_seminar_item_only(
    app_context: Flask, xapi: XAPIClient
) -> None:
    credit(xapi, technical_jp_days=2, webinar=True)  # 16 JP technical
    result = estimate("Analis Kebijakan Ahli Muda")
    assert result["job_type"] == "functional"
    assert result["score"] == Decimal(10)
    assert result["met"] == {"functional": False, "technical": False, "seminar": True}
    assert result["technical"] == (Decimal(16), Decimal(0), Decimal(4))


def test_pending_credit_does_not_count_but_shows_what_verifying_would_add(
    app_context: Flask, xapi: XAPIClient
) -> None:
    credit(xapi, technical_jp_days=3, webinar=True, verify=False)
    result = estimate(None)
    assert result["score"] == 0
    assert result["technical"] == (Decimal(0), Decimal(24), Decimal(20))


def test_a_passed_pkp_cohort_sets_the_leadership_item_of_a_structural_post(
    app_context: Flask, xapi: XAPIClient
) -> None:
    credit(xapi, technical_jp_days=3, webinar=False)
    program = Program(
        code="pkp",
        version=1,
        name="PKP",
        activity_base="https://lms.example.id/pkp",
        pass_threshold=Decimal(70),
        definition={},
        digest="0" * 64,
        imported_at=utcnow(),
    )
    db.session.add(program)
    db.session.flush()
    cohort = Cohort(
        program_id=program.id,
        year=2025,
        number=1,
        name="PKP I",
        starts_on=date(2025, 2, 1),
        ends_on=date(2025, 5, 1),
        organiser="BPSDM",
        activity_id="https://lms.example.id/pkp/1",
        created_at=utcnow(),
    )
    db.session.add(cohort)
    db.session.flush()
    db.session.add(
        Enrollment(
            cohort_id=cohort.id,
            nip=NIP_A,
            registration=str(uuid.uuid4()),
            passed=True,
            completed=True,
            enrolled_at=utcnow(),
        )
    )
    db.session.commit()
    result = estimate("Kepala Seksi Diklat")
    assert result["met"] == {"leadership": True, "technical": True, "seminar": False}
    assert result["score"] == Decimal(30)
    # The same cohort does not count for another year's estimate.
    assert estimate("Kepala Seksi Diklat", year=2026)["score"] == 0


def test_a_two_year_window_counts_last_years_credit(app_context: Flask, xapi: XAPIClient) -> None:
    credit(xapi, technical_jp_days=3, webinar=True)
    assert estimate(None, year=2026)["score"] == 0
    two_years = WEIGHTS.replace("window_years: 1", "window_years: 2")
    assert estimate(None, year=2026, text=two_years)["score"] == 40


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "technical: 22.5, seminar",
            "technical: 20, seminar",
            "weights add up to 37.50, not 40.00",
        ),
        ("{leadership: 15, technical", "{leadrship: 15, technical", "job_types"),
        ("default_job_type: pelaksana", "default_job_type: honorer", "default_job_type"),
    ],
)
def test_a_bad_weights_file_is_refused(old: str, new: str, problem: str) -> None:
    assert old in WEIGHTS
    with pytest.raises(WeightsError) as refused:
        parse_weights(WEIGHTS.replace(old, new, 1))
    assert problem in str(refused.value)
