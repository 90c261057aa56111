"""Signing in: failures counted in the database, lock-out per account and per address, and
answers that never reveal whether an account exists."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from lms_bridge.accounts import authenticate, create_user, disable_user, reset_password
from lms_bridge.accounts import signin as signin_module
from lms_bridge.audit.trail import history
from lms_bridge.db import db, utcnow
from lms_bridge.models import SigninAttempt
from lms_bridge.settings import current_settings
from tests.conftest import HASH_METHOD

PASSWORD = "kata-sandi-rahasia"
ADDRESS = "10.0.0.1"


@pytest.fixture
def account(app_context: Flask) -> str:
    create_user(
        "siti@bpsdm.id",
        "Siti",
        "auditor",
        ["BPSDM Lampung"],
        password=PASSWORD,
        actor="t",
        hash_method=HASH_METHOD,
    )
    return "siti@bpsdm.id"


def test_the_right_password_signs_in_and_is_audited(account: str) -> None:
    result = authenticate("Siti@BPSDM.id", PASSWORD, address=ADDRESS, settings=current_settings())
    assert result.outcome == "success"
    assert result.principal is not None
    assert result.principal.agencies == frozenset({"BPSDM Lampung"})
    actions = [(e.action, e.after) for e in history(db.session, "user", account)]
    assert actions[-1] == ("signin.success", {"address": ADDRESS})


def test_five_failures_lock_the_account_even_for_the_right_password(account: str) -> None:
    outcomes = [
        authenticate(account, "wrong", address=ADDRESS, settings=current_settings()).outcome
        for _ in range(5)
    ]
    assert outcomes == ["failure"] * 4 + ["locked"]
    locked = authenticate(account, PASSWORD, address=ADDRESS, settings=current_settings())
    assert locked.outcome == "locked"
    assert locked.principal is None
    assert 0 < locked.retry_after_seconds <= 900
    actions = [e.action for e in history(db.session, "user", account)]
    assert actions.count("signin.failure") == 5
    assert "signin.lockout" in actions
    assert actions[-1] == "signin.locked"


def test_the_lock_lifts_when_the_failures_leave_the_window(
    account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        authenticate(account, "wrong", address=ADDRESS, settings=current_settings())
    later = utcnow() + timedelta(seconds=901)
    monkeypatch.setattr(signin_module, "utcnow", lambda: later)
    assert (
        authenticate(account, PASSWORD, address=ADDRESS, settings=current_settings()).outcome
        == "success"
    )


def test_a_success_resets_the_account_count(account: str) -> None:
    for _ in range(4):
        authenticate(account, "wrong", address=ADDRESS, settings=current_settings())
    assert (
        authenticate(account, PASSWORD, address=ADDRESS, settings=current_settings()).outcome
        == "success"
    )
    outcomes = [
        authenticate(account, "wrong", address=ADDRESS, settings=current_settings()).outcome
        for _ in range(4)
    ]
    assert outcomes == ["failure"] * 4


def test_unknown_and_disabled_accounts_answer_exactly_like_a_wrong_password(
    account: str,
) -> None:
    disable_user(account, actor="t")
    disabled = [
        authenticate(account, PASSWORD, address="10.0.0.2", settings=current_settings()).outcome
        for _ in range(5)
    ]
    unknown = [
        authenticate("nobody@x.id", "x", address="10.0.0.3", settings=current_settings()).outcome
        for _ in range(5)
    ]
    assert disabled == unknown == ["failure"] * 4 + ["locked"]


def test_one_address_failing_on_many_accounts_is_locked_out(account: str) -> None:
    outcomes = [
        authenticate(
            f"guess{number}@x.id", "x", address="10.9.9.9", settings=current_settings()
        ).outcome
        for number in range(30)
    ]
    assert "locked" not in outcomes[:30]
    assert (
        authenticate(account, PASSWORD, address="10.9.9.9", settings=current_settings()).outcome
        == "locked"
    )
    assert (
        authenticate(account, PASSWORD, address=ADDRESS, settings=current_settings()).outcome
        == "success"
    )


def test_parallel_guesses_cannot_get_past_the_limit(app_context: Flask, account: str) -> None:
    """Ten guesses at once: the password checks run in parallel, but no more than five
    failures are ever counted; the others are refused as locked."""
    app = app_context
    outcomes: list[str] = []
    start = threading.Barrier(10)

    def guess() -> None:
        with app.app_context():
            start.wait()
            outcomes.append(
                authenticate(account, "wrong", address=ADDRESS, settings=current_settings()).outcome
            )
            db.session.remove()

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 10
    failures = db.session.scalar(
        select(func.count()).where(
            SigninAttempt.email == account, SigninAttempt.outcome == "failure"
        )
    )
    assert failures == 5
    assert outcomes.count("locked") == 6  # the fifth failure says so, and the five after it


def test_a_password_changed_during_the_check_does_not_sign_in(
    account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash is checked outside the transaction; a reset in between wins."""
    real_check = signin_module.check_password_hash

    def check_then_reset(stored: str, password: str) -> bool:
        matches = real_check(stored, password)
        reset_password(
            account, actor="admin", password="another-password-1", hash_method=HASH_METHOD
        )
        return matches

    monkeypatch.setattr(signin_module, "check_password_hash", check_then_reset)
    assert (
        authenticate(account, PASSWORD, address=ADDRESS, settings=current_settings()).outcome
        == "failure"
    )
