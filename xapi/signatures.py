"""Signed statements: the JWS a statement carries as an attachment.

xAPI 1.0.3 Data 2.6 (2.0.0: 9274.1.1 "Signed Statements"). The signature is a JSON Web
Signature (RFC 7515) sent as an attachment with usageType
``http://adlnet.gov/expapi/attachments/signature`` and contentType
``application/octet-stream``; its payload is the statement as it was before the signature
was added. The LRS MUST reject malformed signatures with 400 and, to find them, MUST decode
the JWS, check that the signed statement is logically equivalent to the received one
(Data 2.3.1 "Statement Comparison Requirements"), check the signature against the x5c
certificate when the header has one, and check the algorithm is RS256, RS384 or RS512.

The spec is explicit that this catches mistakes and is not a security measure: no
certificate chain, expiry or trust anchor is checked, and keys are never fetched (no
``x5u``/``jku``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.api_jws import PyJWS
from jwt.exceptions import InvalidSignatureError, PyJWTError

from xapi.errors import BadRequest
from xapi.multipart import AttachmentPart
from xapi.versions import VERSION_2, XAPIVersion

SIGNATURE_USAGE_TYPE: Final = "http://adlnet.gov/expapi/attachments/signature"
SIGNATURE_CONTENT_TYPE: Final = "application/octet-stream"
ALGORITHMS: Final = ("RS256", "RS384", "RS512")
"""Data 2.6: "The JWS signature MUST use an algorithm of RS256, RS384, or RS512"."""

_IGNORED: Final = ("stored", "authority", "version")
"""Set or replaced by an LRS while processing (Data 2.3.1), so never compared."""
_ASSIGNED_WHEN_ABSENT: Final = ("id", "timestamp")
"""Assigned by an LRS only when missing: compared only when both sides have them."""
_SECONDS: Final = re.compile(r"(?P<head>[^.]*)\.(?P<fraction>\d+)S")


def signature_attachments(statement: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The statement's attachment objects whose usageType marks them as a signature."""
    attachments = statement.get("attachments")
    if not isinstance(attachments, list):
        return []
    return [
        attachment
        for attachment in attachments
        if isinstance(attachment, dict) and attachment.get("usageType") == SIGNATURE_USAGE_TYPE
    ]


def verify_statement_signatures(
    statement: Mapping[str, Any],
    parts: Mapping[str, AttachmentPart],
    *,
    version: XAPIVersion = VERSION_2,
) -> None:
    """Verify every signature attachment of ``statement`` against its multipart part.

    A signature attachment whose JWS did not arrive cannot be checked, so it is rejected
    even with a fileUrl (conformance XAPI-00115: a statement with the signature usageType
    but no signature attached is rejected with 400).
    """
    for attachment in signature_attachments(statement):
        sha2 = attachment.get("sha2")
        part = parts.get(sha2.lower()) if isinstance(sha2, str) else None
        if part is None:
            raise BadRequest(
                f"signature attachment with sha2 {sha2!r} has no multipart part carrying its "
                "JWS; the LRS must verify signatures (Data 2.6)"
            )
        verify_signed_statement(statement, part, version=version)


def verify_signed_statement(
    statement: Mapping[str, Any],
    signature_part: AttachmentPart,
    *,
    version: XAPIVersion = VERSION_2,
) -> None:
    """Check one signature attachment of ``statement`` as Data 2.6 "LRS Requirements" say.

    ``version`` selects the comparison rules: under 2.0.0 a result duration is compared only
    to hundredths of a second (conformance suite v2_0 4.2.7); under 1.0.3 it is compared as a
    string (Data 2.3.1). Raises :class:`BadRequest` naming the first rule broken.
    """
    _check_attachment_metadata(statement, signature_part.sha2)
    token = _compact_jws(signature_part.content)
    header = _header(token)
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise BadRequest(
            f"signature JWS uses algorithm {algorithm!r}; it must be RS256, RS384 or RS512 "
            "(Data 2.6)"
        )
    payload = _verified_payload(token, algorithm, _x5c_key(header))
    signed = _signed_statement(payload)
    try:
        difference = _first_difference(
            *_comparable(
                _canonical_statement(signed, version), _canonical_statement(statement, version)
            )
        )
    except RecursionError as error:
        raise BadRequest("signature JWS payload is nested too deeply to compare") from error
    if difference is not None:
        raise BadRequest(
            f"signature JWS payload is not the received statement: they differ at {difference} "
            "(Data 2.6, statement comparison per Data 2.3.1)"
        )


# --- the JWS ------------------------------------------------------------------------------


def _check_attachment_metadata(statement: Mapping[str, Any], sha2: str) -> None:
    """Data 2.6: the JWS is an attachment of contentType application/octet-stream."""
    described = [
        attachment
        for attachment in signature_attachments(statement)
        if isinstance(attachment.get("sha2"), str) and attachment["sha2"].lower() == sha2.lower()
    ]
    if not described:
        raise BadRequest(f"part {sha2} is not the data of a signature attachment of the statement")
    for attachment in described:
        content_type = attachment.get("contentType")
        media_type = (
            content_type.split(";", 1)[0].strip().lower() if isinstance(content_type, str) else None
        )
        if media_type != SIGNATURE_CONTENT_TYPE:
            raise BadRequest(
                f"signature attachment has contentType {content_type!r}; it must be "
                f"{SIGNATURE_CONTENT_TYPE} (Data 2.6)"
            )


def _compact_jws(content: bytes) -> bytes:
    """The attachment data as a JWS Compact Serialization (RFC 7515 7.1).

    Data 2.6 says Compact SHOULD* be used and JSON Serialization is unlikely to interoperate;
    the LRS takes Compact only. Surrounding white space is tolerated.
    """
    token = content.strip()
    if token.startswith(b"{"):
        raise BadRequest(
            "signature uses JWS JSON Serialization; only JWS Compact Serialization is "
            "accepted (Data 2.6)"
        )
    segments = token.split(b".")
    if len(segments) != 3 or not segments[0] or not segments[2]:
        raise BadRequest(
            "signature attachment is not a JWS: Compact Serialization is "
            "header.payload.signature, each base64url (RFC 7515 7.1)"
        )
    return token


def _header(token: bytes) -> dict[str, Any]:
    try:
        return PyJWS().get_unverified_header(token)
    except PyJWTError as error:
        raise BadRequest(f"signature JWS has a malformed header: {error} (Data 2.6)") from error


def _x5c_key(header: Mapping[str, Any]) -> RSAPublicKey | None:
    """The public key of the first x5c certificate (RFC 7515 4.1.6), if the header has one."""
    chain = header.get("x5c")
    if chain is None:
        return None
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise BadRequest("signature JWS header x5c must be a non-empty array of certificates")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
        key = certificate.public_key()
    except (binascii.Error, ValueError, UnsupportedAlgorithm) as error:
        raise BadRequest(
            f"signature JWS header x5c[0] is not a base64 DER X.509 certificate: {error}"
        ) from error
    if not isinstance(key, RSAPublicKey):
        raise BadRequest("signature JWS x5c certificate does not hold an RSA key (Data 2.6)")
    return key


def _verified_payload(token: bytes, algorithm: str, key: RSAPublicKey | None) -> bytes:
    """Decode the JWS; with an x5c key also verify the signature ("as defined in JWS")."""
    jws = PyJWS()
    try:
        if key is None:
            decoded = jws.decode_complete(token, options={"verify_signature": False})
        else:
            decoded = jws.decode_complete(token, key=key, algorithms=[algorithm])
    except InvalidSignatureError as error:
        raise BadRequest(
            "signature JWS does not verify against the certificate in its x5c header (Data 2.6)"
        ) from error
    except PyJWTError as error:
        raise BadRequest(f"signature JWS is malformed: {error} (Data 2.6)") from error
    payload: bytes = decoded["payload"]
    return payload


def _signed_statement(payload: bytes) -> dict[str, Any]:
    """Data 2.6: the payload MUST be a valid JSON serialization of the complete statement."""
    try:
        signed = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BadRequest(
            f"signature JWS payload is not a JSON serialization of a statement: {error} (Data 2.6)"
        ) from error
    if not isinstance(signed, dict):
        raise BadRequest("signature JWS payload is JSON but not a statement object (Data 2.6)")
    return signed


# --- statement comparison (Data 2.3.1) ----------------------------------------------------


def _comparable(
    signed: dict[str, Any], received: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Drop the top-level properties an LRS may have assigned (Data 2.3.1, first exception)."""
    for key in _IGNORED:
        signed.pop(key, None)
        received.pop(key, None)
    for key in _ASSIGNED_WHEN_ABSENT:
        if key not in signed or key not in received:
            signed.pop(key, None)
            received.pop(key, None)
    return signed, received


def _canonical_statement(statement: Mapping[str, Any], version: XAPIVersion) -> dict[str, Any]:
    """A copy of a statement (or SubStatement) with every Data 2.3.1 exception normalised.

    Ignored: attachments, verb display, Activity definitions. Normalised: timestamps to UTC
    instants, the order of Group members, the case of UUIDs and of e-mail domains, a single
    context Activity to an array of one, and (2.0.0) result duration beyond hundredths.
    """
    canonical: dict[str, Any] = {}
    for key, value in statement.items():
        if key == "attachments":
            continue
        if key == "id" and isinstance(value, str):
            canonical[key] = value.lower()
        elif key in ("timestamp", "stored"):
            canonical[key] = _instant(value)
        elif key in ("actor", "authority"):
            canonical[key] = _canonical_agent(value)
        elif key == "verb":
            canonical[key] = _without(value, "display")
        elif key == "object":
            canonical[key] = _canonical_object(value, version)
        elif key == "result":
            canonical[key] = _canonical_result(value, version)
        elif key == "context":
            canonical[key] = _canonical_context(value)
        else:
            canonical[key] = value
    return canonical


def _canonical_agent(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    agent = dict(value)
    mbox = agent.get("mbox")
    if isinstance(mbox, str) and "@" in mbox:
        local, _, domain = mbox.rpartition("@")
        agent["mbox"] = f"{local}@{domain.lower()}"
    members = agent.get("member")
    if agent.get("objectType") == "Group" and isinstance(members, list):
        agent["member"] = sorted((_canonical_agent(member) for member in members), key=_sort_key)
    return agent


def _canonical_object(value: object, version: XAPIVersion) -> object:
    if not isinstance(value, Mapping):
        return value
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        return _without(value, "definition")
    if object_type in ("Agent", "Group"):
        return _canonical_agent(value)
    if object_type == "StatementRef":
        return _lower_id(value)
    if object_type == "SubStatement":
        return _canonical_statement(value, version)
    return value


def _canonical_result(value: object, version: XAPIVersion) -> object:
    """2.0.0: duration precision beyond 0.01 s is not compared (1.0.3: a plain string)."""
    if not isinstance(value, Mapping) or version != VERSION_2:
        return value
    result = dict(value)
    duration = result.get("duration")
    if isinstance(duration, str):
        match = _SECONDS.fullmatch(duration)
        if match:
            fraction = match["fraction"][:2].rstrip("0")
            result["duration"] = f"{match['head']}{'.' + fraction if fraction else ''}S"
    return result


def _canonical_context(value: object) -> object:
    if not isinstance(value, Mapping):
        return value
    context = dict(value)
    registration = context.get("registration")
    if isinstance(registration, str):
        context["registration"] = registration.lower()
    for key in ("instructor", "team"):
        if key in context:
            context[key] = _canonical_agent(context[key])
    if isinstance(context.get("statement"), Mapping):
        context["statement"] = _lower_id(context["statement"])
    activities = context.get("contextActivities")
    if isinstance(activities, Mapping):
        # 1.0.3 allows a single Activity; the LRS returns it as an array of one (Data 2.4.6.2).
        context["contextActivities"] = {
            kind: [_without(a, "definition") for a in (v if isinstance(v, list) else [v])]
            for kind, v in activities.items()
        }
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        entries = context.get(key)
        if isinstance(entries, list):
            context[key] = [
                {**entry, inner: _canonical_agent(entry[inner])}
                if isinstance(entry, Mapping) and inner in entry
                else entry
                for entry in entries
            ]
    return context


def _instant(value: object) -> object:
    """Timestamps compare as points in time, whatever their zone or notation."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _lower_id(value: Mapping[str, Any]) -> dict[str, Any]:
    """UUIDs are compared without regard to case."""
    copy = dict(value)
    if isinstance(copy.get("id"), str):
        copy["id"] = copy["id"].lower()
    return copy


def _without(value: object, key: str) -> object:
    if not isinstance(value, Mapping):
        return value
    return {k: v for k, v in value.items() if k != key}


def _sort_key(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _first_difference(signed: object, received: object, path: str = "") -> str | None:
    """The JSON path of the first difference, or None if the two are equal.

    Numbers compare by value (1 and 1.0 are the same JSON number) but never equal a boolean.
    """
    here = path or "the statement"
    if isinstance(signed, Mapping) and isinstance(received, Mapping):
        for key in sorted(set(signed) | set(received)):
            child = f"{path}.{key}" if path else key
            if key not in signed or key not in received:
                return child
            found = _first_difference(signed[key], received[key], child)
            if found is not None:
                return found
        return None
    if isinstance(signed, list) and isinstance(received, list):
        if len(signed) != len(received):
            return here
        for index, (left, right) in enumerate(zip(signed, received, strict=True)):
            found = _first_difference(left, right, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(signed, bool) != isinstance(received, bool) or signed != received:
        return here
    return None
