"""The agency page's figures: distribution, units, PPPK over the ceiling, who is below target."""

from __future__ import annotations

from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

import lms_bridge.credit.agency_year
from lms_bridge.credit import current_policy
from lms_bridge.credit.agency_year import PersonYear, agency_year, distribution, read_agency_year
from lms_bridge.credit.decisions import reject_credit
from lms_bridge.credit.reports import AgencyUnknown
from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from tests.blueprints.api.conftest import post
from tests.conftest import XAPIClient
from tests.people import AGENCY, NIP_PPPK, OTHER_AGENCY, add_people, person_row
from tests.statements import NIP_A, NIP_B, asn, completion

NIP_C = "199507172019022001"
NIP_D = "198801012012011004"


def row(
    nip: str, name: str, unit: str, employment: str = "PNS", agency: str = AGENCY
) -> dict[str, str]:
    return person_row(nip, name, agency=agency, employment=employment, unit=unit)


def days_of_elearning(nip: str, days: int) -> list[dict[str, object]]:
    """``days`` days of 8 JP e-learning in March 2025."""
    return [
        completion(actor=asn(nip), module=d, minutes=360, timestamp=f"2025-03-{d:02d}T02:00:00Z")
        for d in range(1, days + 1)
    ]


def test_distribution_bins_are_a_quarter_target_wide_and_the_last_is_open() -> None:
    people = [
        PersonYear(str(n), "x", "u", "PNS", Decimal(jp))
        for n, jp in enumerate(["0", "4.5", "5", "19.5", "20", "39.5", "40", "120"])
    ]
    bins = distribution(people, Decimal(20))
    assert [(b.low, b.high, b.people) for b in bins][:5] == [
        (Decimal(0), Decimal(5), 2),
        (Decimal(5), Decimal(10), 1),
        (Decimal(10), Decimal(15), 0),
        (Decimal(15), Decimal(20), 1),
        (Decimal(20), Decimal(25), 1),
    ]
    assert (bins[-1].low, bins[-1].high, bins[-1].people) == (Decimal(40), None, 2)
    assert sum(b.people for b in bins) == len(people)
    assert [b.reaches_target for b in bins].index(True) == 4


def test_the_agency_year_by_unit_with_who_is_below_target(
    app_context: Flask, xapi: XAPIClient
) -> None:
    add_people(
        row(NIP_A, "Siti Aminah", "Dinas Pendidikan"),
        row(NIP_B, "Budi Pribadi", "Dinas Pendidikan"),
        row(NIP_C, "Citra Lestari", "Dinas Kesehatan"),
        row(NIP_PPPK, "Putu Kontrak", "Dinas Kesehatan", employment="PPPK"),
        row(NIP_D, "Dedi Kurniawan", "Dinas Pendidikan", agency=OTHER_AGENCY),
    )
    post(
        xapi,
        *days_of_elearning(NIP_A, 3),  # 24 JP: reached
        *days_of_elearning(NIP_B, 1),  # 8 JP: below
        *days_of_elearning(NIP_PPPK, 4),  # 32 JP: PPPK over the 24 JP ceiling
        *days_of_elearning(NIP_D, 3),
    )
    year = agency_year(db.session(), current_policy(), agency=AGENCY, year=2025)
    assert (year.summary.staff, year.summary.reached_target, year.below_target) == (4, 2, 2)
    assert year.summary.total_jp == Decimal(64)
    assert [(u.unit, u.staff, u.reached_target, u.share) for u in year.units] == [
        ("Dinas Kesehatan", 2, 1, Decimal("0.5")),
        ("Dinas Pendidikan", 2, 1, Decimal("0.5")),
    ]
    below = {u.unit: [(p.name, p.total_jp) for p in u.below_target] for u in year.units}
    assert below == {
        "Dinas Kesehatan": [("Citra Lestari", Decimal(0))],
        "Dinas Pendidikan": [("Budi Pribadi", Decimal(8))],
    }
    assert [p.nip for p in year.pppk_over_ceiling] == [NIP_PPPK]
    assert sum(b.people for b in year.distribution) == 4
    assert year.distribution[0].people == 1  # Citra, 0 JP


def test_an_unknown_agency_raises(app_context: Flask) -> None:
    add_people(row(NIP_A, "Siti Aminah", "Dinas Pendidikan"))
    with pytest.raises(AgencyUnknown):
        agency_year(db.session(), current_policy(), agency="Pemerintah Provinsi Lampong", year=2025)


def test_kept_figures_follow_every_change_of_the_ledger(
    app_context: Flask, xapi: XAPIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page keeps an agency's year per process, but never shows one the ledger left."""
    add_people(row(NIP_A, "Siti Aminah", "Dinas Pendidikan"))
    post(xapi, *days_of_elearning(NIP_A, 3))
    policy = current_policy()
    first = read_agency_year(policy, agency=AGENCY, year=2025)
    assert first.summary.total_jp == Decimal(24)
    assert read_agency_year(policy, agency=AGENCY, year=2025) is first  # kept
    monkeypatch.setattr(lms_bridge.credit.agency_year, "KEPT_SECONDS", 0.0)
    assert read_agency_year(policy, agency=AGENCY, year=2025) is not first  # aged out
    monkeypatch.undo()

    entry = db.session.scalars(select(CreditEntry).order_by(CreditEntry.id)).first()
    assert entry is not None
    reject_credit(current_policy(), entry.id, decided_by="auditor", reason="bukan kegiatan")
    decided = read_agency_year(policy, agency=AGENCY, year=2025)
    assert decided.summary.total_jp == Decimal(16)  # a decision moves the figures

    post(xapi, completion(actor=asn(NIP_A), module=9, minutes=90, timestamp="2025-06-01T02:00:00Z"))
    assert read_agency_year(policy, agency=AGENCY, year=2025).summary.total_jp == Decimal(18)

    add_people(row(NIP_B, "Budi Pribadi", "Dinas Kesehatan"))
    assert read_agency_year(policy, agency=AGENCY, year=2025).summary.staff == 2  # directory
