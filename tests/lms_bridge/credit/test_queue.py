"""The auditors' queue: scoping, every filter, keyset pages, sorts and evidence as read."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

import pytest
from flask import Flask

from lms_bridge.access import create_client
from lms_bridge.credit import current_policy
from lms_bridge.credit.queue import (
    QueueError,
    QueueFilter,
    entry_page,
    evidence_attachment,
    queue_choices,
    queue_page,
)
from lms_bridge.db import db
from lms_bridge.people import import_people
from tests.blueprints.api.conftest import post
from tests.conftest import HASH_METHOD, XAPIClient
from tests.people import person_row
from tests.statements import ATTENDED, MEETING, NIP_A, NIP_B, asn, attachment, completion
from xapi.multipart import AttachmentPart, build_multipart

LAMPUNG = "Pemerintah Provinsi Lampung"
METRO = "Pemerintah Kota Metro"
NIP_C = "199203152022212003"


def person(nip: str, name: str, agency: str, unit: str) -> dict[str, str]:
    return person_row(nip, name, agency=agency, unit=unit)


@pytest.fixture
def other_lms(app_context: Flask) -> XAPIClient:
    made = create_client(
        "Open edX Kota Metro",
        key="edx",
        secret="edx-secret",
        scopes=["all"],
        hash_method=HASH_METHOD,
    )
    return XAPIClient(app_context.test_client(), made.key, made.secret)


@pytest.fixture
def queue_data(xapi: XAPIClient, other_lms: XAPIClient) -> dict[str, Any]:
    import_people(
        [
            person(NIP_A, "Siti Aminah", LAMPUNG, "Dinas Pendidikan"),
            person(NIP_C, "Rina Wati", LAMPUNG, "Dinas Kesehatan"),
            person(NIP_B, "Budi Santoso", METRO, "Sekretariat Daerah"),
        ]
    )
    siti = completion(module=1, minutes=90, timestamp="2025-03-01T02:00:00Z")
    rina = completion(actor=asn(NIP_C), module=2, minutes=180, timestamp="2025-03-05T02:00:00Z")
    webinar = completion(
        module=3,
        minutes=120,
        verb=ATTENDED,
        activity_type=MEETING,
        timestamp="2025-03-09T02:00:00Z",
    )
    webinar["result"]["score"] = {"raw": 85, "max": 100}
    budi = completion(actor=asn(NIP_B), module=4, minutes=90, timestamp="2025-03-02T02:00:00Z")
    post(xapi, siti, rina, webinar)
    post(other_lms, budi)
    return {"siti": siti, "rina": rina, "webinar": webinar, "budi": budi}


def names(**kwargs: Any) -> list[str | None]:
    kwargs.setdefault("agencies", None)
    kwargs.setdefault("filters", QueueFilter())
    page = queue_page(db.session(), current_policy(), **kwargs)
    return [item.name for item in page.items]


def test_a_scoped_reader_sees_only_their_agencies(queue_data: dict[str, Any]) -> None:
    assert sorted(names(agencies=[LAMPUNG])) == ["Rina Wati", "Siti Aminah", "Siti Aminah"]
    assert names(agencies=[METRO]) == ["Budi Santoso"]
    assert names(agencies=[]) == []
    assert len(names()) == 4


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (QueueFilter(agency=METRO), ["Budi Santoso"]),
        (QueueFilter(unit="Dinas Kesehatan"), ["Rina Wati"]),
        (QueueFilter(form="webinar"), ["Siti Aminah"]),
        (QueueFilter(rule_id="elearning-duration", agency=LAMPUNG), ["Siti Aminah", "Rina Wati"]),
        (
            QueueFilter(date_from=date(2025, 3, 2), date_to=date(2025, 3, 5)),
            ["Budi Santoso", "Rina Wati"],
        ),
        (QueueFilter(date_from=date(2025, 3, 6)), ["Siti Aminah"]),
    ],
)
def test_each_filter_narrows_the_queue(
    queue_data: dict[str, Any], filters: QueueFilter, expected: list[str]
) -> None:
    assert names(filters=filters) == expected


def test_the_lms_client_filter(queue_data: dict[str, Any]) -> None:
    choices = queue_choices(db.session(), current_policy(), agencies=None)
    clients = {name: client_id for client_id, name in choices.clients}
    assert names(filters=QueueFilter(client_id=clients["Open edX Kota Metro"])) == ["Budi Santoso"]
    assert len(names(filters=QueueFilter(client_id=clients["Moodle BPSDM test"]))) == 3
    assert choices.units == ("Dinas Kesehatan", "Dinas Pendidikan", "Sekretariat Daerah")
    scoped = queue_choices(db.session(), current_policy(), agencies=[METRO])
    assert (scoped.agencies, scoped.units) == ((METRO,), ("Sekretariat Daerah",))


@pytest.mark.parametrize("sort", ["oldest", "newest", "jp_high", "jp_low"])
def test_keyset_pages_walk_the_whole_queue_in_order_once(
    queue_data: dict[str, Any], sort: str
) -> None:

    seen = []
    after = None
    while True:
        page = queue_page(
            db.session(),
            current_policy(),
            agencies=None,
            filters=QueueFilter(),
            sort=sort,
            after=after,
            limit=1,
        )
        seen.extend(page.items)
        after = page.next_after
        if after is None:
            break
    assert len({item.entry.id for item in seen}) == len(seen) == 4
    key = {
        "oldest": lambda i: (i.occurred_at, i.entry.id),
        "newest": lambda i: (i.occurred_at, i.entry.id),
        "jp_high": lambda i: (i.entry.jp_raw, i.entry.id),
        "jp_low": lambda i: (i.entry.jp_raw, i.entry.id),
    }[sort]
    assert seen == sorted(seen, key=key, reverse=sort in ("newest", "jp_high"))


def test_a_bad_cursor_or_sort_is_refused(queue_data: dict[str, Any]) -> None:
    for kwargs in ({"after": "nonsense"}, {"sort": "name"}, {"after": "x~1", "sort": "jp_low"}):
        with pytest.raises(QueueError):
            queue_page(
                db.session(), current_policy(), agencies=None, filters=QueueFilter(), **kwargs
            )


def test_each_item_reads_as_a_person_reads_it(queue_data: dict[str, Any]) -> None:
    page = queue_page(
        db.session(), current_policy(), agencies=None, filters=QueueFilter(form="webinar")
    )
    [item] = page.items
    [statement] = item.evidence
    assert (item.name, item.entry.nip, item.unit) == ("Siti Aminah", NIP_A, "Dinas Pendidikan")
    assert statement.verb_label == "menghadiri"
    assert statement.activity_name == "Modul 3"
    assert statement.client_name == "Moodle BPSDM test"
    assert statement.occurred_at.isoformat() == "2025-03-09T09:00:00+07:00"  # WIB
    assert (statement.duration_minutes, statement.score) == (120, "85/100")
    assert item.rule_title.startswith("Webinar")
    assert '"raw": 85' in statement.raw
    english = queue_page(
        db.session(),
        current_policy(),
        agencies=None,
        filters=QueueFilter(form="webinar"),
        language="en",
    )
    assert english.items[0].evidence[0].verb_label == "attended"


def test_an_entry_page_is_404_outside_the_readers_agencies(queue_data: dict[str, Any]) -> None:

    [budi] = queue_page(
        db.session(), current_policy(), agencies=[METRO], filters=QueueFilter()
    ).items
    assert entry_page(db.session(), current_policy(), budi.entry.id, agencies=[LAMPUNG]) is None
    shown = entry_page(db.session(), current_policy(), budi.entry.id, agencies=[METRO])
    assert shown is not None
    assert shown.item.name == "Budi Santoso"
    assert entry_page(db.session(), current_policy(), 987654, agencies=None) is None


def test_attachments_open_only_through_an_entry_that_carries_them(
    app_context: Flask, xapi: XAPIClient
) -> None:
    import_people([person(NIP_A, "Siti Aminah", LAMPUNG, "Dinas Pendidikan")])
    certificate = b"%PDF-1.4 sertifikat"
    page_html = b"<script>alert(1)</script>"
    statement = completion(minutes=90)
    digests = [hashlib.sha256(content).hexdigest() for content in (certificate, page_html)]
    statement["attachments"] = [
        attachment(certificate, contentType="application/pdf"),
        attachment(page_html, contentType="text/html"),
    ]
    content_type, body = build_multipart(
        json.dumps([statement]).encode(),
        [
            AttachmentPart(digests[0], "application/pdf", certificate),
            AttachmentPart(digests[1], "text/html", page_html),
        ],
    )
    response = xapi.client.post(
        "/xapi/statements", data=body, headers=xapi.headers({"Content-Type": content_type})
    )
    assert response.status_code == 200, response.get_data()

    [item] = queue_page(db.session(), current_policy(), agencies=None, filters=QueueFilter()).items
    assert [a.name for a in item.evidence[0].attachments] == ["Sertifikat", "Sertifikat"]
    pdf = evidence_attachment(db.session(), item.entry.id, digests[0], agencies=[LAMPUNG])
    assert pdf is not None
    assert pdf.content == certificate
    assert (pdf.content_type, pdf.inline) == ("application/pdf", True)
    html = evidence_attachment(db.session(), item.entry.id, digests[1], agencies=[LAMPUNG])
    assert html is not None
    assert (html.content_type, html.inline) == (
        "application/octet-stream",
        False,
    )
    assert evidence_attachment(db.session(), item.entry.id, digests[0], agencies=[METRO]) is None
    assert evidence_attachment(db.session(), item.entry.id + 1, digests[0], agencies=None) is None
