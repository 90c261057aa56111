"""A page client that signs in through the form, as a browser would (CSRF token included).

Page tests run outside any app context of their own: Flask lets requests share an app
context that is already pushed, and with it ``g``, where Flask-Login and Flask-WTF keep the
signed-in user and the CSRF token of *one request*. Each request here gets its own, as in
production.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms_bridge.accounts import create_user
from lms_bridge.db import db
from tests.conftest import HASH_METHOD, empty_all_tables

PASSWORD = "kata-sandi-rahasia"
LAMPUNG = "BPSDM Provinsi Lampung"
BALI = "BPSDM Provinsi Bali"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class PageClient:
    """Flask's test client with the pages' CSRF token at hand."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()

    def token(self, path: str = "/login") -> str:
        match = TOKEN.search(self.client.get(path).get_data(as_text=True))
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def post_form(self, path: str, data: dict[str, str], **kwargs: Any) -> Any:
        """POST a form the way the page's own form would (with its token)."""
        return self.client.post(path, data={**data, "csrf_token": self.token()}, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        return self.post_form("/login", {"email": email, "password": password})

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, **kwargs)

    def make_person(self, email: str, role: str, *agencies: str) -> str:
        """An account with the test password."""
        with self.app.app_context():
            create_user(
                email,
                email.split("@", 1)[0],
                role,
                agencies,
                password=PASSWORD,
                actor="test",
                hash_method=HASH_METHOD,
            )
            db.session.remove()
        return email


@pytest.fixture
def pages(app: Flask) -> Iterator[PageClient]:
    """An anonymous browser-like client over an empty database."""
    with app.app_context():
        empty_all_tables()
    yield PageClient(app)
    with app.app_context():
        db.session.remove()


@pytest.fixture
def viewer_lampung(pages: PageClient) -> PageClient:
    """Signed in as a viewer of Lampung."""
    pages.make_person("viewer@lampung.id", "viewer", LAMPUNG)
    response = pages.sign_in("viewer@lampung.id")
    assert response.status_code == 302, response.get_data(as_text=True)
    return pages


@pytest.fixture
def admin(pages: PageClient) -> PageClient:
    """Signed in as an administrator."""
    pages.make_person("admin@bpsdm.id", "admin")
    response = pages.sign_in("admin@bpsdm.id")
    assert response.status_code == 302, response.get_data(as_text=True)
    return pages
