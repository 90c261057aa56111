"""One typed settings object, read from ``LMS_BRIDGE_*`` environment variables.

Nothing reads the environment anywhere else: ``create_app(settings)`` receives this object, so
tests pass their own settings and nothing is built at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PREFIX = "LMS_BRIDGE_"
INSTANCE_DIR = Path.cwd() / "instance"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Field docs are the README's settings table."""

    database_url: str = f"sqlite:///{INSTANCE_DIR / 'lms_bridge.db'}"
    """SQLAlchemy URL. SQLite (default, embedded) or postgresql+psycopg://user@host/db."""
    secret_key: str = ""
    """Signs people's session cookies and `more` cursors; generated per process when empty."""
    statement_query_limit: int = 100
    """Statements per page when a query gives no `limit` (or `limit=0`)."""
    statement_query_max_limit: int = 1000
    """Largest page the LRS serves, whatever `limit` asks for."""
    max_body_bytes: int = 20 * 1024 * 1024
    """Largest request body accepted (413 above it)."""
    max_statements_per_batch: int = 1000
    """Largest array of statements accepted in one POST (413 above it)."""
    max_attachment_bytes: int = 10 * 1024 * 1024
    """Largest single attachment accepted (413 above it)."""
    default_xapi_version: str = "2.0.0"
    """Version named in the header of a response to a request that gave none (1.0.3 or 2.0.0)."""
    secret_hash_method: str = "scrypt:32768:8:1"  # noqa: S105 (a hash method, not a secret)
    """How client secrets are hashed (werkzeug method string); tests use a cheaper one."""
    policy_file: str = ""
    """The JP policy (YAML); empty = the default shipped in lms_bridge/policies/."""
    client_cache_seconds: int = 60
    """PostgreSQL: how long a process keeps a client it authenticated; every change to the
    clients table empties every process's cache at once (NOTIFY). 0 = read it every request."""
    rate_limit_storage_url: str = "memory://"
    """Where failed sign-ins are counted (Flask-Limiter storage). ``memory://`` counts per
    process (enough for the embedded single-machine setup); in production give every process
    one shared store, e.g. ``redis://127.0.0.1:6379/0``."""
    rate_limit_namespace: str = "lms_bridge"
    """Prefix of the counters in that storage (instances of one service share it)."""
    failed_auth_per_key: str = "10/minute"
    """Failed sign-ins allowed per client key before 429 (Flask-Limiter notation)."""
    failed_auth_per_address: str = "30/minute"
    """Failed sign-ins allowed per client address before 429."""
    credit_enabled: bool = True
    """Award JP as statements arrive (off only to measure the LRS alone)."""
    log_level: str = "INFO"
    """Python logging level of the service."""
    sql_echo: bool = False
    """Log every SQL statement (debugging only)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``LMS_BRIDGE_<FIELD>`` for each field; ``overrides`` win (tests use them)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = env.get(PREFIX + field.name.upper())
            if raw is None:
                continue
            values[field.name] = _coerce(field.name, field.type, raw)
        values.update(overrides)
        return cls(**values)


def current_settings() -> Settings:
    """The settings of the running app (services call this inside an app context)."""
    from flask import current_app  # noqa: PLC0415 (only services inside an app need it)

    settings: Settings = current_app.extensions["lms_bridge.settings"]
    return settings


def _coerce(name: str, type_name: object, raw: str) -> Any:
    variable = PREFIX + name.upper()
    if type_name in (int, "int"):
        try:
            value = int(raw)
        except ValueError as error:
            raise SettingsError(f"{variable} must be a whole number, not {raw!r}") from error
        if value < 0:
            raise SettingsError(f"{variable} must not be negative")
        return value
    if type_name in (bool, "bool"):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(f"{variable} must be true or false, not {raw!r}")
    return raw
