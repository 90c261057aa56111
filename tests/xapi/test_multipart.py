"""multipart/mixed statement requests: xAPI 1.0.3 Communication 1.5.2, Data 2.4.11.

Bodies marked XAPI-nnnnn are the ones the ADL LRS conformance suite sends
(test/v1_0_3/H.Communication1.5-ContentTypes.js, test/v2_0/4.1.3-Content-Types.js).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

import pytest

from tests.statement_files import FIXTURES
from tests.statements import suite_attachment, suite_statement
from xapi.errors import BadRequest
from xapi.multipart import (
    AttachmentPart,
    build_multipart,
    check_attachments,
    parse_multipart,
)

SPEC = FIXTURES / "attachments" / "multipart-only"  # the xAPI spec's own examples
SPEC_BOUNDARY = "abcABC0123'()+_,-./:=?"
SUITE_BOUNDARY = "-------314159265358979323846"
SUITE_HEADER = f"multipart/mixed; boundary={SUITE_BOUNDARY}"

TEXT_1 = b"here is a simple attachment"
TEXT_2 = b"here is another simple attachment"
TEXT_3 = b"and a third one nobody asked for"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def body(*parts: tuple[list[str], bytes], boundary: str = SUITE_BOUNDARY) -> bytes:
    """A multipart body in the shape the conformance suite writes it (CRLF, close + CRLF)."""
    out = b""
    for headers, content in parts:
        out += f"--{boundary}\r\n".encode()
        out += "".join(f"{header}\r\n" for header in headers).encode() + b"\r\n"
        out += content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def json_part(data: Any) -> tuple[list[str], bytes]:
    return ["Content-Type: application/json"], json.dumps(data).encode()


def text_part(data: bytes, sha2: str | None = None) -> tuple[list[str], bytes]:
    return [
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: binary",
        f"X-Experience-API-Hash: {sha2 or sha256(data)}",
    ], data


# --- the spec's own example ---------------------------------------------------------------


def test_spec_example_body_yields_its_statement_and_its_text_attachment() -> None:
    raw = (SPEC / "xapi-spec_multipart_body.txt").read_bytes()
    expected = json.loads(
        (SPEC / "xapi-spec_multipart_statement_with_text_attachment.json").read_text()
    )

    parsed = parse_multipart(f'multipart/mixed; boundary="{SPEC_BOUNDARY}"', raw)

    assert json.loads(parsed.statements_json) == expected
    assert parsed.parts == {
        sha256(TEXT_1): AttachmentPart(
            sha2=sha256(TEXT_1), content_type="text/plain", content=TEXT_1
        )
    }
    check_attachments([expected], parsed.parts)


# --- round trip ---------------------------------------------------------------------------


def test_built_body_round_trips_through_the_parser() -> None:
    binary = bytes(range(256)) * 64 + b"\r\n--\r\n\r\n--xapi"
    parts = [
        AttachmentPart(sha2=sha256(binary), content_type="image/png", content=binary),
        AttachmentPart(
            sha2=sha256(TEXT_1), content_type="text/plain; charset=ascii", content=TEXT_1
        ),
        AttachmentPart(sha2=sha256(b""), content_type="application/octet-stream", content=b""),
    ]
    statements_json = json.dumps(
        [suite_statement(suite_attachment(binary)), suite_statement(suite_attachment(TEXT_1))]
    )

    header, raw = build_multipart(statements_json.encode(), parts)
    parsed = parse_multipart(header, raw)

    assert parsed.statements_json == statements_json.encode()
    assert parsed.parts == {part.sha2: part for part in parts}


def test_built_body_sends_data_used_twice_only_once() -> None:
    part = AttachmentPart(sha2=sha256(TEXT_1), content_type="text/plain", content=TEXT_1)

    _, raw = build_multipart(b"[]", [part, part])

    assert raw.count(TEXT_1) == 1


def test_built_body_uses_crlf_and_a_plain_boundary_clients_can_use_as_a_pattern() -> None:
    header, raw = build_multipart(b"[]", [])

    match = re.fullmatch(r"multipart/mixed; boundary=([0-9A-Za-z]+)", header)
    assert match is not None
    boundary = match[1].encode()
    assert raw.startswith(b"--" + boundary + b"\r\nContent-Type: application/json\r\n\r\n[]")
    assert raw.endswith(b"\r\n--" + boundary + b"--\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_building_refuses_a_content_type_that_would_inject_a_header() -> None:
    part = AttachmentPart(
        sha2=sha256(TEXT_1), content_type="text/plain\r\nX-Evil: 1", content=TEXT_1
    )

    with pytest.raises(ValueError, match="line break"):
        build_multipart(b"[]", [part])


# --- framing (RFC 2046 5.1.1) -------------------------------------------------------------


def test_body_opening_with_crlf_and_ending_without_one_is_accepted() -> None:
    """The suite's signStatement helper writes exactly this framing."""
    raw = (
        (
            f"\r\n--{SUITE_BOUNDARY}\r\nContent-Type:application/json\r\n\r\n[]"
            f"\r\n--{SUITE_BOUNDARY}\r\nContent-Type:application/octet-stream\r\n"
            f"Content-Transfer-Encoding:binary\r\nX-Experience-API-Hash:{sha256(TEXT_1)}\r\n\r\n"
        ).encode()
        + TEXT_1
        + f"\r\n--{SUITE_BOUNDARY}--".encode()
    )

    parsed = parse_multipart(SUITE_HEADER, raw)

    assert parsed.statements_json == b"[]"
    assert parsed.parts[sha256(TEXT_1)].content == TEXT_1


def test_preamble_and_epilogue_are_ignored() -> None:
    raw = b"this is a preamble\r\n" + body(json_part([])) + b"and an epilogue\r\n"

    assert parse_multipart(SUITE_HEADER, raw).statements_json == b"[]"


def test_content_type_without_boundary_is_rejected() -> None:
    """XAPI-00131: 'should fail if boundary not provided in header'."""
    with pytest.raises(BadRequest, match="boundary"):
        parse_multipart("multipart/mixed;", body(json_part([])))


def test_boundary_that_is_not_ascii_is_rejected() -> None:
    with pytest.raises(BadRequest, match="ASCII"):
        parse_multipart('multipart/mixed; boundary="gr\u00e4nze"', body(json_part([])))


def test_multipart_form_data_is_rejected() -> None:
    """XAPI-00127: attachments sent as multipart/form-data are refused."""
    with pytest.raises(BadRequest, match="multipart/mixed"):
        parse_multipart(f"multipart/form-data; boundary={SUITE_BOUNDARY}", body(json_part([])))


def test_body_that_never_uses_its_boundary_is_rejected() -> None:
    with pytest.raises(BadRequest, match="boundary"):
        parse_multipart(SUITE_HEADER, b'Content-Type: application/json\r\n\r\n{"a": 1}')


def test_body_without_first_boundary_is_rejected() -> None:
    """XAPI-00131 'should fail if boundary not provided in body': the JSON becomes preamble."""
    data = suite_statement(suite_attachment(TEXT_1))
    headers, content = json_part(data)
    raw = headers[0].encode() + b"\r\n\r\n" + content + b"\r\n" + body(text_part(TEXT_1))

    with pytest.raises(BadRequest, match="first part"):
        parse_multipart(SUITE_HEADER, raw)


def test_body_without_boundary_before_attachment_leaves_the_attachment_without_a_part() -> None:
    """XAPI-00130: the attachment's headers and data end up inside the JSON part."""
    data = suite_statement(suite_attachment(TEXT_1))
    raw = body(
        (
            ["Content-Type: application/json"],
            json.dumps(data).encode()
            + b"\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: binary\r\n"
            + f"X-Experience-API-Hash: {sha256(TEXT_1)}\r\n\r\n".encode()
            + TEXT_1,
        )
    )

    parsed = parse_multipart(SUITE_HEADER, raw)

    assert parsed.parts == {}
    with pytest.raises(BadRequest, match="no fileUrl and no multipart part"):
        check_attachments([data], parsed.parts)


def test_body_without_closing_boundary_is_rejected() -> None:
    raw = body(json_part([]), text_part(TEXT_1)).removesuffix(f"--{SUITE_BOUNDARY}--\r\n".encode())

    with pytest.raises(BadRequest, match="closing boundary"):
        parse_multipart(SUITE_HEADER, raw)


def test_boundary_followed_by_other_text_is_rejected() -> None:
    raw = body(json_part([])).replace(
        f"--{SUITE_BOUNDARY}\r\n".encode(), f"--{SUITE_BOUNDARY}xyz\r\n".encode(), 1
    )

    with pytest.raises(BadRequest, match="not followed by CRLF"):
        parse_multipart(SUITE_HEADER, raw)


def test_part_without_blank_line_after_its_headers_is_rejected() -> None:
    raw = f"--{SUITE_BOUNDARY}\r\nContent-Type: application/json\r\n--{SUITE_BOUNDARY}--".encode()

    with pytest.raises(BadRequest, match="blank line"):
        parse_multipart(SUITE_HEADER, raw)


def test_header_line_without_colon_is_rejected() -> None:
    raw = body((["Content-Type application/json"], b"[]"))

    with pytest.raises(BadRequest, match="malformed header"):
        parse_multipart(SUITE_HEADER, raw)


def test_header_names_are_case_insensitive_and_folded_lines_are_joined() -> None:
    raw = body(
        (["content-type: application/json"], b"[]"),
        (
            [
                "CONTENT-TYPE: text/plain;",
                "\tcharset=ascii",
                "content-transfer-encoding: BINARY",
                f"x-experience-api-hash: {sha256(TEXT_1)}",
            ],
            TEXT_1,
        ),
    )

    part = parse_multipart(SUITE_HEADER, raw).parts[sha256(TEXT_1)]

    assert part.content_type == "text/plain; charset=ascii"


def test_large_binary_body_is_parsed_in_one_pass() -> None:
    big = (bytes(range(256)) + b"\r\n--" + SUITE_BOUNDARY.encode()[:-1]) * 40_000  # ~11 MB
    raw = body(json_part([]), text_part(big))

    started = time.perf_counter()
    parsed = parse_multipart(SUITE_HEADER, raw)
    elapsed = time.perf_counter() - started

    assert parsed.parts[sha256(big)].content == big
    assert elapsed < 2.0


# --- the statements part ------------------------------------------------------------------


def test_first_part_that_is_not_application_json_is_rejected() -> None:
    """XAPI-00134."""
    raw = body((["Content-Type: text/plain"], b"[]"), text_part(TEXT_1))

    with pytest.raises(BadRequest, match="application/json"):
        parse_multipart(SUITE_HEADER, raw)


def test_first_part_without_content_type_is_rejected() -> None:
    with pytest.raises(BadRequest, match="application/json"):
        parse_multipart(SUITE_HEADER, body(([], b"[]")))


def test_first_part_may_name_a_charset() -> None:
    raw = body((["Content-Type: application/json; charset=UTF-8"], b"[]"))

    assert parse_multipart(SUITE_HEADER, raw).statements_json == b"[]"


def test_statements_split_over_two_json_parts_are_rejected() -> None:
    """XAPI-00133: the second JSON part has no hash header, so it is no attachment."""
    data = suite_statement(suite_attachment(TEXT_1))
    raw = body(json_part(data), json_part(data), text_part(TEXT_1))

    with pytest.raises(BadRequest, match="X-Experience-API-Hash"):
        parse_multipart(SUITE_HEADER, raw)


def test_body_with_only_a_close_delimiter_is_rejected() -> None:
    with pytest.raises(BadRequest, match="no parts"):
        parse_multipart(SUITE_HEADER, f"--{SUITE_BOUNDARY}--\r\n".encode())


# --- attachment parts ---------------------------------------------------------------------


def test_part_without_hash_header_is_rejected() -> None:
    """XAPI-00132 'should fail when attachments missing header X-Experience-API-Hash'."""
    raw = body(
        json_part(suite_statement(suite_attachment(TEXT_1))),
        (["Content-Type: text/plain", "Content-Transfer-Encoding: binary"], TEXT_1),
    )

    with pytest.raises(BadRequest, match="no X-Experience-API-Hash"):
        parse_multipart(SUITE_HEADER, raw)


def test_part_whose_hash_does_not_match_its_content_is_rejected() -> None:
    """XAPI-00132 'should fail when ... X-Experience-API-Hash does not match sha2'."""
    wrong = "b018994f8bbe0f08992a65c48c8c8c56f09e9baceaa6227ed85c90ae52b73c89"
    raw = body(json_part(suite_statement(suite_attachment(TEXT_1))), text_part(TEXT_1, sha2=wrong))

    with pytest.raises(BadRequest, match="does not match the SHA-2 of its content"):
        parse_multipart(SUITE_HEADER, raw)


def test_part_sent_as_base64_is_rejected() -> None:
    """XAPI-00135: Content-Transfer-Encoding must be binary."""
    headers, content = text_part(TEXT_1)
    headers[1] = "Content-Transfer-Encoding: base64"
    raw = body(json_part(suite_statement(suite_attachment(TEXT_1))), (headers, content))

    with pytest.raises(BadRequest, match="Content-Transfer-Encoding"):
        parse_multipart(SUITE_HEADER, raw)


def test_part_without_transfer_encoding_is_taken_as_binary() -> None:
    """Communication 1.5.2: the LRS SHOULD assume binary."""
    raw = body(json_part([]), ([f"X-Experience-API-Hash: {sha256(TEXT_1)}"], TEXT_1))

    part = parse_multipart(SUITE_HEADER, raw).parts[sha256(TEXT_1)]

    assert part.content == TEXT_1
    assert part.content_type == "application/octet-stream"


@pytest.mark.parametrize("algorithm", ["sha224", "sha256", "sha384", "sha512"])
def test_hash_is_checked_with_the_sha2_variant_its_length_names(algorithm: str) -> None:
    digest = hashlib.new(algorithm, TEXT_1).hexdigest()
    good = body(json_part([]), text_part(TEXT_1, sha2=digest))
    bad = body(json_part([]), text_part(TEXT_2, sha2=digest))

    assert set(parse_multipart(SUITE_HEADER, good).parts) == {digest}
    with pytest.raises(BadRequest, match="does not match"):
        parse_multipart(SUITE_HEADER, bad)


@pytest.mark.parametrize(
    "declared",
    [hashlib.sha1(TEXT_1).hexdigest(), "z" * 64, sha256(TEXT_1)[:-1]],  # noqa: S324
    ids=["sha1", "not-hex", "truncated"],
)
def test_hash_that_is_not_a_sha2_hex_digest_is_rejected(declared: str) -> None:
    raw = body(json_part([]), text_part(TEXT_1, sha2=declared))

    with pytest.raises(BadRequest, match="not the hex of a SHA-224, SHA-256, SHA-384 or SHA-512"):
        parse_multipart(SUITE_HEADER, raw)


def test_upper_case_hash_is_accepted_and_keyed_in_lower_case() -> None:
    raw = body(json_part([]), text_part(TEXT_1, sha2=sha256(TEXT_1).upper()))

    parts = parse_multipart(SUITE_HEADER, raw).parts

    assert list(parts) == [sha256(TEXT_1)]
    check_attachments(
        [suite_statement(suite_attachment(TEXT_1, sha2=sha256(TEXT_1).upper()))], parts
    )


def test_same_data_sent_twice_is_kept_once() -> None:
    raw = body(json_part([]), text_part(TEXT_1), text_part(TEXT_1))

    assert len(parse_multipart(SUITE_HEADER, raw).parts) == 1


def test_empty_attachment_part_is_accepted() -> None:
    raw = body(json_part([]), text_part(b""))

    assert parse_multipart(SUITE_HEADER, raw).parts[sha256(b"")].content == b""


# --- matching parts to attachments --------------------------------------------------------


def parts_for(*datas: bytes) -> dict[str, AttachmentPart]:
    return {
        sha256(d): AttachmentPart(sha2=sha256(d), content_type="text/plain", content=d)
        for d in datas
    }


def test_attachments_with_their_parts_are_accepted() -> None:
    check_attachments(
        [suite_statement(suite_attachment(TEXT_1), suite_attachment(TEXT_2))],
        parts_for(TEXT_1, TEXT_2),
    )


def test_attachment_without_file_url_and_without_part_is_rejected() -> None:
    """XAPI-00129: two attachments declared, one part sent."""
    with pytest.raises(BadRequest, match=r"statements\[0\]\.attachments\[1\] has no fileUrl"):
        check_attachments(
            [suite_statement(suite_attachment(TEXT_1), suite_attachment(TEXT_2))], parts_for(TEXT_1)
        )


def test_part_that_matches_no_attachment_is_rejected() -> None:
    """XAPI-00128: an excess multipart section."""
    with pytest.raises(BadRequest, match="matches no attachment"):
        check_attachments(
            [suite_statement(suite_attachment(TEXT_1), suite_attachment(TEXT_2))],
            parts_for(TEXT_1, TEXT_2, TEXT_3),
        )


def test_attachments_with_file_url_need_no_part() -> None:
    """Communication 1.5.1 / XAPI-00127: application/json is fine when every attachment has one."""
    check_attachments(
        [suite_statement(suite_attachment(TEXT_1, fileUrl="http://over.there.com/file.txt"))], {}
    )


def test_application_json_request_with_attachment_lacking_file_url_is_rejected() -> None:
    with pytest.raises(BadRequest, match="no fileUrl"):
        check_attachments([suite_statement(suite_attachment(TEXT_1))], {})


def test_attachment_with_file_url_may_still_carry_its_data() -> None:
    check_attachments(
        [suite_statement(suite_attachment(TEXT_1, fileUrl="http://over.there.com/file.txt"))],
        parts_for(TEXT_1),
    )


def test_statements_without_attachments_accept_no_parts() -> None:
    """v2_0 4.1.3: multipart/mixed without attachments is accepted."""
    check_attachments([{"actor": {}, "verb": {}, "object": {}}], {})


def test_one_part_serves_the_same_attachment_in_several_statements() -> None:
    check_attachments(
        [suite_statement(suite_attachment(TEXT_1)), suite_statement(suite_attachment(TEXT_1))],
        parts_for(TEXT_1),
    )


def test_substatement_attachment_needs_its_part_too() -> None:
    outer = suite_statement()
    outer["object"] = {**suite_statement(suite_attachment(TEXT_2)), "objectType": "SubStatement"}

    check_attachments([outer], parts_for(TEXT_2))
    with pytest.raises(BadRequest, match=r"statements\[0\]\.object\.attachments\[0\]"):
        check_attachments([outer], {})


def test_attachment_without_sha2_or_file_url_is_rejected() -> None:
    broken = suite_attachment(TEXT_1)
    del broken["sha2"]

    with pytest.raises(BadRequest, match="neither a fileUrl nor a sha2"):
        check_attachments([suite_statement(broken)], {})


def test_declared_length_is_not_compared_with_the_part_size() -> None:
    """The suite's 'raw data ... multipart/mixed' case (expects 200) sends a hex-encoded JPEG
    with the binary file's length, so the length property cannot be enforced."""
    hex_text = TEXT_1.hex().encode()
    raw = body(json_part([]), text_part(hex_text))

    parts = parse_multipart(SUITE_HEADER, raw).parts
    check_attachments([suite_statement(suite_attachment(hex_text, length=len(TEXT_1)))], parts)
