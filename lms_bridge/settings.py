"""One typed settings object, read from ``LMS_BRIDGE_*`` environment variables.

Nothing reads the environment anywhere else: ``create_app(settings)`` receives this object, so
tests pass their own settings and nothing is built at import time.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PREFIX = "LMS_BRIDGE_"
LOG_FORMATS = ("json", "text")
TRANSACTION_POOLER = "pgbouncer-transaction"
DATABASE_POOLERS = ("", TRANSACTION_POOLER)
INSTANCE_DIR = Path.cwd() / "instance"
XAPI_VERSIONS = ("1.0.3", "2.0.0")
SECRET_KEY_BYTES = 48


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Field docs are the README's settings table."""

    database_url: str = f"sqlite:///{INSTANCE_DIR / 'lms_bridge.db'}"
    """SQLAlchemy URL. SQLite (default, embedded) or postgresql+psycopg://user@host/db."""
    secret_key: str = ""
    """Signs people's session cookies and `more` tokens, encrypts webhook secrets; one key
    for every process. Unset: the key kept in `secret_key_file` (created there, mode 0600,
    when absent)."""
    secret_key_file: str = str(INSTANCE_DIR / "secret_key")
    """Where the key is kept when LMS_BRIDGE_SECRET_KEY is unset."""
    statement_query_limit: int = 100
    """Statements per page when a query gives no `limit` (or `limit=0`)."""
    statement_query_max_limit: int = 1000
    """Largest page the LRS serves, whatever `limit` or a `more` token asks for."""
    statement_more_token_seconds: int = 24 * 60 * 60
    """How long a `more` token (signed with the secret key) stays valid; xAPI asks for 24 h."""
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
    database_pooler: str = ""
    """What stands between the service and PostgreSQL: empty (nothing, or a pooler in session
    mode) or `pgbouncer-transaction` (PgBouncer in transaction-pooling mode): then no
    statement is ever prepared on the server (PgBouncer before 1.21 hands each transaction to
    any server connection, where a statement prepared on another does not exist), and the
    client cache listens only over LMS_BRIDGE_LISTEN_DATABASE_URL."""
    listen_database_url: str = ""
    """A direct connection (not through a transaction pooler) for the client cache's LISTEN;
    empty: the app's database URL, except behind `pgbouncer-transaction`, where a LISTEN
    cannot work and the cache is then off (every request reads its client row)."""
    client_cache_seconds: int = 60
    """PostgreSQL: how long a process keeps a client it authenticated; every change to the
    clients table empties every process's cache at once (NOTIFY). 0 = read it every request."""
    signin_max_failures: int = 5
    """Failed sign-ins to one account within the window before it is locked out."""
    signin_address_max_failures: int = 30
    """Failed sign-ins from one address (to any accounts) within the window before it is
    locked out."""
    signin_window_seconds: int = 900
    """The sign-in lock-out window: failures older than this no longer count."""
    session_cookie_secure: bool = False
    """Send the pages' session cookie over HTTPS only (turn on behind TLS)."""
    proxy_hops: int = 0
    """Reverse proxies in front of the service (nginx: 1) whose X-Forwarded-For and
    X-Forwarded-Proto are trusted, so sign-in limits count each person's own address
    instead of the proxy's. 0: none (the headers are ignored)."""
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
    oidc_issuer: str = ""
    """Single sign-on: the OpenID Connect provider's issuer URL (its discovery document is
    `<issuer>/.well-known/openid-configuration`), e.g. an agency's Keycloak realm. Empty: SSO
    is off and the sign-in page shows no SSO button."""
    oidc_client_id: str = ""
    """The client id this service has at the provider (required with LMS_BRIDGE_OIDC_ISSUER)."""
    oidc_client_secret: str = ""
    """The client's secret at the provider (confidential client)."""
    oidc_client_secret_file: str = ""
    """A file whose first line is that secret, used when LMS_BRIDGE_OIDC_CLIENT_SECRET is unset."""
    oidc_nip_claim: str = "nip"
    """The ID token claim carrying the person's NIP, matched to an account's NIP."""
    oidc_email_claim: str = "email"
    """The claim carrying the e-mail, matched to an account's e-mail only when the provider says
    `email_verified` is true."""
    oidc_scope: str = "openid email profile"
    """The scopes asked of the provider (`openid` is required)."""
    oidc_label: str = ""
    """The SSO button's text, e.g. `Masuk dengan SSO ASN`; empty: "Sign in with SSO",
    translated."""
    credit_enabled: bool = True
    """Award JP as statements arrive (off only to measure the LRS alone)."""
    xapi_cors_origins: str = "*"
    """Origins whose pages may call /xapi from a browser: `*` (any; answered as `*`, never
    echoed) or a comma-separated list. xAPI content (SCORM/cmi5 packages) usually runs on
    another origin than the LRS and sends the Authorization header itself, without cookies."""
    api_cors_origins: str = ""
    """Origins whose pages may call /api/v1 from a browser (comma-separated); none by
    default: the API serves scripts and dashboards on the server side, and names people."""
    log_level: str = "INFO"
    """Python logging level of the service."""
    log_format: str = "json"
    """`json`: one JSON object per log line, with the request's id (X-Request-ID); `text`:
    plain lines for reading in a terminal."""
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
        if not values.get("secret_key"):
            key_file = Path(values.get("secret_key_file") or cls.secret_key_file)
            values["secret_key"] = kept_secret_key(key_file)
        if values.get("oidc_client_secret_file") and not values.get("oidc_client_secret"):
            values["oidc_client_secret"] = _read_secret_file(
                Path(values["oidc_client_secret_file"]), PREFIX + "OIDC_CLIENT_SECRET_FILE"
            )
        return cls(**values)

    def __post_init__(self) -> None:
        if self.default_xapi_version not in XAPI_VERSIONS:
            raise SettingsError(
                f"{PREFIX}DEFAULT_XAPI_VERSION harus salah satu dari {', '.join(XAPI_VERSIONS)}, "
                f"bukan {self.default_xapi_version!r} (must be one of them)"
            )
        if self.database_pooler not in DATABASE_POOLERS:
            raise SettingsError(
                f"{PREFIX}DATABASE_POOLER harus kosong atau pgbouncer-transaction, bukan "
                f"{self.database_pooler!r} (must be empty or pgbouncer-transaction)"
            )
        if self.log_format not in LOG_FORMATS:
            raise SettingsError(
                f"{PREFIX}LOG_FORMAT harus json atau text, bukan {self.log_format!r} "
                "(must be json or text)"
            )
        if self.oidc_issuer and not self.oidc_client_id:
            raise SettingsError(
                f"{PREFIX}OIDC_CLIENT_ID wajib bila {PREFIX}OIDC_ISSUER disetel "
                f"(is required when {PREFIX}OIDC_ISSUER is set)"
            )
        if self.oidc_issuer and "openid" not in self.oidc_scope.split():
            raise SettingsError(f"{PREFIX}OIDC_SCOPE harus memuat openid (must include openid)")
        if not isinstance(logging.getLevelName(self.log_level.upper()), int):
            raise SettingsError(
                f"{PREFIX}LOG_LEVEL harus DEBUG, INFO, WARNING, ERROR atau CRITICAL, bukan "
                f"{self.log_level!r} (must be a logging level)"
            )


def kept_secret_key(path: Path) -> str:
    """The key in ``path``, created there (mode 0600) by whichever process comes first.

    Every gunicorn worker and every CLI command must share one key (webhook secrets are
    encrypted with it; people's session cookies will be signed with it), so a key made up
    per process will not do. The key is written to a private temporary file and linked into
    place, which fails if another process got there first: then its key is the one read.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(SECRET_KEY_BYTES) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
        return _read_key(path)
    except OSError as error:
        raise SettingsError(
            f"kunci rahasia tidak dapat disimpan di {path} (cannot keep the secret key there: "
            f"{error.strerror}); setel {PREFIX}SECRET_KEY atau {PREFIX}SECRET_KEY_FILE "
            f"(set {PREFIX}SECRET_KEY or {PREFIX}SECRET_KEY_FILE)"
        ) from error


def _read_key(path: Path) -> str:
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(
            f"{path}: kunci rahasia tidak dapat dibaca (the secret key cannot be read): {error}"
        ) from error
    if not key:
        raise SettingsError(f"{path}: berkas kunci rahasia kosong (the secret key file is empty)")
    return key


def _read_secret_file(path: Path, variable: str) -> str:
    """The first line of a secret file named by ``variable``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(
            f"{variable}: {path} tidak dapat dibaca (cannot be read): {error}"
        ) from error
    if not lines or not lines[0].strip():
        raise SettingsError(f"{variable}: {path} kosong (is empty)")
    return lines[0].strip()


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
            raise SettingsError(
                f"{variable} harus bilangan bulat, bukan {raw!r} (must be a whole number)"
            ) from error
        if value < 0:
            raise SettingsError(f"{variable} tidak boleh negatif (must not be negative)")
        return value
    if type_name in (bool, "bool"):
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise SettingsError(
            f"{variable} harus true atau false, bukan {raw!r} (must be true or false)"
        )
    return raw
