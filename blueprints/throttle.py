"""Failed sign-ins limited per client key and per address, with Flask-Limiter.

Only failures count: a valid client is never slowed by someone else's wrong secrets. Once
a key or an address has failed more than its limit within the window, further attempts on
it are answered 429 with ``Retry-After`` before any secret is hashed, so an attacker costs
the server a counter lookup instead of ~90 ms of scrypt. Credentials a process has already
verified (its short-lived cache of verified secrets) still go through while their key is
blocked: the client that owns the key keeps working while someone guesses at it.

The counters live in Flask-Limiter's storage: ``memory://`` (each process counts alone,
fine for the embedded single-machine setup) unless ``LMS_BRIDGE_RATE_LIMIT_STORAGE_URL``
names a shared one (``redis://…``), which every process and every instance then shares.
The same :class:`FailedAttempts` serves any other sign-in (the people's pages) through
:func:`failed_attempts`.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from lms_bridge.settings import PREFIX, Settings, SettingsError
from xapi.errors import TooManyRequests

EXTENSION = "lms_bridge.throttle"


@dataclass(frozen=True)
class FailedAttempts:
    """Counts failed attempts per key and per address in the limiter's storage."""

    limiter: Limiter
    per_key: RateLimitItem
    per_address: RateLimitItem
    namespace: str

    def _counters(self, key: str, address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        # Keys are whatever a caller sends: stored as a digest, of bounded length.
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return [
            (self.per_key, (self.namespace, "failed-auth", "key", digest)),
            (self.per_address, (self.namespace, "failed-auth", "address", address)),
        ]

    def admit(self, key: str, address: str) -> None:
        """Raise 429 (with the seconds to wait) if the key or the address is blocked."""
        strategy = self.limiter.limiter
        for limit, identifiers in self._counters(key, address):
            if not strategy.test(limit, *identifiers):
                reset_at = strategy.get_window_stats(limit, *identifiers).reset_time
                wait = max(1, math.ceil(reset_at - time.time()))
                raise TooManyRequests(
                    "terlalu banyak percobaan masuk yang gagal; coba lagi nanti "
                    "(too many failed sign-in attempts; try again later)",
                    retry_after=wait,
                )

    def record(self, key: str, address: str) -> None:
        """Count one failed attempt against the key and the address."""
        strategy = self.limiter.limiter
        for limit, identifiers in self._counters(key, address):
            strategy.hit(limit, *identifiers)

    def reset(self) -> None:
        """Forget every count (tests; the embedded storage only)."""
        self.limiter.reset()


def init_throttle(app: Flask, settings: Settings) -> FailedAttempts:
    """Create the app's limiter on the configured storage."""
    limiter = Limiter(
        get_remote_address,
        storage_uri=settings.rate_limit_storage_url,
        strategy="moving-window",
        default_limits=[],
    )
    limiter.init_app(app)
    attempts = FailedAttempts(
        limiter=limiter,
        per_key=_limit("failed_auth_per_key", settings.failed_auth_per_key),
        per_address=_limit("failed_auth_per_address", settings.failed_auth_per_address),
        namespace=settings.rate_limit_namespace,
    )
    app.extensions[EXTENSION] = attempts
    return attempts


def _limit(name: str, value: str) -> RateLimitItem:
    try:
        return parse(value)
    except ValueError as error:
        raise SettingsError(
            f"{PREFIX}{name.upper()} must be a limit like '10/minute', not {value!r}"
        ) from error


def failed_attempts() -> FailedAttempts:
    """The running app's counter of failed attempts."""
    attempts: FailedAttempts = current_app.extensions[EXTENSION]
    return attempts


def client_address() -> str:
    """The address a request came from, as the limiter sees it."""
    return get_remote_address()
