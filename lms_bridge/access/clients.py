"""LMS clients authenticate with HTTP Basic; their secrets are stored as scrypt hashes.

A scrypt check costs tens of milliseconds by design, too much for every statement POST, so a
process remembers (for a short while) which key/secret pairs it has already verified, keyed
by an HMAC of the secret under a random per-process key: the plain secret is never kept. On
PostgreSQL the authenticated client is also kept, until the ``clients`` table changes
(:mod:`lms_bridge.access.client_cache`): a revocation reaches every process by NOTIFY within
milliseconds. On SQLite the row is read on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from sqlalchemy import URL, Engine, make_url, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from lms_bridge.access import api_scopes
from lms_bridge.access.client_cache import ClientCache, cache_for, forget_clients
from lms_bridge.access.queries import CLIENT_BY_KEY
from lms_bridge.db import sqlalchemy_url, unit_of_work, utcnow
from lms_bridge.models import Client
from lms_bridge.settings import TRANSACTION_POOLER, Settings
from lms_bridge.sql.driver import driver_rows
from xapi import scopes as xapi_scopes
from xapi.identifiers import agent_key

VERIFIED_TTL_SECONDS = 300.0
_PROCESS_KEY = secrets.token_bytes(32)
_verified: dict[tuple[str, str, bytes], float] = {}
_verified_lock = threading.Lock()

KNOWN_SCOPES = xapi_scopes.KNOWN | api_scopes.KNOWN
"""Every scope a client can be given: the xAPI spec's and the JSON API's."""


class ClientError(ValueError):
    """A client cannot be created, found or revoked; the message says why."""


@dataclass(frozen=True)
class CreatedClient:
    """What ``clients create`` shows once: the only time the secret is visible."""

    id: int
    name: str
    key: str
    secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class AuthenticatedClient:
    """The caller of a request, as the HTTP layer and services need it."""

    id: int
    name: str
    scopes: frozenset[str]
    authority: dict[str, object]
    authority_key: str


def _authority_for(name: str, key: str) -> dict[str, object]:
    """The xAPI Agent that stands for this client as ``authority`` (Data 2.4.9)."""
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": "urn:lms-bridge:clients", "name": key},
    }


def create_client(
    name: str,
    *,
    hash_method: str,
    key: str | None = None,
    secret: str | None = None,
    scopes: tuple[str, ...] | list[str] = (),
) -> CreatedClient:
    """Create a client; key and secret are generated when not given, the secret stored
    hashed with ``hash_method`` (the ``secret_hash_method`` setting)."""
    if not name.strip():
        raise ClientError("klien perlu nama (a client needs a name)")
    chosen_scopes = tuple(dict.fromkeys(scopes)) or xapi_scopes.DEFAULT
    unknown = set(chosen_scopes) - KNOWN_SCOPES
    if unknown:
        raise ClientError(
            f"scope tidak dikenal (unknown scope(s)) {', '.join(sorted(unknown))}; "
            f"yang dikenal (known): {', '.join(sorted(KNOWN_SCOPES))}"
        )
    key = key or secrets.token_urlsafe(15)
    secret = secret or secrets.token_urlsafe(30)
    if ":" in key:
        raise ClientError(
            "key tidak boleh memuat ':' (a key cannot contain ':', HTTP Basic separates key "
            "and secret by it)"
        )
    with unit_of_work() as session:
        if session.scalar(select(Client.id).where(Client.key == key)) is not None:
            raise ClientError(f"klien dengan key {key!r} sudah ada (a client with this key exists)")
        client = Client(
            name=name.strip(),
            key=key,
            secret_hash=generate_password_hash(secret, method=hash_method),
            scopes=list(chosen_scopes),
            authority=_authority_for(name.strip(), key),
            created_at=utcnow(),
        )
        session.add(client)
        session.flush()
        client_id = client.id
    forget_clients()
    return CreatedClient(client_id, name.strip(), key, secret, chosen_scopes)


def reset_client(
    name: str, *, key: str, scopes: tuple[str, ...] | list[str], hash_method: str
) -> CreatedClient:
    """A fresh secret (and these scopes) for ``key``, creating the client if it is missing.

    The row keeps its id, so statements already stored under it keep their client and a
    server that cached the row stays consistent (it only refuses the new secret until its
    cache expires).
    """
    with unit_of_work() as session:
        client = session.scalar(select(Client).where(Client.key == key))
        if client is not None:
            secret = secrets.token_urlsafe(30)
            client.secret_hash = generate_password_hash(secret, method=hash_method)
            client.scopes = list(scopes)
            client.revoked_at = None
            client_id = client.id
    forget_clients()
    if client is None:
        return create_client(name, key=key, scopes=scopes, hash_method=hash_method)
    return CreatedClient(client_id, name, key, secret, tuple(scopes))


def list_clients(session: Session) -> list[Client]:
    """Every client, revoked ones included (they show their revocation time)."""
    return list(session.scalars(select(Client).order_by(Client.id)))


def revoke_client(key: str) -> None:
    """Revoke a client: its next request is refused."""
    with unit_of_work() as session:
        client = session.scalar(select(Client).where(Client.key == key))
        if client is None:
            raise ClientError(f"tidak ada klien dengan key {key!r} (no client with this key)")
        if client.revoked_at is None:
            client.revoked_at = utcnow()
    forget_clients()


def _fingerprint(secret: str) -> bytes:
    return hmac.new(_PROCESS_KEY, secret.encode(), hashlib.sha256).digest()


def _listener_connection(engine: Engine, url: URL) -> psycopg.Connection[tuple[object, ...]]:
    """A connection of its own for the change listener (never prepares: nothing it runs is
    worth it, and it must not break if it is pointed at a pooler by mistake)."""
    arguments, options = engine.dialect.create_connect_args(url)
    return psycopg.connect(*arguments, **options, autocommit=True, prepare_threshold=None)


def _client_cache(session: Session, settings: Settings) -> ClientCache | None:
    """This process's cache of authenticated clients, or None where there is none.

    Behind PgBouncer's transaction pooling a LISTEN is held by whichever server connection
    ran it, then handed to other clients: notices would never arrive, and a cache that
    hears nothing would keep a revoked client. So there the listener needs its own direct
    URL (LMS_BRIDGE_LISTEN_DATABASE_URL), or there is no cache.
    """
    engine = session.get_bind().engine
    if settings.client_cache_seconds <= 0 or engine.dialect.name != "postgresql":
        return None
    if settings.listen_database_url:
        url = make_url(sqlalchemy_url(settings.listen_database_url))
    elif settings.database_pooler == TRANSACTION_POOLER:
        return None
    else:
        url = engine.url
    return cache_for(
        url.render_as_string(hide_password=False),
        settings.client_cache_seconds,
        lambda: _listener_connection(engine, url),
    )


def _no_check() -> None:
    return None


def authenticate_client(
    session: Session,
    key: str,
    secret: str,
    *,
    settings: Settings,
    before_hashing: Callable[[], None] = _no_check,
) -> AuthenticatedClient | None:
    """The client these credentials belong to, or ``None`` when they are wrong or revoked.

    ``before_hashing`` runs before a secret is hashed (not for credentials verified
    recently): the HTTP layer refuses blocked callers there (it may raise).
    """
    fingerprint = _fingerprint(secret)
    cache = _client_cache(session, settings)
    generation = None
    if cache is not None:
        cached = cache.lookup((key, fingerprint))
        if isinstance(cached, AuthenticatedClient):
            return cached
        generation = cache.generation()
    client = _read_and_verify(
        session, key, secret, fingerprint, settings.secret_hash_method, before_hashing
    )
    if client is not None and cache is not None:
        cache.store((key, fingerprint), client, generation)
    return client


_decoy_hashes: dict[str, str] = {}
_decoy_lock = threading.Lock()


def _decoy_hash(method: str) -> str:
    """A hash of a random secret made with the configured method, once per process.

    An unknown (or revoked) key is checked against it, so it costs the same hash check as
    a wrong secret: otherwise a ~2 ms answer against ~90 ms of scrypt tells an attacker
    which keys exist.
    """
    with _decoy_lock:
        if method not in _decoy_hashes:
            _decoy_hashes[method] = generate_password_hash(secrets.token_urlsafe(30), method=method)
        return _decoy_hashes[method]


def _read_and_verify(  # noqa: PLR0917  (one private step of authenticate_client)
    session: Session,
    key: str,
    secret: str,
    fingerprint: bytes,
    hash_method: str,
    before_hashing: Callable[[], None],
) -> AuthenticatedClient | None:
    rows = driver_rows(session, CLIENT_BY_KEY, {"key": key})
    if not rows:
        decoy = _decoy_hash(hash_method)
        before_hashing()
        check_password_hash(decoy, secret)
        return None
    client_id, name, secret_hash, scopes, authority = rows[0]
    # Keyed by the stored hash too: once a secret is reset, what was verified against the
    # old hash no longer counts, in every process.
    cache_key = (key, secret_hash, fingerprint)
    now = time.monotonic()
    with _verified_lock:
        verified_at = _verified.get(cache_key)
    if verified_at is None or now - verified_at > VERIFIED_TTL_SECONDS:
        before_hashing()
        if not check_password_hash(secret_hash, secret):
            return None
        with _verified_lock:
            _verified[cache_key] = now
    return AuthenticatedClient(
        id=client_id,
        name=name,
        scopes=frozenset(scopes),
        authority=dict(authority),
        authority_key=agent_key(authority) or "",
    )
