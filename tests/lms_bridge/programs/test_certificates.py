"""STTPL certificates: issued only to who passed, one per participant, numbered without gaps
or repeats even when organisers issue at once, verifiable in public, revocable."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.credit import current_policy
from lms_bridge.credit.decisions import verify_credits
from lms_bridge.db import db, unit_of_work
from lms_bridge.exports.siasn import kursus_export
from lms_bridge.models import AuditEvent, CreditEntry
from lms_bridge.people import import_people
from lms_bridge.programs import CohortNotFound
from lms_bridge.programs.certificates import (
    certificate_number_for,
    certificate_numbers,
    cohort_certificates,
    issue_certificate,
    revoke_certificate,
    verify_certificate,
)
from lms_bridge.programs.errors import CertificateRefused
from tests.cohorts import latsar_cohort, nips
from tests.conftest import XAPIClient
from tests.people import person_row
from tests.statements import LATSAR, passing_statements

LAMPUNG = ["BPSDM Provinsi Lampung"]


def _pass(xapi: XAPIClient, *participants: str) -> None:
    statements: list[dict[str, Any]] = []
    for nip in participants:
        statements += passing_statements(nip)
    response = xapi.post_statements(statements)
    assert response.status_code == 200, response.get_json()


def test_a_participant_who_passed_gets_the_template_s_number_and_a_random_code(
    xapi: XAPIClient, app_context: Flask
) -> None:
    first, second = nips(2)
    cohort_id, _ = latsar_cohort([first, second])
    _pass(xapi, first, second)
    one = issue_certificate(cohort_id, first, actor="org@lampung.go.id", agencies=LAMPUNG)
    two = issue_certificate(cohort_id, second, actor="org@lampung.go.id", agencies=LAMPUNG)
    assert one.number == "0001/STTPL/LATSAR-CPNS/1/2026"
    assert two.number == "0002/STTPL/LATSAR-CPNS/1/2026"
    assert len(one.public_code) >= 20
    assert one.public_code != two.public_code
    verified = verify_certificate(one.public_code)
    assert verified is not None
    assert verified.valid
    assert verified.nip == first
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "certificate.issue").order_by(AuditEvent.id)
    ).all()
    assert [event.after["number"] for event in events] == [one.number, two.number]


def test_issuing_is_refused_before_the_program_is_passed_and_only_once(
    xapi: XAPIClient, app_context: Flask
) -> None:
    done, not_done = nips(2)
    cohort_id, _ = latsar_cohort([done, not_done])
    _pass(xapi, done)
    with pytest.raises(CertificateRefused) as refused:
        issue_certificate(cohort_id, not_done, actor="o", agencies=LAMPUNG)
    assert refused.value.problem == "not_completed"
    issue_certificate(cohort_id, done, actor="o", agencies=LAMPUNG)
    with pytest.raises(CertificateRefused) as again:
        issue_certificate(cohort_id, done, actor="o", agencies=LAMPUNG)
    assert again.value.problem == "issued"
    assert len(cohort_certificates(cohort_id, LAMPUNG)) == 1


def test_another_agency_s_cohort_does_not_exist_for_the_organiser(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    _pass(xapi, nip)
    with pytest.raises(CohortNotFound):
        issue_certificate(cohort_id, nip, actor="o", agencies=["BPSDM Provinsi Bali"])
    with pytest.raises(CohortNotFound):
        cohort_certificates(cohort_id, ["BPSDM Provinsi Bali"])


def test_a_revoked_certificate_verifies_as_revoked_and_leaves_the_export(
    xapi: XAPIClient, app_context: Flask
) -> None:
    [nip] = nips(1)
    cohort_id, _ = latsar_cohort([nip])
    _pass(xapi, nip)
    issued = issue_certificate(cohort_id, nip, actor="o", agencies=LAMPUNG)
    with unit_of_work(writes=False) as session:
        assert certificate_number_for(session, nip, activity_id=f"{LATSAR}/klasikal") == (
            issued.number
        )
        assert certificate_number_for(session, nip, program_code="latsar-cpns") == issued.number
        assert certificate_number_for(session, nip, program_code="pkp") is None
        assert certificate_number_for(session, nip, activity_id="https://other.example/x") is None
        many = certificate_numbers(session, [nip, *nips(3)])
        assert many.number_for(nip, activity_id=f"{LATSAR}/angkatan/2026-1") == issued.number
        assert many.number_for(nips(3)[2], program_code="latsar-cpns") is None
    with pytest.raises(CertificateRefused) as no_reason:
        revoke_certificate(cohort_id, nip, reason="  ", actor="o", agencies=LAMPUNG)
    assert no_reason.value.problem == "reason"
    revoke_certificate(cohort_id, nip, reason="data nilai salah", actor="o", agencies=LAMPUNG)
    verified = verify_certificate(issued.public_code)
    assert verified is not None
    assert not verified.valid
    assert verified.revocation_reason == "data nilai salah"
    with unit_of_work(writes=False) as session:
        assert certificate_number_for(session, nip, program_code="latsar-cpns") is None
    assert verify_certificate("tidak-ada") is None
    assert verify_certificate("x" * 1000) is None


def test_organisers_issuing_at_once_get_distinct_consecutive_numbers(
    xapi: XAPIClient, app: Flask, app_context: Flask
) -> None:
    participants = nips(6)
    cohort_id, _ = latsar_cohort(participants)
    _pass(xapi, *participants)
    db.session.remove()
    start = threading.Barrier(len(participants))
    numbers: list[str] = []
    errors: list[BaseException] = []

    def issue(nip: str) -> None:
        with app.app_context():
            start.wait()
            try:
                numbers.append(issue_certificate(cohort_id, nip, actor=nip, agencies=None).number)
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(nip,)) for nip in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers) == [f"{n:04d}/STTPL/LATSAR-CPNS/1/2026" for n in range(1, 7)]


def test_the_siasn_export_carries_the_number_on_the_program_s_records(
    xapi: XAPIClient, app_context: Flask
) -> None:
    """``nomorSertipikat``: the participant's valid STTPL number on every verified record of
    the program's activities; nothing once it is revoked."""
    nip, other = nips(2)
    import_people([person_row(n, f"Peserta {n[-3:]}", agency=LAMPUNG[0]) for n in (nip, other)])
    cohort_id, _ = latsar_cohort([nip, other])
    _pass(xapi, nip, other)
    issued = issue_certificate(cohort_id, nip, actor="o", agencies=LAMPUNG)
    open_ids = db.session.scalars(
        select(CreditEntry.id).where(CreditEntry.status.in_(("pending", "needs_revision")))
    ).all()
    if open_ids:
        verify_credits(current_policy(), list(open_ids), decided_by="auditor@lampung.go.id")

    def numbers() -> dict[str, set[str | None]]:
        with unit_of_work(writes=False) as session:
            export = kursus_export(session, current_policy(), agency=LAMPUNG[0], year=2026)
        found: dict[str, set[str | None]] = {}
        for row in export.rows:
            found.setdefault(row.nip, set()).add(row.nomor_sertipikat)
        return found

    before = numbers()
    assert before[nip] == {issued.number}
    assert before[other] == {None}
    revoke_certificate(cohort_id, nip, reason="salah terbit", actor="o", agencies=LAMPUNG)
    assert numbers()[nip] == {None}
