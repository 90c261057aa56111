"""Webhook subscriptions: where progress events go, and the secret that signs them.

The signing secret has to be usable (the worker signs every delivery with it), so it cannot
be hashed like a client secret. It is encrypted with Fernet under a key derived from the
app's SECRET_KEY (HKDF-SHA256), so a copy of the database alone does not reveal it, and it
is shown to the operator once, when the subscription is made.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms_bridge.db import utcnow
from lms_bridge.models.programs import WebhookSubscription
from lms_bridge.programs.cohorts import get_cohort
from lms_bridge.programs.errors import WebhookInvalid

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label on generated secrets, not a secret)
HKDF_SALT = b"lms-bridge webhook secrets"


def _fernet(secret_key: str) -> Fernet:
    if not secret_key:
        raise WebhookInvalid(
            "SECRET_KEY kosong: setel LMS_BRIDGE_SECRET_KEY yang tetap agar rahasia webhook "
            "dapat dibuka kembali (set a stable LMS_BRIDGE_SECRET_KEY)"
        )
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=b"fernet").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(secret: str, secret_key: str) -> str:
    """The signing secret, encrypted for storage."""
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(token: str, secret_key: str) -> str:
    """The signing secret back (raises WebhookInvalid when SECRET_KEY changed)."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise WebhookInvalid(
            "rahasia webhook tidak dapat dibuka: SECRET_KEY berubah? (cannot decrypt the "
            "signing secret: did SECRET_KEY change?)"
        ) from error


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256(secret, timestamp + "." + body), hex."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@dataclass(frozen=True)
class CreatedSubscription:
    """A new subscription and its signing secret (shown only now)."""

    id: int
    url: str
    cohort_id: int | None
    secret: str


def add_subscription(
    session: Session, url: str, cohort_id: int | None, *, secret_key: str
) -> CreatedSubscription:
    """Subscribe ``url`` to one cohort's events (or every cohort's, ``cohort_id`` None)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise WebhookInvalid(f"URL {url!r} bukan http(s) (not an http(s) URL)")
    if cohort_id is not None:
        get_cohort(session, cohort_id)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        url=url,
        cohort_id=cohort_id,
        secret_encrypted=encrypt_secret(secret, secret_key),
        active=True,
        created_at=utcnow(),
    )
    session.add(subscription)
    session.flush()
    return CreatedSubscription(subscription.id, url, cohort_id, secret)


def list_subscriptions(session: Session) -> list[WebhookSubscription]:
    """Every subscription (never their secrets in clear)."""
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))
