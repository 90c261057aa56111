"""The auditor's pages through HTTP: queue, entry and decisions, attachments, unmatched actors."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from flask import Flask

from lms_bridge.db import db
from lms_bridge.models import CreditEntry
from lms_bridge.people import import_people
from tests.blueprints.web.conftest import BALI, LAMPUNG, PageClient
from tests.conftest import create_moodle_client, moodle_headers
from tests.people import person_row
from tests.statements import NIP_A, NIP_B, asn, attachment, completion, moodle_user
from xapi.multipart import AttachmentPart, build_multipart

ENTRY = re.compile(r'data-entry-id="(\d+)"')
XSS = "<script>alert(1)</script>"


class Lms:
    """An LMS posting statements to the live app, as Moodle would."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            create_moodle_client()
        self.client = app.test_client()
        self.headers = moodle_headers()

    def post(self, *statements: dict[str, Any]) -> None:
        response = self.client.post("/xapi/statements", json=list(statements), headers=self.headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    def post_with_attachments(self, statement: dict[str, Any], *parts: AttachmentPart) -> None:
        content_type, body = build_multipart(json.dumps([statement]).encode(), list(parts))
        response = self.client.post(
            "/xapi/statements", data=body, headers={**self.headers, "Content-Type": content_type}
        )
        assert response.status_code == 200, response.get_data(as_text=True)


@pytest.fixture
def lms(pages: PageClient) -> Lms:
    with pages.app.app_context():
        import_people(
            [
                person_row(NIP_A, "Siti Aminah", agency=LAMPUNG, unit="Dinas Pendidikan"),
                person_row(NIP_B, "I Made Budi", agency=BALI, unit="Dinas Kesehatan"),
            ]
        )
        db.session.remove()
    return Lms(pages.app)


@pytest.fixture
def auditor(pages: PageClient) -> PageClient:
    pages.make_person("auditor@lampung.id", "auditor", LAMPUNG)
    assert pages.sign_in("auditor@lampung.id").status_code == 302
    return pages


def entry_ids(html: str) -> list[int]:
    return [int(found) for found in ENTRY.findall(html)]


def entry_status(app: Flask, entry_id: int) -> tuple[str, Any]:
    with app.app_context():
        entry = db.session.get(CreditEntry, entry_id)
        assert entry is not None
        found = (entry.status, entry.jp)
        db.session.remove()
    return found


def test_the_queue_shows_ones_agencies_entries_with_evidence_escaped(
    lms: Lms, auditor: PageClient
) -> None:
    statement = completion(module=1, minutes=90)
    statement["object"]["definition"]["name"] = {"id-ID": XSS}
    lms.post(statement, completion(actor=asn(NIP_B), module=2, minutes=90))
    response = auditor.get("/queue")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(entry_ids(html)) == 1
    assert "Siti Aminah" in html
    assert "I Made Budi" not in html
    assert XSS not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "menyelesaikan" in html  # the verb, in Indonesian
    assert "Moodle BPSDM" in html
    assert "09.00 WIB" in html  # 02:00 UTC in the policy's zone
    assert "Pernyataan mentah" in html
    assert auditor.get("/queue", query_string={"agency": BALI}).status_code == 404
    auditor.post_form("/language", {"lang": "en"})
    english = auditor.get("/queue").get_data(as_text=True)
    assert "Raw statement" in english
    assert "completed" in english
    assert "Pernyataan mentah" not in english


def test_another_agencys_entry_and_its_decisions_are_404(lms: Lms, auditor: PageClient) -> None:
    lms.post(completion(actor=asn(NIP_B), minutes=90))
    with auditor.app.app_context():
        [bali_entry] = [entry.id for entry in db.session.query(CreditEntry)]
        db.session.remove()
    assert auditor.get(f"/entries/{bali_entry}").status_code == 404
    refused = auditor.post_form(f"/entries/{bali_entry}/decide", {"action": "verify"})
    assert refused.status_code == 404
    assert entry_status(auditor.app, bali_entry)[0] == "pending"
    bulk = auditor.post_form("/queue/verify", {"entry": str(bali_entry)})
    assert bulk.status_code == 404


def test_reject_needs_a_reason_said_in_indonesian(lms: Lms, auditor: PageClient) -> None:
    lms.post(completion(minutes=90))
    [entry_id] = entry_ids(auditor.get("/queue").get_data(as_text=True))
    refused = auditor.post_form(f"/entries/{entry_id}/decide", {"action": "reject", "reason": ""})
    assert refused.status_code == 400
    assert "Alasan wajib diisi" in refused.get_data(as_text=True)
    assert entry_status(auditor.app, entry_id)[0] == "pending"
    done = auditor.post_form(
        f"/entries/{entry_id}/decide", {"action": "reject", "reason": "Bukan pelatihan"}
    )
    assert done.status_code == 302
    assert entry_status(auditor.app, entry_id)[0] == "rejected"
    page = auditor.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Bukan pelatihan" in page  # in the history
    assert "Ditolak" in page


@pytest.mark.parametrize(
    ("form", "status", "jp"),
    [
        ({"action": "verify"}, "verified", "2.00"),
        ({"action": "revise", "reason": "Lampirkan sertifikat"}, "needs_revision", "0.00"),
        ({"action": "correct", "jp": "1,5", "reason": "Sebagian modul"}, "verified", "1.50"),
    ],
)
def test_each_decision_from_the_entry_page(
    lms: Lms, auditor: PageClient, form: dict[str, str], status: str, jp: str
) -> None:
    lms.post(completion(minutes=90))
    [entry_id] = entry_ids(auditor.get("/queue").get_data(as_text=True))
    assert auditor.post_form(f"/entries/{entry_id}/decide", form).status_code == 302
    found_status, found_jp = entry_status(auditor.app, entry_id)
    assert (found_status, str(found_jp)) == (status, jp)


def test_an_unreadable_jp_is_refused(lms: Lms, auditor: PageClient) -> None:
    lms.post(completion(minutes=90))
    [entry_id] = entry_ids(auditor.get("/queue").get_data(as_text=True))
    refused = auditor.post_form(
        f"/entries/{entry_id}/decide", {"action": "correct", "jp": "dua", "reason": "x"}
    )
    assert refused.status_code == 400
    assert "Tulis JP sebagai angka" in refused.get_data(as_text=True)


def test_bulk_verify_from_the_queue(lms: Lms, auditor: PageClient) -> None:
    lms.post(*(completion(module=m, minutes=90) for m in (1, 2, 3)))
    ids = entry_ids(auditor.get("/queue").get_data(as_text=True))
    response = auditor.client.post(
        "/queue/verify",
        data={"entry": [str(i) for i in ids[:2]], "csrf_token": auditor.token("/queue")},
    )
    assert response.status_code == 302
    assert [entry_status(auditor.app, i)[0] for i in ids] == ["verified", "verified", "pending"]
    assert entry_ids(auditor.get("/queue").get_data(as_text=True)) == ids[2:]
    empty = auditor.post_form("/queue/verify", {}, follow_redirects=True)
    assert "Pilih minimal satu entri" in empty.get_data(as_text=True)


def test_a_viewer_reads_the_queue_but_may_not_decide(lms: Lms, pages: PageClient) -> None:
    lms.post(completion(minutes=90))
    pages.make_person("viewer@lampung.id", "viewer", LAMPUNG)
    pages.sign_in("viewer@lampung.id")
    html = pages.get("/queue").get_data(as_text=True)
    [entry_id] = entry_ids(html)
    assert 'name="entry"' not in html
    assert pages.post_form("/queue/verify", {"entry": str(entry_id)}).status_code == 403
    assert pages.post_form(f"/entries/{entry_id}/decide", {"action": "verify"}).status_code == 403
    assert "Tolak" not in pages.get(f"/entries/{entry_id}").get_data(as_text=True)


def test_filters_narrow_the_queue_and_a_bad_date_is_explained(
    lms: Lms, auditor: PageClient
) -> None:
    lms.post(
        completion(module=1, minutes=90, timestamp="2025-03-01T02:00:00Z"),
        completion(module=2, minutes=90, timestamp="2025-04-01T02:00:00Z"),
    )
    assert len(entry_ids(auditor.get("/queue").get_data(as_text=True))) == 2
    march = auditor.get("/queue", query_string={"from": "2025-03-01", "to": "2025-03-31"})
    assert len(entry_ids(march.get_data(as_text=True))) == 1
    assert len(entry_ids(auditor.get("/queue?unit=Dinas+Kesehatan").get_data(as_text=True))) == 0
    bad = auditor.get("/queue", query_string={"from": "31-03-2025"})
    assert bad.status_code == 400
    assert "Tulis tanggal" in bad.get_data(as_text=True)
    stale = auditor.get("/queue", query_string={"after": "nonsense"})
    assert stale.status_code == 400


def test_attachments_are_served_scoped_and_never_as_a_page(lms: Lms, auditor: PageClient) -> None:
    pdf, page = b"%PDF-1.4 sertifikat", XSS.encode()
    digests = [hashlib.sha256(content).hexdigest() for content in (pdf, page)]
    statement = completion(minutes=90)
    statement["attachments"] = [
        attachment(pdf, contentType="application/pdf"),
        attachment(page, contentType="text/html", display={"id-ID": "Halaman"}),
    ]
    lms.post_with_attachments(
        statement,
        AttachmentPart(digests[0], "application/pdf", pdf),
        AttachmentPart(digests[1], "text/html", page),
    )
    [entry_id] = entry_ids(auditor.get("/queue").get_data(as_text=True))
    opened = auditor.get(f"/entries/{entry_id}/attachments/{digests[0]}")
    assert opened.status_code == 200
    assert opened.data == pdf
    assert opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in opened.headers["Content-Security-Policy"]
    html = auditor.get(f"/entries/{entry_id}/attachments/{digests[1]}")
    assert html.mimetype == "application/octet-stream"
    assert html.headers["Content-Disposition"].startswith("attachment")
    assert html.headers["X-Content-Type-Options"] == "nosniff"
    assert auditor.get(f"/entries/{entry_id + 1}/attachments/{digests[0]}").status_code == 404


def test_unmatched_actors_are_listed_and_mapping_moves_the_credit(
    lms: Lms, auditor: PageClient
) -> None:
    lms.post(
        completion(actor=moodle_user("42"), module=1, minutes=180),
        completion(actor=moodle_user("42"), module=2, minutes=180),
    )
    page = auditor.get("/unmatched").get_data(as_text=True)
    assert "User 42" in page
    assert ">8<" in page  # 8 JP parked
    [actor_key] = re.findall(r'data-actor-key="([^"]+)"', page)
    search = auditor.get("/unmatched", query_string={"actor": actor_key, "q": "siti"})
    assert NIP_A in search.get_data(as_text=True)
    elsewhere = auditor.get("/unmatched", query_string={"actor": actor_key, "q": "Made"})
    assert NIP_B not in elsewhere.get_data(as_text=True)  # Bali is not this auditor's
    refused = auditor.post_form("/unmatched/map", {"actor": actor_key, "nip": NIP_B})
    assert refused.status_code == 404
    done = auditor.post_form(
        "/unmatched/map", {"actor": actor_key, "nip": NIP_A}, follow_redirects=True
    )
    assert "Siti Aminah" in done.get_data(as_text=True)
    assert "Tidak ada kredit yang menunggu pemetaan" in done.get_data(as_text=True)
    queue = auditor.get("/queue").get_data(as_text=True)
    assert len(entry_ids(queue)) == 2
