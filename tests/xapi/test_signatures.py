"""Signed statements: xAPI 1.0.3 Data 2.6, compared per Data 2.3.1.

Cases marked XAPI-nnnnn mirror test/v1_0_3/E.Data2.6-SignedStatements.js and its v2_0 twin
in the ADL LRS conformance suite, which signs with the suite's helper.signStatement: no x5c
header, the statement minus its attachments as payload.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwt.api_jws import PyJWS

from tests.statement_files import FIXTURES
from xapi.errors import BadRequest
from xapi.multipart import AttachmentPart, check_attachments, parse_multipart
from xapi.signatures import (
    SIGNATURE_USAGE_TYPE,
    signature_attachments,
    verify_signed_statement,
    verify_statement_signatures,
)
from xapi.versions import VERSION_1, VERSION_2

SPEC = FIXTURES / "attachments" / "multipart-only"  # the xAPI spec's own examples

STATEMENT: dict[str, Any] = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": {"objectType": "Agent", "name": "Ani", "mbox": "mailto:ani@bkpsdm.example.go.id"},
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"en-US": "completed"},
    },
    "object": {
        "objectType": "Activity",
        "id": "http://example.go.id/courses/latsar",
        "definition": {"name": {"id-ID": "Latsar CPNS"}},
    },
    "result": {"completion": True, "score": {"raw": 87}, "duration": "PT2H30M0.25S"},
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {"parent": [{"id": "http://example.go.id/programs/cpns"}]},
    },
    "timestamp": "2024-03-01T09:00:00+07:00",
}


# --- keys, certificates and signing -------------------------------------------------------


def self_signed(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lms_bridge test signer")])
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def x5c(certificate: x509.Certificate) -> list[str]:
    der = certificate.public_bytes(serialization.Encoding.DER)
    return [base64.b64encode(der).decode("ascii")]


def sign(
    payload: Any,
    key: Any,
    *,
    algorithm: str = "RS256",
    certificate: x509.Certificate | None = None,
) -> bytes:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"x5c": x5c(certificate)} if certificate is not None else None
    return PyJWS().encode(raw, key, algorithm=algorithm, headers=headers).encode("ascii")


def attach(
    statement: dict[str, Any], token: bytes, content_type: str = "application/octet-stream"
) -> tuple[dict[str, Any], AttachmentPart]:
    """Add the signature attachment, as a client does after signing (Data 2.6)."""
    sha2 = hashlib.sha256(token).hexdigest()
    signed = copy.deepcopy(statement)
    signed.setdefault("attachments", []).append(
        {
            "usageType": SIGNATURE_USAGE_TYPE,
            "display": {"en-US": "Signature"},
            "contentType": content_type,
            "length": len(token),
            "sha2": sha2,
        }
    )
    return signed, AttachmentPart(sha2=sha2, content_type=content_type, content=token)


def signed_by(
    key: rsa.RSAPrivateKey, statement: dict[str, Any] = STATEMENT, **options: Any
) -> tuple[dict[str, Any], AttachmentPart]:
    certificate = self_signed(key)
    return attach(statement, sign(statement, key, certificate=certificate, **options))


def check(
    key: rsa.RSAPrivateKey, signed: dict[str, Any], received: dict[str, Any], **kw: Any
) -> None:
    """Sign ``signed`` (with x5c), then verify that JWS as the signature of ``received``."""
    _, part = signed_by(key, signed)
    statement, _ = attach(received, part.content)
    verify_signed_statement(statement, part, **kw)


def with_changes(statement: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(statement)
    changed.update(changes)
    return changed


# --- the spec's example -------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_spec_appendix_d_signed_statement_verifies_against_its_x5c_certificate() -> None:
    statement = json.loads((SPEC / "xapi-spec_appendixD_signed_statement.json").read_text())
    token = (SPEC / "xapi-spec_appendixD_signature.jws").read_bytes().strip()
    sha2 = hashlib.sha256(token).hexdigest()
    assert sha2 == statement["attachments"][0]["sha2"]

    verify_statement_signatures(
        statement, {sha2: AttachmentPart(sha2, "application/octet-stream", token)}
    )


# --- algorithms and keys (XAPI-00117) -----------------------------------------------------


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_statement_signed_with_an_rsa_algorithm_and_x5c_passes(
    key: rsa.RSAPrivateKey, algorithm: str
) -> None:
    statement, part = signed_by(key, algorithm=algorithm)

    verify_signed_statement(statement, part)


@pytest.mark.parametrize("algorithm", ["RS256", "RS384", "RS512"])
def test_statement_signed_without_x5c_is_checked_by_its_payload_alone(
    key: rsa.RSAPrivateKey, algorithm: str
) -> None:
    """The suite signs this way and expects 200: there is no certificate to verify against."""
    unsigned = {k: v for k, v in STATEMENT.items() if k != "attachments"}
    statement, part = attach(unsigned, sign(unsigned, key, algorithm=algorithm))

    verify_signed_statement(statement, part)


def test_hs256_signature_is_rejected() -> None:
    """XAPI-00117 'Rejects signed statement with another algorithm' (the suite uses HS256)."""
    statement, part = attach(
        STATEMENT, sign(STATEMENT, "a shared secret long enough for hs256", algorithm="HS256")
    )

    with pytest.raises(BadRequest, match="'HS256'; it must be RS256, RS384 or RS512"):
        verify_signed_statement(statement, part)


def test_es256_signature_is_rejected() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    statement, part = attach(STATEMENT, sign(STATEMENT, ec_key, algorithm="ES256"))

    with pytest.raises(BadRequest, match="must be RS256, RS384 or RS512"):
        verify_signed_statement(statement, part)


@pytest.mark.parametrize("signature", [b"c2lnbmF0dXJl", b""], ids=["with-bytes", "empty"])
def test_unsecured_alg_none_jws_is_rejected(signature: bytes) -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(STATEMENT).encode()).rstrip(b"=")
    statement, part = attach(STATEMENT, header + b"." + payload + b"." + signature)

    with pytest.raises(BadRequest):
        verify_signed_statement(statement, part)


def test_signature_by_a_key_other_than_the_x5c_certificates_is_rejected(
    key: rsa.RSAPrivateKey, other_key: rsa.RSAPrivateKey
) -> None:
    token = sign(STATEMENT, other_key, certificate=self_signed(key))
    statement, part = attach(STATEMENT, token)

    with pytest.raises(BadRequest, match="does not verify against the certificate"):
        verify_signed_statement(statement, part)


def test_tampered_payload_is_rejected(key: rsa.RSAPrivateKey) -> None:
    header, _, signature = sign(STATEMENT, key, certificate=self_signed(key)).split(b".")
    tampered = with_changes(STATEMENT, result={**STATEMENT["result"], "score": {"raw": 100}})
    payload = base64.urlsafe_b64encode(json.dumps(tampered).encode()).rstrip(b"=")
    statement, part = attach(tampered, b".".join([header, payload, signature]))

    with pytest.raises(BadRequest, match="does not verify against the certificate"):
        verify_signed_statement(statement, part)


@pytest.mark.parametrize(
    "chain",
    [[], "MIIB", ["not base64!"], [base64.b64encode(b"not a certificate").decode()]],
    ids=["empty", "not-a-list", "not-base64", "not-der"],
)
def test_x5c_that_is_not_a_certificate_chain_is_rejected(
    key: rsa.RSAPrivateKey, chain: Any
) -> None:
    token = (
        PyJWS()
        .encode(json.dumps(STATEMENT).encode(), key, algorithm="RS256", headers={"x5c": chain})
        .encode()
    )
    statement, part = attach(STATEMENT, token)

    with pytest.raises(BadRequest, match="x5c"):
        verify_signed_statement(statement, part)


def test_x5c_certificate_with_a_non_rsa_key_is_rejected(key: rsa.RSAPrivateKey) -> None:
    certificate = self_signed(ec.generate_private_key(ec.SECP256R1()))
    statement, part = attach(STATEMENT, sign(STATEMENT, key, certificate=certificate))

    with pytest.raises(BadRequest, match="RSA key"):
        verify_signed_statement(statement, part)


# --- malformed JWS (XAPI-00115, XAPI-00116) -----------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        b"not a jws at all",
        b"only.two",
        b"a.b.c.d",
        b"!!!.###.$$$",
        base64.urlsafe_b64encode(b"not json").rstrip(b"=") + b".e30.c2ln",
        b'{"payload": "e30", "signatures": []}',
    ],
    ids=[
        "text",
        "two-segments",
        "four-segments",
        "not-base64url",
        "header-not-json",
        "json-serialization",
    ],
)
def test_malformed_jws_is_rejected(token: bytes) -> None:
    statement, part = attach(STATEMENT, token)

    with pytest.raises(BadRequest, match="JWS"):
        verify_signed_statement(statement, part)


def test_payload_that_is_not_json_is_rejected(key: rsa.RSAPrivateKey) -> None:
    """XAPI-00116: the suite's breakJson replaces the first '"' of the payload with "'"."""
    broken = json.dumps(STATEMENT).replace('"', "'", 1).encode()
    statement, part = attach(STATEMENT, sign(broken, key))

    with pytest.raises(BadRequest, match="not a JSON serialization"):
        verify_signed_statement(statement, part)


def test_payload_that_is_json_but_not_an_object_is_rejected(key: rsa.RSAPrivateKey) -> None:
    statement, part = attach(STATEMENT, sign([STATEMENT], key))

    with pytest.raises(BadRequest, match="not a statement object"):
        verify_signed_statement(statement, part)


def test_payload_nested_too_deeply_is_rejected(key: rsa.RSAPrivateKey) -> None:
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    statement, part = attach(STATEMENT, sign(deep, key))

    with pytest.raises(BadRequest, match="not a JSON serialization"):
        verify_signed_statement(statement, part)


def test_signature_attachment_with_another_content_type_is_rejected(key: rsa.RSAPrivateKey) -> None:
    """XAPI-00115 'malformed signature - bad content type'."""
    statement, part = attach(
        STATEMENT, sign(STATEMENT, key), content_type="text/plain; charset=ascii"
    )

    with pytest.raises(BadRequest, match="must be application/octet-stream"):
        verify_signed_statement(statement, part)


def test_part_that_no_signature_attachment_describes_is_rejected(key: rsa.RSAPrivateKey) -> None:
    statement, _ = signed_by(key)
    stray = AttachmentPart(hashlib.sha256(b"x").hexdigest(), "application/octet-stream", b"x")

    with pytest.raises(BadRequest, match="not the data of a signature attachment"):
        verify_signed_statement(statement, stray)


# --- the payload must be the statement (Data 2.6, compared per Data 2.3.1) ----------------


def test_payload_that_differs_from_the_statement_is_rejected(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(STATEMENT, result={**STATEMENT["result"], "score": {"raw": 99}})

    with pytest.raises(BadRequest, match=r"differ at result\.score\.raw"):
        check(key, STATEMENT, received)


def test_properties_the_lrs_assigns_are_not_compared(key: rsa.RSAPrivateKey) -> None:
    signed = {k: v for k, v in STATEMENT.items() if k not in ("id", "timestamp")}
    received = with_changes(
        STATEMENT,
        stored="2024-03-01T02:00:01.123Z",
        authority={"objectType": "Agent", "account": {"homePage": "https://lrs", "name": "client"}},
        version="1.0.3",
    )

    check(key, signed, received)


def test_statement_ids_that_differ_are_a_difference(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(STATEMENT, id="0d2f33c9-32c3-4f0c-9a8f-3b7d35f2f2a1")

    with pytest.raises(BadRequest, match="differ at id"):
        check(key, STATEMENT, received)


def test_uuids_compare_without_regard_to_case(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(STATEMENT, id=STATEMENT["id"].upper())

    check(key, STATEMENT, received)


def test_timestamps_compare_as_points_in_time(key: rsa.RSAPrivateKey) -> None:
    check(key, STATEMENT, with_changes(STATEMENT, timestamp="2024-03-01T02:00:00.000Z"))
    with pytest.raises(BadRequest, match="differ at timestamp"):
        check(key, STATEMENT, with_changes(STATEMENT, timestamp="2024-03-01T09:00:00Z"))


def test_verb_display_and_activity_definitions_are_not_compared(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(
        STATEMENT,
        verb={"id": STATEMENT["verb"]["id"]},
        object={"id": STATEMENT["object"]["id"], "objectType": "Activity"},
    )

    check(key, STATEMENT, received)


def test_verb_id_is_compared(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(STATEMENT, verb={"id": "http://adlnet.gov/expapi/verbs/failed"})

    with pytest.raises(BadRequest, match=r"differ at verb\.id"):
        check(key, STATEMENT, received)


def test_group_members_compare_in_any_order(key: rsa.RSAPrivateKey) -> None:
    members = [
        {"mbox": "mailto:ani@example.go.id"},
        {"mbox": "mailto:budi@example.go.id"},
    ]
    signed = with_changes(STATEMENT, actor={"objectType": "Group", "member": members})
    received = with_changes(STATEMENT, actor={"objectType": "Group", "member": members[::-1]})

    check(key, signed, received)


def test_email_domain_case_is_ignored_but_local_part_case_is_not(key: rsa.RSAPrivateKey) -> None:
    actor = STATEMENT["actor"]
    check(
        key,
        STATEMENT,
        with_changes(STATEMENT, actor={**actor, "mbox": "mailto:ani@BKPSDM.Example.go.id"}),
    )
    with pytest.raises(BadRequest, match=r"differ at actor\.mbox"):
        check(
            key,
            STATEMENT,
            with_changes(STATEMENT, actor={**actor, "mbox": "mailto:ANI@bkpsdm.example.go.id"}),
        )


def test_single_context_activity_equals_an_array_of_one(key: rsa.RSAPrivateKey) -> None:
    context = STATEMENT["context"]
    signed = with_changes(
        STATEMENT,
        context={
            **context,
            "contextActivities": {"parent": {"id": "http://example.go.id/programs/cpns"}},
        },
    )

    check(key, signed, STATEMENT)


def test_other_attachments_are_not_part_of_the_signed_statement(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(
        STATEMENT,
        attachments=[
            {
                "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
                "display": {"en-US": "Certificate"},
                "contentType": "application/pdf",
                "length": 3,
                "sha2": hashlib.sha256(b"pdf").hexdigest(),
            }
        ],
    )

    check(key, STATEMENT, received)


def test_duration_beyond_hundredths_is_ignored_under_2_0_but_not_under_1_0_3(
    key: rsa.RSAPrivateKey,
) -> None:
    """v2_0 4.2.7-Additional-Requirements-for-Data-Types.js signs 0.12S and sends 0.1237S."""
    signed = with_changes(STATEMENT, result={"duration": "P1DT12H36M0.12S"})
    received = with_changes(STATEMENT, result={"duration": "P1DT12H36M0.1237S"})

    check(key, signed, received, version=VERSION_2)
    with pytest.raises(BadRequest, match=r"differ at result\.duration"):
        check(key, signed, received, version=VERSION_1)
    with pytest.raises(BadRequest, match=r"differ at result\.duration"):
        check(key, signed, with_changes(STATEMENT, result={"duration": "P1DT12H36M0.13S"}))


def test_numbers_compare_by_value_but_never_equal_a_boolean(key: rsa.RSAPrivateKey) -> None:
    check(
        key,
        with_changes(STATEMENT, result={"score": {"raw": 1}}),
        with_changes(STATEMENT, result={"score": {"raw": 1.0}}),
    )
    with pytest.raises(BadRequest, match=r"differ at result\.completion"):
        check(
            key,
            with_changes(STATEMENT, result={"completion": True}),
            with_changes(STATEMENT, result={"completion": 1}),
        )


def test_extra_property_in_the_received_statement_is_a_difference(key: rsa.RSAPrivateKey) -> None:
    received = with_changes(STATEMENT, result={**STATEMENT["result"], "success": True})

    with pytest.raises(BadRequest, match=r"differ at result\.success"):
        check(key, STATEMENT, received)


def test_substatement_is_compared_by_the_same_rules(key: rsa.RSAPrivateKey) -> None:
    inner = {
        "objectType": "SubStatement",
        "actor": STATEMENT["actor"],
        "verb": STATEMENT["verb"],
        "object": STATEMENT["object"],
        "timestamp": "2024-03-01T09:00:00+07:00",
    }
    signed = with_changes(STATEMENT, object=inner)

    check(
        key,
        signed,
        with_changes(
            STATEMENT,
            object={
                **inner,
                "verb": {"id": STATEMENT["verb"]["id"]},
                "timestamp": "2024-03-01T02:00:00Z",
            },
        ),
    )
    with pytest.raises(BadRequest, match=r"differ at object\.object\.id"):
        check(
            key,
            signed,
            with_changes(STATEMENT, object={**inner, "object": {"id": "http://example.go.id/x"}}),
        )


# --- all signatures of a statement --------------------------------------------------------


def test_signature_attachments_are_those_with_the_signature_usage_type(
    key: rsa.RSAPrivateKey,
) -> None:
    statement, _ = signed_by(
        key, with_changes(STATEMENT, attachments=[{"usageType": "http://example.com/other"}])
    )

    assert [a["usageType"] for a in signature_attachments(statement)] == [SIGNATURE_USAGE_TYPE]
    assert signature_attachments(STATEMENT) == []


def test_signature_attachment_without_its_jws_is_rejected(key: rsa.RSAPrivateKey) -> None:
    """XAPI-00115: a signature usageType with no signature attached."""
    statement, _ = signed_by(key)

    with pytest.raises(BadRequest, match="no multipart part"):
        verify_statement_signatures(statement, {})


def test_statement_without_signature_needs_no_part() -> None:
    verify_statement_signatures(STATEMENT, {})


def test_suite_shaped_signed_request_passes_the_whole_pipeline(key: rsa.RSAPrivateKey) -> None:
    """helper.signStatement's body: leading CRLF, no x5c, no trailing CRLF."""
    unsigned = {k: v for k, v in STATEMENT.items() if k != "attachments"}
    statement, part = attach(unsigned, sign(unsigned, key))
    boundary = "-------------1234567890"
    raw = (
        f"\r\n--{boundary}\r\nContent-Type:application/json\r\n\r\n".encode()
        + json.dumps(statement).encode()
        + f"\r\n--{boundary}\r\nContent-Type:application/octet-stream\r\n"
        f"Content-Transfer-Encoding:binary\r\nX-Experience-API-Hash:{part.sha2}\r\n\r\n".encode()
        + part.content
        + f"\r\n--{boundary}--".encode()
    )

    parsed = parse_multipart(f"multipart/mixed; boundary={boundary}", raw)
    statements = [json.loads(parsed.statements_json)]
    check_attachments(statements, parsed.parts)
    verify_statement_signatures(statements[0], parsed.parts)
