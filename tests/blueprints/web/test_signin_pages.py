"""Sign-in, sign-out, CSRF, scoping and language on the pages (Flask's test client)."""

from __future__ import annotations

from flask import Flask

from lms_bridge.accounts import create_user
from lms_bridge.audit.trail import history
from lms_bridge.db import db
from lms_bridge.people import import_people
from tests.blueprints.web.conftest import BALI, LAMPUNG, PASSWORD, PageClient
from tests.conftest import HASH_METHOD, XAPIClient
from tests.people import person_row
from tests.statements import statement


def test_pages_need_a_sign_in(pages: PageClient) -> None:
    response = pages.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/")


def test_signing_in_lands_on_home_with_the_agencies_one_sees(viewer_lampung: PageClient) -> None:
    page = viewer_lampung.get("/").get_data(as_text=True)
    assert "Instansi Anda" in page
    assert LAMPUNG in page
    assert BALI not in page


def test_a_wrong_password_shows_one_message_in_indonesian(pages: PageClient) -> None:
    pages.make_person("a@x.id", "viewer", LAMPUNG)
    wrong = pages.sign_in("a@x.id", "not-the-password")
    unknown = pages.sign_in("nobody@x.id", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Email atau kata sandi salah." in wrong.get_data(as_text=True)
    assert "Email atau kata sandi salah." in unknown.get_data(as_text=True)


def test_lock_out_says_so_in_the_persons_language(pages: PageClient) -> None:
    pages.make_person("a@x.id", "viewer", LAMPUNG)
    for _ in range(4):
        pages.sign_in("a@x.id", "wrong")
    locked = pages.sign_in("a@x.id", "wrong")
    assert locked.status_code == 429
    assert "Terlalu banyak percobaan masuk yang gagal" in locked.get_data(as_text=True)
    assert pages.sign_in("a@x.id").status_code == 429


def test_a_post_without_the_csrf_token_is_refused(viewer_lampung: PageClient) -> None:
    response = viewer_lampung.client.post("/logout")
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.get_data(as_text=True)
    assert viewer_lampung.get("/").status_code == 200, "still signed in"


def test_sign_out_is_a_post_and_ends_the_session(viewer_lampung: PageClient) -> None:
    assert viewer_lampung.client.get("/logout").status_code == 405
    response = viewer_lampung.post_form("/logout", {})
    assert response.status_code == 302
    assert viewer_lampung.get("/").status_code == 302
    with viewer_lampung.app.app_context():
        actions = [e.action for e in history(db.session, "user", "viewer@lampung.id")]
    assert actions[-2:] == ["signin.success", "signout"]


def test_another_agencys_page_is_404_and_a_wrong_role_is_403(
    viewer_lampung: PageClient,
) -> None:
    with viewer_lampung.app.app_context():
        import_people([person_row("198503302010121002", "Siti Aminah", agency=LAMPUNG)])
    assert viewer_lampung.get(f"/agencies/{LAMPUNG}", follow_redirects=True).status_code == 200
    other = viewer_lampung.get(f"/agencies/{BALI}")
    assert other.status_code == 404
    assert "Halaman tidak ditemukan" in other.get_data(as_text=True)


def test_a_one_time_password_must_be_changed_first(pages: PageClient) -> None:
    with pages.app.app_context():
        issued = create_user(
            "new@x.id", "New", "auditor", [LAMPUNG], actor="test", hash_method=HASH_METHOD
        )
    response = pages.sign_in("new@x.id", issued.password)
    assert response.headers["Location"] == "/account/password"
    assert pages.get("/").headers["Location"] == "/account/password"
    changed = pages.post_form(
        "/account/password",
        {
            "current_password": issued.password,
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert pages.get("/").status_code == 200


def test_the_language_switch_is_remembered_across_sign_out(viewer_lampung: PageClient) -> None:
    switched = viewer_lampung.post_form("/language", {"lang": "en", "next": "/"})
    assert switched.status_code == 302
    assert "lang=en" in switched.headers["Set-Cookie"]
    assert "Your agencies" in viewer_lampung.get("/").get_data(as_text=True)
    viewer_lampung.post_form("/logout", {})
    assert "Sign in" in viewer_lampung.get("/login").get_data(as_text=True)
    viewer_lampung.post_form("/language", {"lang": "id", "next": "/"})
    assert "Masuk" in viewer_lampung.get("/login").get_data(as_text=True)


def test_after_sign_in_only_local_paths_are_followed(pages: PageClient) -> None:
    pages.make_person("a@x.id", "viewer", LAMPUNG)
    response = pages.client.post(
        "/login?next=//evil.example/x",
        data={"email": "a@x.id", "password": PASSWORD, "csrf_token": pages.token()},
    )
    assert response.headers["Location"] == "/"


def test_page_cookies_are_httponly_and_samesite(pages: PageClient) -> None:
    cookie = pages.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_machine_paths_still_get_no_session_and_no_csrf(
    xapi: XAPIClient, app_context: Flask
) -> None:
    response = xapi.post_statements(statement())
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert xapi.get("/xapi/nothing").get_json()["error"] == "NotFound"
