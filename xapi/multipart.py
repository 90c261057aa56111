"""Statements with attachments: the ``multipart/mixed`` transmission format.

xAPI 1.0.3 Communication 1.5.2 and Data 2.4.11 (2.0.0: 4.1.3 "Content Types" and 4.2.2.6
"Attachments"). A request that carries attachment data is an RFC 2046 ``multipart/mixed``
body: the first part holds the statements as ``application/json``; every further part holds
the raw octets of one attachment, identified only by the SHA-2 hash in its
``X-Experience-API-Hash`` header ("It MUST not do so any other way").

The parser works on the whole body in memory with ``bytes.find`` from a moving offset, so a
body of several megabytes is scanned once and each part is copied once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from email.message import Message
from typing import Any, Final

from xapi.errors import BadRequest
from xapi.fields import NUL

MULTIPART_MIXED: Final = "multipart/mixed"
JSON_TYPE: Final = "application/json"
HASH_HEADER: Final = "X-Experience-API-Hash"
DEFAULT_PART_TYPE: Final = "application/octet-stream"
"""Type recorded for an attachment part without Content-Type (the header is only a SHOULD)."""

_CRLF: Final = b"\r\n"
_LWSP: Final = b" \t"
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_SHA2_BY_HEX_LENGTH: Final = {56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}
"""SHA-2 digests told apart by the length of their hex form (Data 2.4.11 "sha2")."""


@dataclass(frozen=True)
class AttachmentPart:
    """The raw data of one attachment, as received or as to be sent."""

    sha2: str
    """Lower-case hex from the X-Experience-API-Hash header; verified against ``content``."""
    content_type: str
    content: bytes


@dataclass(frozen=True)
class MultipartBody:
    """A parsed ``multipart/mixed`` statement request."""

    statements_json: bytes
    """The first part (``application/json``), not yet decoded."""
    parts: dict[str, AttachmentPart]
    """Attachment parts by ``sha2``; one entry when the same data was sent twice."""


def parse_multipart(content_type_header: str, body: bytes) -> MultipartBody:
    """Split a ``multipart/mixed`` request body and check every part's transmission headers.

    Enforces Communication 1.5.2: a boundary parameter (RFC 2046 5.1.1); a first part of
    type ``application/json``; in each later part an ``X-Experience-API-Hash`` header and, if
    present, ``Content-Transfer-Encoding: binary`` (the LRS SHOULD assume binary when absent);
    and that each part's data hashes to its declared SHA-2 (so parts can be matched to
    attachments by hash alone). Whether the parts match the statements' attachments is
    :func:`check_attachments`'s job, once the JSON has been decoded.
    """
    boundary = _boundary(content_type_header)
    try:
        raw_boundary = boundary.encode("ascii")
    except UnicodeEncodeError as error:
        raise BadRequest("multipart boundary must be ASCII (RFC 2046 5.1.1)") from error
    raw_parts = _split(body, raw_boundary)
    if not raw_parts:
        raise BadRequest("multipart/mixed body has no parts; the first must hold the statements")

    first_headers, statements_json = raw_parts[0]
    first_type = first_headers.get("content-type")
    if first_type is None or _media_type(first_type) != JSON_TYPE:
        raise BadRequest(
            "the first part of a multipart/mixed statement request must have Content-Type "
            f"application/json, not {first_type or 'none'} (Communication 1.5.2)"
        )

    parts: dict[str, AttachmentPart] = {}
    for number, (headers, content) in enumerate(raw_parts[1:], start=2):
        part = _attachment_part(number, headers, content)
        parts.setdefault(part.sha2, part)
    return MultipartBody(statements_json=statements_json, parts=parts)


def check_attachments(
    statements: Sequence[Mapping[str, Any]], parts: Mapping[str, AttachmentPart]
) -> None:
    """Match attachment parts to the attachments the statements declare, by hash only.

    Communication 1.5.2: the LRS MUST reject statements having attachments that neither
    contain a fileUrl nor match a received part; and a part whose hash is not the ``sha2`` of
    any attachment is an excess section, also rejected (conformance XAPI-00128, XAPI-00132).
    For an ``application/json`` request pass ``parts={}``: then every attachment needs a
    fileUrl (Communication 1.5.2 "Requirements for Attachment Statement Batches").
    Attachments of a SubStatement count too (Data 2.4.11 recommends hoisting them, but their
    data still has to arrive).
    """
    referenced: set[str] = set()
    for index, statement in enumerate(statements):
        for where, attachment in _declared_attachments(statement, f"statements[{index}]"):
            sha2 = attachment.get("sha2")
            has_file_url = "fileUrl" in attachment
            if not isinstance(sha2, str) or not sha2:
                if has_file_url:
                    continue  # statement validation reports the bad sha2
                raise BadRequest(f"{where} has neither a fileUrl nor a sha2 to match a part")
            key = sha2.lower()
            referenced.add(key)
            if not has_file_url and key not in parts:
                raise BadRequest(
                    f"{where} has no fileUrl and no multipart part with "
                    f"{HASH_HEADER}: {sha2} (Communication 1.5.2)"
                )
    for sha2 in parts:
        if sha2 not in referenced:
            raise BadRequest(
                f"multipart part with {HASH_HEADER}: {sha2} matches no attachment's sha2; "
                "excess parts are rejected (Communication 1.5.2)"
            )


def build_multipart(statements_json: bytes, parts: Sequence[AttachmentPart]) -> tuple[str, bytes]:
    """Serialise a ``GET /statements?attachments=true`` response (Communication 1.5.2, 2.1.3).

    Returns ``(Content-Type header, body)`` with CRLF line ends. Each distinct attachment is
    sent once (Communication 1.5.2: SHOULD include one copy of data used several times). The
    boundary is random hex: it cannot be confused with data, and it needs neither quoting nor
    escaping by clients that treat it as a pattern.
    """
    unique: dict[str, AttachmentPart] = {}
    for part in parts:
        if "\r" in part.content_type or "\n" in part.content_type:
            raise ValueError(f"content type of part {part.sha2} contains a line break")
        unique.setdefault(part.sha2.lower(), part)

    boundary = _fresh_boundary(statements_json, unique.values())
    dash_boundary = b"--" + boundary
    chunks: list[bytes] = [
        dash_boundary,
        b"\r\nContent-Type: application/json\r\n\r\n",
        statements_json,
    ]
    for sha2, part in unique.items():
        chunks += [
            b"\r\n",
            dash_boundary,
            b"\r\nContent-Type: ",
            part.content_type.encode("utf-8"),
            b"\r\nContent-Transfer-Encoding: binary\r\n",
            HASH_HEADER.encode("ascii"),
            b": ",
            sha2.encode("ascii"),
            b"\r\n\r\n",
            part.content,
        ]
    chunks += [b"\r\n", dash_boundary, b"--\r\n"]
    return f"{MULTIPART_MIXED}; boundary={boundary.decode('ascii')}", b"".join(chunks)


# --- parsing helpers ---------------------------------------------------------------------


def _boundary(content_type_header: str) -> str:
    """Read the boundary parameter; RFC 2046 5.1.1 makes it mandatory for multipart types."""
    message = Message()
    message["Content-Type"] = content_type_header
    if message.get_content_type() != MULTIPART_MIXED:
        raise BadRequest(
            f"expected Content-Type multipart/mixed, got {content_type_header!r} "
            "(Communication 1.5)"
        )
    boundary = message.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        raise BadRequest("multipart/mixed Content-Type has no boundary parameter (RFC 2046 5.1.1)")
    if "\r" in boundary or "\n" in boundary:
        raise BadRequest("multipart boundary contains a line break (RFC 2046 5.1.1)")
    return boundary


def _split(body: bytes, boundary: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Cut the body at its delimiters (RFC 2046 5.1.1): preamble and epilogue are dropped.

    A delimiter is CRLF + "--" + boundary, followed by optional linear white space and CRLF,
    or by "--" for the close delimiter. The first boundary may open the body without a CRLF.
    """
    dash_boundary = b"--" + boundary
    delimiter = _CRLF + dash_boundary
    if body.startswith(dash_boundary):
        position = len(dash_boundary)
    else:
        found = body.find(delimiter)
        if found < 0:
            raise BadRequest("multipart body does not contain its boundary (RFC 2046 5.1.1)")
        position = found + len(delimiter)

    parts: list[tuple[dict[str, str], bytes]] = []
    while True:
        if body.startswith(b"--", position):
            return parts  # close delimiter; whatever follows is the epilogue
        position = _after_boundary_line(body, position)
        end = body.find(delimiter, position)
        if end < 0:
            raise BadRequest("multipart body has no closing boundary (RFC 2046 5.1.1)")
        parts.append(_part(body, position, end, len(parts) + 1))
        position = end + len(delimiter)


def _after_boundary_line(body: bytes, position: int) -> int:
    """Skip transport padding and the CRLF that end a boundary line."""
    while position < len(body) and body[position] in _LWSP:
        position += 1
    if not body.startswith(_CRLF, position):
        raise BadRequest(
            "multipart boundary line is not followed by CRLF; the boundary may also occur "
            "inside a part, which RFC 2046 5.1.1 forbids"
        )
    return position + len(_CRLF)


def _part(body: bytes, start: int, end: int, number: int) -> tuple[dict[str, str], bytes]:
    """Split one body part into its headers and its octets (RFC 2046 5.1: CRLF CRLF between)."""
    if body.startswith(_CRLF, start):
        return {}, body[start + len(_CRLF) : end]
    # The blank line may end exactly at the delimiter, whose CRLF it then shares.
    header_end = body.find(b"\r\n\r\n", start, end + len(_CRLF))
    if header_end < 0:
        raise BadRequest(f"multipart part {number} has no blank line after its headers")
    content_start = header_end + 4
    content = body[content_start:end] if content_start < end else b""
    return _headers(body[start:header_end], number), content


def _headers(block: bytes, number: int) -> dict[str, str]:
    """Parse ``Name: value`` lines (RFC 5322 2.2, with folding); names are case-insensitive."""
    headers: dict[str, str] = {}
    last = ""
    for line in block.decode("latin-1").split("\r\n"):
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if not colon or not name or any(c in name for c in " \t"):
            raise BadRequest(f"multipart part {number} has a malformed header line {line!r}")
        headers[name] = value.strip()
        last = name
    return headers


MAX_PART_TYPE_LENGTH = 255
"""The width of the column an attachment's media type is stored in."""


def _attachment_part(number: int, headers: Mapping[str, str], content: bytes) -> AttachmentPart:
    """Check the transmission headers of an attachment part (Communication 1.5.2)."""
    declared = headers.get(HASH_HEADER.lower())
    if not declared:
        raise BadRequest(
            f"multipart part {number} has no {HASH_HEADER} header; every part after the "
            "first must have one (Communication 1.5.2)"
        )
    encoding = headers.get("content-transfer-encoding")
    if encoding is not None and encoding.lower() != "binary":
        raise BadRequest(
            f"multipart part {number} has Content-Transfer-Encoding {encoding!r}; attachment "
            "data must be sent as binary (Communication 1.5.2)"
        )
    sha2 = declared.strip().lower()
    actual = _digest(sha2, content, number)
    if actual != sha2:
        raise BadRequest(
            f"multipart part {number}: {HASH_HEADER} {sha2} does not match the SHA-2 of its "
            f"content ({actual}) (Communication 1.5.2, Data 2.4.11)"
        )
    content_type = headers.get("content-type") or DEFAULT_PART_TYPE
    if len(content_type) > MAX_PART_TYPE_LENGTH or NUL in content_type:
        raise BadRequest(
            f"multipart part {number} has a Content-Type longer than {MAX_PART_TYPE_LENGTH} "
            "characters or holding NUL (U+0000); it is stored beside the attachment"
        )
    return AttachmentPart(sha2=sha2, content_type=content_type, content=content)


def _digest(sha2: str, content: bytes, number: int) -> str:
    """Hash ``content`` with the SHA-2 variant the hex length of ``sha2`` names."""
    algorithm = _SHA2_BY_HEX_LENGTH.get(len(sha2))
    if algorithm is None or not _HEX.fullmatch(sha2):
        raise BadRequest(
            f"multipart part {number}: {HASH_HEADER} {sha2!r} is not the hex of a SHA-224, "
            "SHA-256, SHA-384 or SHA-512 digest (Data 2.4.11)"
        )
    return hashlib.new(algorithm, content).hexdigest()


def _media_type(value: str) -> str:
    """``type/subtype`` of a Content-Type value, lower-cased, without parameters."""
    return value.split(";", 1)[0].strip().lower()


def _declared_attachments(
    statement: Mapping[str, Any], where: str
) -> list[tuple[str, Mapping[str, Any]]]:
    """The statement's attachment objects and those of its SubStatement, with their paths.

    Malformed values are skipped: statement validation rejects them with a precise path.
    """
    found: list[tuple[str, Mapping[str, Any]]] = []
    sources: list[tuple[str, object]] = [(where, statement)]
    target = statement.get("object")
    if isinstance(target, Mapping) and target.get("objectType") == "SubStatement":
        sources.append((f"{where}.object", target))
    for path, source in sources:
        attachments = source.get("attachments") if isinstance(source, Mapping) else None
        if not isinstance(attachments, list):
            continue
        for position, attachment in enumerate(attachments):
            if isinstance(attachment, Mapping):
                found.append((f"{path}.attachments[{position}]", attachment))
    return found


def _fresh_boundary(statements_json: bytes, parts: Collection[AttachmentPart]) -> bytes:
    """A random boundary that occurs in none of the parts (RFC 2046 5.1.1)."""
    while True:
        boundary = b"xapi" + secrets.token_hex(24).encode("ascii")
        if boundary not in statements_json and all(boundary not in p.content for p in parts):
            return boundary
