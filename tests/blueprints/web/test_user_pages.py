"""The users and roles page: a new account's one-time password works once, a changed role
takes effect (and ends the account's sessions), disable and reset; each audited."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms_bridge.audit.trail import history
from lms_bridge.db import db
from lms_bridge.models import User
from tests.blueprints.web.conftest import BALI, LAMPUNG, PageClient

PASSWORD = re.compile(r'<code id="issued-password">([^<]+)</code>')


def issued(html: str) -> str:
    found = PASSWORD.search(html)
    assert found, html
    return found.group(1)


def test_create_change_role_disable_and_reset_an_account(admin: PageClient) -> None:
    created = admin.post_form(
        "/admin/users",
        {"email": "auditor@lampung.id", "name": "Rina", "role": "auditor", "agencies": LAMPUNG},
    )
    assert created.status_code == 200
    first = issued(created.get_data(as_text=True))
    assert first not in admin.get("/admin/users").get_data(as_text=True)
    person = PageClient(admin.app)
    assert person.sign_in("auditor@lampung.id", first).status_code == 302
    assert person.get("/queue").status_code == 302  # the one-time password must be replaced

    changed = admin.post_form(
        "/admin/users/auditor@lampung.id/access", {"role": "viewer", "agencies": f"{BALI}\n"}
    )
    assert changed.status_code == 302
    assert person.get("/").status_code == 302  # its session ended with the old role
    refused = admin.post_form("/admin/users/auditor@lampung.id/access", {"role": "auditor"})
    assert refused.status_code == 302

    assert admin.post_form("/admin/users/auditor@lampung.id/disable", {}).status_code == 302
    assert PageClient(admin.app).sign_in("auditor@lampung.id", first).status_code == 401
    reset = admin.post_form("/admin/users/auditor@lampung.id/reset", {})
    second = issued(reset.get_data(as_text=True))
    assert second != first
    assert PageClient(admin.app).sign_in("auditor@lampung.id", second).status_code == 302
    with admin.app.app_context():
        events = [
            e
            for e in history(db.session(), "user", "auditor@lampung.id")
            if e.action.startswith("account.")
        ]
        assert [e.action for e in events] == [
            "account.create",
            "account.change_access",
            "account.disable",
            "account.reset_password",
        ]
        assert events[1].after is not None
        assert (events[1].after["role"], events[1].after["agencies"]) == ("viewer", [BALI])
        assert all(e.actor == "admin@bpsdm.id" for e in events)
        db.session.remove()


def test_bad_accounts_are_refused_with_a_message(admin: PageClient) -> None:
    no_agency = admin.post_form(
        "/admin/users", {"email": "x@lampung.id", "name": "X", "role": "auditor"}
    )
    assert no_agency.status_code == 400
    assert "memerlukan instansi" in no_agency.get_data(as_text=True)
    assert admin.post_form("/admin/users/admin@bpsdm.id/disable", {}).status_code == 302
    assert admin.get("/admin/users").status_code == 200  # not disabled: still signed in
    missing = admin.post_form("/admin/users/nobody@x.id/reset", {}, follow_redirects=True)
    assert "Akun itu tidak ada." in missing.get_data(as_text=True)


def test_only_admins_manage_users(pages: PageClient) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert pages.get("/admin/users").status_code == 403
    assert pages.post_form("/admin/users/auditor@lampung.id/reset", {}).status_code == 403


def test_an_account_is_created_with_a_nip_once(admin: PageClient) -> None:
    form = {"name": "Rina", "role": "viewer", "agencies": LAMPUNG, "nip": "198503302010121002"}
    created = admin.post_form("/admin/users", {**form, "email": "rina@lampung.id"})
    assert created.status_code == 200
    with admin.app.app_context():
        user = db.session.scalar(select(User).where(User.email == "rina@lampung.id"))
        db.session.remove()
    assert user is not None
    assert user.nip == "198503302010121002"
    again = admin.post_form("/admin/users", {**form, "email": "budi@lampung.id"})
    assert again.status_code == 400
    assert "NIP terdiri atas 18 angka" in again.get_data(as_text=True)
