"""The statement browser: filters, pages, readable and raw (escaped), scoped by agency."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lms_bridge.people import import_people
from tests.blueprints.web.conftest import BALI, LAMPUNG, PageClient
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import ATTENDED, MOODLE, NIP_A, NIP_B, asn, completion, moodle_user

XSS = "<script>alert(1)</script>"
SHOWN = re.compile(r'data-statement-id="([0-9a-f-]+)"')


def post(pages: PageClient, *statements: dict[str, Any]) -> None:
    response = pages.app.test_client().post(
        "/xapi/statements",
        json=list(statements),
        headers=moodle_headers(),
    )
    assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def stored(pages: PageClient) -> dict[str, str]:
    """Siti (Lampung, e-mail known), Budi (Bali), an unknown Moodle user; named ids."""
    with pages.app.app_context():
        import_people(
            [
                person_row(NIP_A, "Siti Aminah", agency=LAMPUNG, email="siti@lampung.go.id"),
                person_row(NIP_B, "I Made Budi", agency=BALI),
            ]
        )
        create_moodle_client()
    attacker = completion(module=1)
    attacker["object"]["definition"]["name"] = {"id-ID": XSS}
    by_email = completion(
        actor={"objectType": "Agent", "mbox": "mailto:siti@lampung.go.id"}, module=2
    )
    bali = completion(actor=asn(NIP_B), module=3, verb=ATTENDED)
    stranger = completion(actor=moodle_user("77"), module=4)
    post(pages, attacker, by_email, bali, stranger)
    return {
        "attacker": attacker["id"],
        "by_email": by_email["id"],
        "bali": bali["id"],
        "stranger": stranger["id"],
    }


def shown(pages: PageClient, **query: str) -> list[str]:
    response = pages.get("/statements", query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return SHOWN.findall(response.get_data(as_text=True))


def test_an_auditor_sees_their_agencys_statements_readable_and_escaped(
    pages: PageClient, stored: dict[str, str]
) -> None:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    assert sorted(shown(pages)) == sorted([stored["attacker"], stored["by_email"]])
    html = pages.get(f"/statements/{stored['attacker']}").get_data(as_text=True)
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "menyelesaikan" in html
    assert "Siti Aminah · NIP " + NIP_A in html
    assert "09.00 WIB" in html
    assert "Pernyataan mentah" in html
    assert pages.get(f"/statements/{stored['bali']}").status_code == 404
    assert pages.get(f"/statements/{stored['stranger']}").status_code == 404
    assert shown(pages, person=NIP_B) == []


def test_an_address_that_is_no_statement_id_is_not_found(
    pages: PageClient, stored: dict[str, str]
) -> None:
    """Ids are typed or pasted into the address; PostgreSQL's uuid column refuses what is
    not one, so the page must answer "not found" before it asks, in the person's language."""
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    pages.sign_in("auditor@lampung.id")
    for wrong in ("not-a-uuid", stored["attacker"][:-1], stored["attacker"] + "0"):
        answer = pages.get(f"/statements/{wrong}")
        assert answer.status_code == 404, wrong
        assert "tidak" in answer.get_data(as_text=True).lower()
    assert pages.get(f"/statements/{stored['attacker'].upper()}").status_code == 200


def test_an_admin_filters_by_person_verb_activity_client_and_time(
    admin: PageClient, stored: dict[str, str]
) -> None:
    assert len(shown(admin)) == 4
    assert sorted(shown(admin, person=NIP_A)) == sorted([stored["attacker"], stored["by_email"]])
    assert shown(admin, person="siti@lampung.go.id") == [stored["by_email"]]
    assert shown(admin, person=f"account:{MOODLE} 77") == [stored["stranger"]]
    assert shown(admin, verb=ATTENDED) == [stored["bali"]]
    assert shown(admin, activity=f"{MOODLE}/mod/scorm/view.php?id=4") == [stored["stranger"]]
    assert shown(admin, client="999") == []
    assert shown(admin, **{"from": "2000-01-01", "to": "2999-12-31"}) != []
    assert shown(admin, **{"to": "2000-01-01"}) == []
    assert admin.get("/statements", query_string={"from": "kemarin"}).status_code == 400
    assert "Tidak ada di direktori" in admin.get(f"/statements/{stored['stranger']}").get_data(
        as_text=True
    )


def test_pages_never_repeat_or_skip(admin: PageClient, stored: dict[str, str]) -> None:
    post(admin, *[completion(module=10 + n) for n in range(30)])
    first = admin.get("/statements").get_data(as_text=True)
    next_link = re.search(r'rel="next" href="([^"]+)"', first)
    assert next_link
    second = admin.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    ids = SHOWN.findall(first) + SHOWN.findall(second)
    assert len(SHOWN.findall(first)) == 25
    assert len(ids) == len(set(ids)) == 34
    assert 'rel="next"' not in second


def test_viewers_do_not_browse_statements(pages: PageClient) -> None:
    pages.make_person("viewer@lampung.id", "viewer", LAMPUNG)
    pages.sign_in("viewer@lampung.id")
    assert pages.get("/statements").status_code == 403
