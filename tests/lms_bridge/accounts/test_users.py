"""People's accounts: created, listed, disabled, reset; passwords hashed; every change audited."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from lms_bridge.accounts import (
    AccountInvalid,
    AccountNotFound,
    PasswordRejected,
    Principal,
    WrongPassword,
    change_password,
    create_user,
    disable_user,
    list_users,
    load_session_account,
    reset_password,
)
from lms_bridge.audit.trail import history
from lms_bridge.db import db
from lms_bridge.models import User
from tests.conftest import HASH_METHOD

LAMPUNG = "BPSDM Provinsi Lampung"
BALI = "BPSDM Provinsi Bali"


def test_a_created_account_has_a_hashed_one_time_password(app_context: Flask) -> None:
    issued = create_user(
        " Siti@BPSDM.id ",
        "Siti Aminah",
        "auditor",
        [LAMPUNG],
        actor="cli:root",
        hash_method=HASH_METHOD,
    )
    assert issued.generated
    assert issued.email == "siti@bpsdm.id"
    user = db.session.scalar(select(User).where(User.email == "siti@bpsdm.id"))
    assert user is not None
    assert issued.password not in user.password_hash
    assert user.password_hash.startswith("pbkdf2:")  # the test settings' cheap method
    assert user.must_change_password
    assert user.agencies == [LAMPUNG]
    [event] = history(db.session, "user", "siti@bpsdm.id")
    assert (event.actor, event.action) == ("cli:root", "account.create")
    assert event.after is not None
    assert "password_hash" not in event.after


def test_a_given_password_is_not_one_time(app_context: Flask) -> None:
    issued = create_user(
        "a@x.id", "A", "admin", password="kata-sandi-panjang", actor="t", hash_method=HASH_METHOD
    )
    assert not issued.generated
    account = load_session_account(issued.user_id, _token(issued.user_id))
    assert account is not None
    assert not account.must_change_password


@pytest.mark.parametrize(
    ("email", "role", "agencies", "error"),
    [
        ("not-an-email", "auditor", [LAMPUNG], AccountInvalid),
        ("a@x.id", "superuser", [LAMPUNG], AccountInvalid),
        ("a@x.id", "auditor", [], AccountInvalid),
        ("a@x.id", "viewer", ["  "], AccountInvalid),
    ],
)
def test_invalid_accounts_are_refused_and_nothing_is_stored(
    app_context: Flask, email: str, role: str, agencies: list[str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        create_user(email, "Name", role, agencies, actor="t", hash_method=HASH_METHOD)
    assert list_users() == []


def test_a_duplicate_email_and_a_short_password_are_refused(app_context: Flask) -> None:
    create_user("a@x.id", "A", "viewer", [BALI], actor="t", hash_method=HASH_METHOD)
    with pytest.raises(AccountInvalid, match="sudah ada"):
        create_user("A@X.ID", "A again", "viewer", [BALI], actor="t", hash_method=HASH_METHOD)
    with pytest.raises(PasswordRejected):
        create_user(
            "b@x.id", "B", "viewer", [BALI], password="short", actor="t", hash_method=HASH_METHOD
        )
    assert [line.email for line in list_users()] == ["a@x.id"]


def test_disabling_ends_sessions_and_reset_re_enables_with_a_new_password(
    app_context: Flask,
) -> None:
    issued = create_user("a@x.id", "A", "viewer", [BALI], actor="t", hash_method=HASH_METHOD)
    token = _token(issued.user_id)
    assert load_session_account(issued.user_id, token) is not None
    disable_user("a@x.id", actor="admin@x.id", reason="pindah tugas")
    assert load_session_account(issued.user_id, token) is None
    assert not list_users()[0].active
    again = reset_password("a@x.id", actor="admin@x.id", hash_method=HASH_METHOD)
    assert again.generated
    assert again.password != issued.password
    assert list_users()[0].active
    actions = [event.action for event in history(db.session, "user", "a@x.id")]
    assert actions == ["account.create", "account.disable", "account.reset_password"]
    with pytest.raises(AccountNotFound):
        disable_user("nobody@x.id", actor="t")


def test_changing_the_password_checks_the_old_one_and_ends_other_sessions(
    app_context: Flask,
) -> None:
    issued = create_user("a@x.id", "A", "viewer", [BALI], actor="t", hash_method=HASH_METHOD)
    old_token = _token(issued.user_id)
    with pytest.raises(WrongPassword):
        change_password(
            issued.user_id,
            current="wrong-password",
            new="a-new-password-1",
            hash_method=HASH_METHOD,
        )
    with pytest.raises(PasswordRejected):
        change_password(
            issued.user_id, current=issued.password, new="a@x.id", hash_method=HASH_METHOD
        )
    new_token = change_password(
        issued.user_id, current=issued.password, new="a-new-password-1", hash_method=HASH_METHOD
    )
    assert load_session_account(issued.user_id, old_token) is None
    account = load_session_account(issued.user_id, new_token)
    assert account is not None
    assert not account.must_change_password


def test_principal_scopes_agencies_by_role() -> None:
    admin = Principal(1, "a@x.id", "A", "admin", frozenset())
    auditor = Principal(2, "b@x.id", "B", "auditor", frozenset({LAMPUNG}))
    viewer = Principal(3, "c@x.id", "C", "viewer", frozenset({LAMPUNG, BALI}))
    assert admin.sees_agency(BALI)
    assert admin.may_decide(BALI)
    assert auditor.sees_agency(LAMPUNG)
    assert not auditor.sees_agency(BALI)
    assert auditor.may_decide(LAMPUNG)
    assert not auditor.may_decide(BALI)
    assert viewer.sees_agency(BALI)
    assert not viewer.may_decide(BALI)
    assert viewer.visible_agencies([BALI, "BPSDM Aceh", LAMPUNG, BALI]) == [BALI, LAMPUNG]
    assert admin.visible_agencies([LAMPUNG, BALI]) == [BALI, LAMPUNG]


def test_users_commands_print_one_line_errors_and_one_time_passwords(
    app_context: Flask, tmp_path: Path
) -> None:
    runner = app_context.test_cli_runner()
    create = ["users", "create", "--email", "a@x.id", "--name", "A", "--role", "auditor"]
    create += ["--agency", LAMPUNG]
    created = runner.invoke(args=create)
    assert created.exit_code == 0, created.output
    assert "one-time password" in created.output
    duplicate = runner.invoke(args=create)
    assert duplicate.exit_code == 1
    assert duplicate.output.strip().splitlines() == [
        "Error: akun 'a@x.id' sudah ada (the account exists already)"
    ]
    assert "Traceback" not in duplicate.output
    password_file = tmp_path / "password"
    password_file.write_text("kata-sandi-dari-berkas\n")
    given = runner.invoke(
        args=["users", "reset-password", "a@x.id", "--password-file", str(password_file)]
    )
    assert given.exit_code == 0, given.output
    assert "kata-sandi-dari-berkas" not in given.output
    listing = runner.invoke(args=["users", "list"])
    assert listing.output.startswith(f"a@x.id\tA\tauditor\t{LAMPUNG}\taktif")
    disabled = runner.invoke(args=["users", "disable", "nobody@x.id"])
    assert disabled.exit_code == 1
    assert "tidak ada" in disabled.output


def _token(user_id: int) -> str:
    db.session.remove()
    token = db.session.scalar(select(User.session_token).where(User.id == user_id))
    assert token is not None
    db.session.remove()
    return token


def test_an_account_may_carry_a_nip_once(app_context: Flask) -> None:
    create_user(
        "siti@bpsdm.id",
        "Siti",
        "viewer",
        [LAMPUNG],
        nip=" 198503302010121002 ",
        actor="t",
        hash_method=HASH_METHOD,
    )
    user = db.session.scalar(select(User).where(User.email == "siti@bpsdm.id"))
    assert user is not None
    assert user.nip == "198503302010121002"
    with pytest.raises(AccountInvalid, match="NIP"):
        create_user(
            "budi@bpsdm.id",
            "Budi",
            "admin",
            nip="198503302010121002",
            actor="t",
            hash_method=HASH_METHOD,
        )
    with pytest.raises(AccountInvalid, match="NIP"):
        create_user(
            "budi@bpsdm.id", "Budi", "admin", nip="12345", actor="t", hash_method=HASH_METHOD
        )
    assert db.session.scalar(select(User).where(User.email == "budi@bpsdm.id")) is None
