"""The SIASN "kursus" export: one row per verified entry, a dry run that says why not, a record."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

import lms_bridge.exports.siasn
from lms_bridge.audit.trail import history, verify_chain
from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import correct_credit, reject_credit, verify_credit
from lms_bridge.credit.reports import AgencyUnknown
from lms_bridge.db import db
from lms_bridge.exports.siasn import (
    jumlah_jam,
    kursus_export,
    record_kursus_export,
    recorded_exports,
    siasn_date,
)
from lms_bridge.models import CreditEntry, SiasnExport, SiasnExportRow
from tests.blueprints.api.conftest import post
from tests.conftest import XAPIClient, count_rows
from tests.people import AGENCY, OTHER_AGENCY, add_people, person_row
from tests.statements import ATTENDED, MEETING, NIP_A, NIP_B, asn, completion

NIP_D = "198801012012011004"


def entry_of(nip: str, module: int) -> CreditEntry:
    entry = db.session.scalar(
        select(CreditEntry).where(
            CreditEntry.nip == nip, CreditEntry.activity_id.endswith(f"?id={module}")
        )
    )
    assert entry is not None
    return entry


@pytest.fixture
def ledger(xapi: XAPIClient) -> dict[str, int]:
    """Lampung: A has 3 verified e-learning entries (6 JP, 1.5 JP, 0.5 JP) and a webinar;
    B has one pending entry; Bandar Lampung's D has a verified entry."""
    add_people(
        person_row(NIP_A, "Siti Aminah"),
        person_row(NIP_B, "Budi Pribadi"),
        person_row(NIP_D, "Dedi Kurniawan", agency=OTHER_AGENCY),
    )
    post(
        xapi,
        completion(actor=asn(NIP_A), module=1, minutes=270, timestamp="2025-03-01T02:00:00Z"),
        completion(actor=asn(NIP_A), module=2, minutes=70, timestamp="2025-03-02T02:00:00Z"),
        completion(actor=asn(NIP_A), module=3, minutes=30, timestamp="2025-12-31T20:00:00Z"),
        completion(
            actor=asn(NIP_A),
            module=4,
            minutes=None,
            verb=ATTENDED,
            activity_type=MEETING,
            timestamp="2025-04-01T02:00:00Z",
        ),
        completion(actor=asn(NIP_B), module=1, minutes=90),
        completion(actor=asn(NIP_D), module=1, minutes=90),
    )
    ids = {
        "a1": entry_of(NIP_A, 1).id,
        "a2": entry_of(NIP_A, 2).id,
        "a3": entry_of(NIP_A, 3).id,
        "a4": entry_of(NIP_A, 4).id,
        "b1": entry_of(NIP_B, 1).id,
        "d1": entry_of(NIP_D, 1).id,
    }
    for name in ("a1", "a2", "a3", "a4", "d1"):
        verify_credit(current_policy(), ids[name], decided_by="auditor@bpsdm")
    db.session.remove()
    return ids


def test_rounding_is_per_record_and_as_the_policy_says() -> None:
    assert [jumlah_jam(Decimal(v), "down") for v in ("6", "1.5", "0.5", "7.99")] == [6, 1, 0, 7]
    assert [jumlah_jam(Decimal(v), "half-up") for v in ("1.5", "0.49", "2.5")] == [2, 0, 3]
    assert [jumlah_jam(Decimal(v), "up") for v in ("1.01", "2")] == [2, 2]
    assert siasn_date(date(2025, 3, 1)) == "01-03-2025"


def test_one_row_per_verified_entry_of_the_agency(
    app_context: Flask, ledger: dict[str, int]
) -> None:
    export = kursus_export(db.session(), current_policy(), agency=AGENCY, year=2025)
    rows = {row.entry_id: row for row in export.rows}
    assert set(rows) == {ledger["a1"], ledger["a2"], ledger["a4"]}  # not B's pending, not D's
    first = rows[ledger["a1"]]
    assert (first.nip, first.nama, first.jenis_diklat_id, first.jumlah_jam) == (
        NIP_A,
        "Siti Aminah",
        16,
        6,
    )
    assert first.nama_kursus == "Modul 1"
    assert first.institusi_penyelenggara == "BPSDM"
    assert (first.tanggal_kursus, first.tanggal_selesai_kursus, first.tahun_kursus) == (
        date(2025, 3, 1),
        date(2025, 3, 1),
        2025,
    )
    assert (rows[ledger["a2"]].jp, rows[ledger["a2"]].jumlah_jam) == (Decimal("1.50"), 1)
    assert rows[ledger["a4"]].jenis_diklat_id == 25  # webinar: nonklasikal lainnya
    assert {row.change for row in export.rows} == {"new"}
    assert export.previous is None

    left_out = {item.entry_id: item.reasons for item in export.left_out}
    # 20:00 UTC on 31 December is 1 January 2026 in WIB: not this year at all.
    assert ledger["a3"] not in left_out
    assert ledger["a3"] not in rows
    assert left_out == {ledger["b1"]: ("not_verified",)}


def test_the_dry_run_says_why_each_entry_is_left_out(
    app_context: Flask, xapi: XAPIClient, ledger: dict[str, int]
) -> None:
    post(xapi, completion(actor=asn(NIP_A), module=5, minutes=30, timestamp="2025-05-05T02:00:00Z"))
    half = entry_of(NIP_A, 5).id
    verify_credit(current_policy(), half, decided_by="auditor@bpsdm")
    reject_credit(
        current_policy(), ledger["a2"], decided_by="auditor@bpsdm", reason="bukan kegiatan ASN"
    )
    policy = current_policy()
    no_webinar_code = dataclasses.replace(
        policy,
        rules=tuple(
            dataclasses.replace(rule, siasn_jenis_diklat=None) if rule.form == "webinar" else rule
            for rule in policy.rules
        ),
    )
    export = kursus_export(db.session(), no_webinar_code, agency=AGENCY, year=2025)
    assert [row.entry_id for row in export.rows] == [ledger["a1"]]
    assert {item.entry_id: item.reasons for item in export.left_out} == {
        half: ("zero_jp",),  # 0.5 JP rounds down to 0 hours
        ledger["a4"]: ("no_code",),
        ledger["b1"]: ("not_verified",),
    }  # the rejected entry is not training: in neither list


def test_an_export_is_recorded_and_the_next_says_what_is_new(
    app_context: Flask, xapi: XAPIClient, ledger: dict[str, int]
) -> None:
    first = record_kursus_export(
        current_policy(), agency=AGENCY, year=2025, exported_by="auditor@bpsdm"
    )
    assert first.recorded is not None
    assert first.recorded.row_count == 3
    assert first.recorded.new_rows == 3
    assert count_rows(SiasnExportRow) == 3

    verify_credit(current_policy(), ledger["b1"], decided_by="auditor@bpsdm")
    correct_credit(
        current_policy(),
        ledger["a1"],
        jp=Decimal(4),
        decided_by="auditor@bpsdm",
        reason="4 JP saja",
    )
    preview = kursus_export(db.session(), current_policy(), agency=AGENCY, year=2025)
    changes = {row.entry_id: row.change for row in preview.rows}
    assert changes == {
        ledger["a1"]: "changed",
        ledger["a2"]: "exported",
        ledger["a4"]: "exported",
        ledger["b1"]: "new",
    }
    assert preview.previous is not None
    assert preview.previous.id == first.recorded.id
    assert count_rows(SiasnExport) == 1  # a dry run records nothing

    second = record_kursus_export(
        current_policy(), agency=AGENCY, year=2025, exported_by="auditor@bpsdm"
    )
    assert second.recorded is not None
    assert second.recorded.new_rows == 2
    again = kursus_export(db.session(), current_policy(), agency=AGENCY, year=2025)
    assert {row.change for row in again.rows} == {"exported"}
    history = recorded_exports(db.session(), agency=AGENCY, year=2025)
    assert [(r.row_count, r.new_rows) for r in history] == [(4, 2), (3, 3)]
    assert recorded_exports(db.session(), agency=OTHER_AGENCY, year=2025) == []


def test_an_export_is_in_the_audit_trail_and_a_failing_trail_leaves_no_export(
    app_context: Flask, ledger: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = record_kursus_export(
        current_policy(), agency=AGENCY, year=2025, exported_by="auditor@bpsdm"
    )
    assert made.recorded is not None
    (event,) = history(db.session(), "siasn_export", str(made.recorded.id))
    assert (event.actor, event.action) == ("auditor@bpsdm", "siasn.export")
    assert event.after is not None
    assert (event.after["agency"], event.after["year"], event.after["rows"]) == (AGENCY, 2025, 3)
    assert verify_chain(db.session()).ok

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(lms_bridge.exports.siasn, "record_event", broken)
    with pytest.raises(RuntimeError):
        record_kursus_export(current_policy(), agency=AGENCY, year=2025, exported_by="x")
    assert (count_rows(SiasnExport), count_rows(SiasnExportRow)) == (1, 3)


def test_an_unknown_agency_is_not_an_empty_export(
    app_context: Flask, ledger: dict[str, int]
) -> None:
    with pytest.raises(AgencyUnknown):
        kursus_export(
            db.session(), current_policy(), agency="Pemerintah Provinsi Lampong", year=2025
        )
