"""The LMS clients page: list, create (secret shown once), revoke; admins only."""

from __future__ import annotations

import re

from lms_bridge.access.activity import forget_touches
from lms_bridge.audit.trail import history
from lms_bridge.db import db
from tests.blueprints.web.conftest import LAMPUNG, PageClient
from tests.conftest import basic_auth
from tests.statements import completion

KEY = re.compile(r'<code id="client-key">([^<]+)</code>')
SECRET = re.compile(r'<code id="client-secret">([^<]+)</code>')


def post_statement(admin: PageClient, key: str, secret: str) -> int:
    response = admin.app.test_client().post(
        "/xapi/statements",
        json=completion(),
        headers={"Authorization": basic_auth(key, secret), "X-Experience-API-Version": "1.0.3"},
    )
    response.close()  # as a WSGI server does once the response is sent: "last seen" is written then
    return int(response.status_code)


def test_a_client_created_on_the_page_authenticates_and_shows_its_secret_once(
    admin: PageClient,
) -> None:
    forget_touches()
    response = admin.post_form(
        "/admin/clients", {"name": "Moodle Lampung", "scope": "statements/write"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    key = KEY.search(html)
    secret = SECRET.search(html)
    assert key
    assert secret
    assert post_statement(admin, key.group(1), secret.group(1)) == 200
    assert post_statement(admin, key.group(1), "wrong") == 401
    listing = admin.get("/admin/clients").get_data(as_text=True)
    assert "Moodle Lampung" in listing
    assert secret.group(1) not in listing
    row = listing.split(f'data-client-key="{key.group(1)}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="number">1</td>' in row  # the statement it stored
    assert '<td class="last-seen">—</td>' not in row  # its authenticated request
    with admin.app.app_context():
        [event] = history(db.session(), "client", key.group(1))
        assert event.actor == "admin@bpsdm.id"
        assert secret.group(1) not in str(event.after)
        db.session.remove()


def test_a_revoked_client_is_refused_and_an_unknown_scope_is_an_error(
    admin: PageClient,
) -> None:
    html = admin.post_form("/admin/clients", {"name": "Moodle", "scope": "statements/write"})
    key = KEY.search(html.get_data(as_text=True))
    secret = SECRET.search(html.get_data(as_text=True))
    assert key
    assert secret
    revoked = admin.post_form(f"/admin/clients/{key.group(1)}/revoke", {})
    assert revoked.status_code == 302
    assert post_statement(admin, key.group(1), secret.group(1)) == 401
    refused = admin.post_form("/admin/clients", {"name": "X", "scope": "root"})
    assert refused.status_code == 400
    assert "Pilih cakupan dari daftar." in refused.get_data(as_text=True)
    assert admin.post_form("/admin/clients", {"name": " "}).status_code == 400
    assert admin.post_form("/admin/clients/nope/revoke", {}).status_code == 302


def test_only_admins_see_the_clients_page(pages: PageClient) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert pages.get("/admin/clients").status_code == 403
    assert pages.post_form("/admin/clients", {"name": "Sneaky"}).status_code == 403
