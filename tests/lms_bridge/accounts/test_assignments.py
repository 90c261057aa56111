"""Instructors follow cohorts, coaches follow participants; the CLI assigns (one-line errors)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.accounts import (
    AccountInvalid,
    AccountNotFound,
    Principal,
    assign_cohort,
    assign_participant,
    create_user,
    load_session_account,
)
from lms_bridge.audit.trail import history
from lms_bridge.db import db
from lms_bridge.models import User
from tests.cohorts import latsar_cohort, nips
from tests.conftest import HASH_METHOD

LAMPUNG = "BPSDM Provinsi Lampung"


def _account(email: str, role: str, agencies: list[str] | None = None) -> None:
    """A person's account of ``role`` (in Lampung unless told), named after its address."""
    create_user(
        email,
        email.split("@", maxsplit=1)[0].title(),
        role,
        [LAMPUNG] if agencies is None else agencies,
        password="kata-sandi-1",
        actor="t",
        hash_method=HASH_METHOD,
    )


def _principal(email: str) -> Principal:
    db.session.remove()
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    account = load_session_account(user.id, user.session_token)
    assert account is not None
    return account.principal


def test_an_instructor_sees_only_the_cohorts_assigned(app_context: Flask) -> None:
    first, _ = latsar_cohort(nips(2), number=1)
    second, _ = latsar_cohort(nips(2), number=2)
    _account("guru@x.id", "instructor")
    assert _principal("guru@x.id").cohorts == frozenset()
    assert assign_cohort("guru@x.id", first, actor="cli:root")
    assert not assign_cohort("guru@x.id", first, actor="cli:root")  # once
    principal = _principal("guru@x.id")
    assert principal.sees_cohort(first)
    assert not principal.sees_cohort(second)
    assert principal.sees_participant(first, nips(2)[1])
    events = history(db.session, subject_type="user", subject_id="guru@x.id")
    assert [event.action for event in events].count("user.assign_cohort") == 1


def test_a_coach_sees_only_the_participants_assigned(app_context: Flask) -> None:
    people = nips(3)
    cohort_id, _ = latsar_cohort(people)
    _account("coach@x.id", "coach")
    assert assign_participant("coach@x.id", people[0], actor="cli:root")
    principal = _principal("coach@x.id")
    assert principal.sees_cohort(cohort_id)
    assert principal.sees_participant(cohort_id, people[0])
    assert not principal.sees_participant(cohort_id, people[1])
    assert not principal.sees_cohort(cohort_id + 1)


def test_other_roles_follow_nothing_and_admins_everything(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort(nips(1))
    _account("aud@x.id", "auditor")
    _account("adm@x.id", "admin", agencies=[])
    assert not _principal("aud@x.id").sees_cohort(cohort_id)
    assert _principal("adm@x.id").sees_participant(cohort_id, nips(1)[0])


def test_assignments_refuse_wrong_roles_cohorts_and_nips(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort(nips(1))
    _account("guru@x.id", "instructor")
    _account("coach@x.id", "coach")
    with pytest.raises(AccountInvalid, match="only an instructor"):
        assign_cohort("coach@x.id", cohort_id, actor="t")
    with pytest.raises(AccountInvalid, match="no cohort"):
        assign_cohort("guru@x.id", cohort_id + 99, actor="t")
    with pytest.raises(AccountInvalid, match="only a coach"):
        assign_participant("guru@x.id", nips(1)[0], actor="t")
    with pytest.raises(AccountInvalid, match="not enrolled"):
        assign_participant("coach@x.id", nips(5)[4], actor="t")
    with pytest.raises(AccountInvalid):
        assign_participant("coach@x.id", "12345", actor="t")
    with pytest.raises(AccountNotFound):
        assign_cohort("nobody@x.id", cohort_id, actor="t")


def test_users_assign_prints_one_line(app_context: Flask) -> None:
    cohort_id, _ = latsar_cohort(nips(1))
    _account("guru@x.id", "instructor")
    runner = app_context.test_cli_runner()
    done = runner.invoke(
        args=["users", "assign", "--email", "guru@x.id", "--cohort", str(cohort_id)]
    )
    assert done.exit_code == 0, done.output
    assert "ditugaskan (assigned)" in done.output
    for args in (
        ["--email", "guru@x.id"],
        ["--email", "guru@x.id", "--cohort", str(cohort_id), "--participant", nips(1)[0]],
        ["--email", "guru@x.id", "--participant", nips(1)[0]],
        ["--email", "guru@x.id", "--cohort", "999999"],
    ):
        refused = runner.invoke(args=["users", "assign", *args])
        assert refused.exit_code == 1, refused.output
        assert len(refused.output.strip().splitlines()) == 1, refused.output
        assert "Traceback" not in refused.output
