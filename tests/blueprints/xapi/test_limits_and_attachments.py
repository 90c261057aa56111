"""Limits a real service needs, and attachments over HTTP: clear 413/400, nothing stored."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from lms_bridge.access import create_client
from lms_bridge.app import create_app
from lms_bridge.db import db
from lms_bridge.models import AttachmentContent, Statement, StatementAttachment
from tests.conftest import HASH_METHOD, XAPIClient, count_rows, empty_all_tables, make_settings
from tests.statements import attachment, statement
from xapi.multipart import AttachmentPart, build_multipart

CERTIFICATE = b"Sertifikat pelatihan: Latsar CPNS angkatan 7"


@pytest.fixture
def small_limits(database_url: str) -> Iterator[XAPIClient]:
    """An app whose body and attachment limits are small enough to reach in a test."""
    app: Flask = create_app(
        make_settings(database_url, max_body_bytes=20_000, max_attachment_bytes=1_000)
    )
    with app.app_context():
        empty_all_tables()
        client = create_client(
            "limits", key="limits", secret="limits", scopes=["all"], hash_method=HASH_METHOD
        )
        yield XAPIClient(app.test_client(), client.key, client.secret)
        db.session.remove()
        db.engine.dispose()


def with_attachment(content: bytes) -> dict[str, Any]:
    return statement(
        statement_id=str(uuid.uuid4()),
        attachments=[attachment(content)],
    )


def post_multipart(xapi: XAPIClient, statements: Any, parts: list[bytes]) -> Any:
    content_type, body = build_multipart(
        json.dumps(statements).encode(),
        [AttachmentPart(hashlib.sha256(p).hexdigest(), "text/plain", p) for p in parts],
    )
    return xapi.client.post(
        "/xapi/statements", data=body, headers=xapi.headers({"Content-Type": content_type})
    )


def test_a_body_over_the_limit_is_413_and_stores_nothing(small_limits: XAPIClient) -> None:
    padding = statement(result={"response": "x" * 25_000})
    response = small_limits.post_statements(padding)
    assert response.status_code == 413
    assert count_rows(Statement) == 0


def test_an_attachment_over_the_limit_is_413_and_stores_nothing(small_limits: XAPIClient) -> None:
    big = b"x" * 1_500
    response = post_multipart(small_limits, [with_attachment(big)], [big])
    assert response.status_code == 413
    assert "attachment" in response.get_json()["detail"]
    assert count_rows(Statement) == 0
    assert count_rows(AttachmentContent) == 0


def test_an_attachment_is_stored_once_and_returned_with_attachments_true(xapi: XAPIClient) -> None:
    first, second = with_attachment(CERTIFICATE), with_attachment(CERTIFICATE)
    assert post_multipart(xapi, [first], [CERTIFICATE]).status_code == 200
    assert post_multipart(xapi, [second], [CERTIFICATE]).status_code == 200
    assert count_rows(AttachmentContent) == 1
    assert count_rows(StatementAttachment) == 2
    response = xapi.get(query_string={"statementId": first["id"], "attachments": "true"})
    assert response.status_code == 200
    assert response.mimetype == "multipart/mixed"
    assert CERTIFICATE in response.get_data()


def test_an_attachment_without_its_part_is_rejected_and_stores_nothing(xapi: XAPIClient) -> None:
    response = xapi.post_statements(with_attachment(CERTIFICATE))
    assert response.status_code == 400
    assert count_rows(Statement) == 0


def test_a_part_whose_content_does_not_match_its_hash_is_rejected(xapi: XAPIClient) -> None:
    declared = with_attachment(CERTIFICATE)
    content_type, body = build_multipart(
        json.dumps([declared]).encode(),
        [AttachmentPart(declared["attachments"][0]["sha2"], "text/plain", b"tampered")],
    )
    response = xapi.client.post(
        "/xapi/statements", data=body, headers=xapi.headers({"Content-Type": content_type})
    )
    assert response.status_code == 400
    assert count_rows(Statement) == 0
