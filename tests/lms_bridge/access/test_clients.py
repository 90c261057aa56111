"""Authenticating an LMS client: an unknown key costs the same hash check as a wrong secret,
so the time an answer takes does not tell which keys exist."""

from __future__ import annotations

import statistics
import time
from dataclasses import replace

import pytest
from flask import Flask

from lms_bridge.access import CreatedClient, clients
from lms_bridge.db import db
from lms_bridge.settings import current_settings


def test_an_unknown_key_runs_the_same_hash_check_as_a_wrong_secret(
    app_context: Flask, lms_client: CreatedClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[tuple[str, str]] = []
    real = clients.check_password_hash

    def recording(stored_hash: str, secret: str) -> bool:
        checked.append((stored_hash.split("$", 1)[0], secret))
        return real(stored_hash, secret)

    monkeypatch.setattr(clients, "check_password_hash", recording)
    assert (
        clients.authenticate_client(
            db.session(), lms_client.key, "wrong secret", settings=current_settings()
        )
        is None
    )
    assert (
        clients.authenticate_client(
            db.session(), "no-such-key", "wrong secret", settings=current_settings()
        )
        is None
    )
    method = "pbkdf2:sha256:1000"  # the test settings' method
    assert checked == [(method, "wrong secret"), (method, "wrong secret")]


def test_an_unknown_key_takes_as_long_as_a_wrong_secret(
    app_context: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Coarse timing with a real cost: the median paired ratio within a factor of two (it was
    ~40 times before unknown keys were checked against a decoy hash)."""
    settings = app_context.extensions["lms_bridge.settings"]
    costly = replace(settings, secret_hash_method="scrypt:8192:8:1")
    monkeypatch.setitem(app_context.extensions, "lms_bridge.settings", costly)
    created = clients.create_client(
        "timing", key="timing-key", secret="right", hash_method=costly.secret_hash_method
    )

    def seconds(key: str) -> float:
        started = time.perf_counter()
        assert (
            clients.authenticate_client(db.session(), key, "wrong", settings=current_settings())
            is None
        )
        return time.perf_counter() - started

    clients.authenticate_client(
        db.session(), "warm-up-unknown", "wrong", settings=current_settings()
    )  # the decoy hash is made once
    # Pairs taken one right after the other, so a machine that slows down or speeds up
    # between them (shared hosts do) moves both sides of each ratio alike.
    ratios = [seconds("no-such-key") / seconds(created.key) for _ in range(11)]
    assert 0.5 < statistics.median(ratios) < 2.0, ratios
