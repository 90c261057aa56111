"""Settings: values that do not parse are refused naming the variable, and the secret key is
one key for every process when LMS_BRIDGE_SECRET_KEY is unset."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

import lms_bridge.cli
from lms_bridge.db import unit_of_work
from lms_bridge.models.programs import WebhookSubscription
from lms_bridge.programs.webhooks import decrypt_secret
from lms_bridge.settings import Settings, SettingsError, kept_secret_key


def test_the_secret_key_is_created_once_private_and_then_read(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "secret_key"
    environ = {"LMS_BRIDGE_SECRET_KEY_FILE": str(path)}
    first = Settings.from_env(environ).secret_key
    assert len(first) >= 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings.from_env(environ).secret_key == first
    assert list(path.parent.iterdir()) == [path], "no draft left behind"


def test_an_explicit_secret_key_wins_and_no_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    environ = {
        "LMS_BRIDGE_SECRET_KEY": "from-a-secret-store",
        "LMS_BRIDGE_SECRET_KEY_FILE": str(path),
    }
    assert Settings.from_env(environ).secret_key == "from-a-secret-store"
    assert not path.exists()


def test_processes_starting_together_share_one_key(tmp_path: Path) -> None:
    """As gunicorn's workers do: whichever process links its key first, all read that one."""
    path = tmp_path / "secret_key"
    code = (
        "import pathlib, lms_bridge.settings as s; "
        f"print(s.kept_secret_key(pathlib.Path({str(path)!r})))"
    )
    started = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in started}
    assert keys == {path.read_text().strip()}


def test_a_key_file_that_cannot_be_kept_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="setel LMS_BRIDGE_SECRET_KEY"):
        kept_secret_key(Path("/proc/lms-bridge/secret_key"))  # nobody may create files there
    (tmp_path / "secret_key").mkdir()
    with pytest.raises(SettingsError, match="tidak dapat dibaca"):
        kept_secret_key(tmp_path / "secret_key")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(SettingsError, match="kosong"):
        kept_secret_key(tmp_path / "empty")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LMS_BRIDGE_MAX_BODY_BYTES", "20MB", "harus bilangan bulat"),
        ("LMS_BRIDGE_STATEMENT_QUERY_LIMIT", "-1", "tidak boleh negatif"),
        ("LMS_BRIDGE_SQL_ECHO", "kadang", "harus true atau false"),
        ("LMS_BRIDGE_DEFAULT_XAPI_VERSION", "1.0", "harus salah satu dari 1.0.3, 2.0.0"),
        ("LMS_BRIDGE_LOG_LEVEL", "verbose", "harus DEBUG, INFO"),
        ("LMS_BRIDGE_LOG_FORMAT", "xml", "harus json atau text"),
        ("LMS_BRIDGE_DATABASE_POOLER", "pgbouncer", "harus kosong atau pgbouncer-transaction"),
    ],
)
def test_a_value_that_does_not_parse_names_its_variable(
    variable: str, value: str, message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value, "LMS_BRIDGE_SECRET_KEY": "k"})
    assert str(caught.value).startswith(variable)
    assert message in str(caught.value)


def test_webhooks_add_works_on_the_embedded_default_and_deliver_opens_the_secret(
    app_context: Flask, database_url: str, tmp_path: Path
) -> None:
    """README's `webhooks add` with no LMS_BRIDGE_SECRET_KEY; a later command (another
    process in real life) decrypts what it stored, because both read the kept key."""
    env = {
        "LMS_BRIDGE_DATABASE_URL": database_url,
        "LMS_BRIDGE_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    added = CliRunner().invoke(
        lms_bridge.cli.main,
        ["webhooks", "add", "--url", "https://lms.example.go.id/hook", "--all"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    shown = added.output.split("rahasia penandatangan (signing secret): ")[1].split()[0]
    with unit_of_work(writes=False) as session:
        [subscription] = session.query(WebhookSubscription).all()
        stored = subscription.secret_encrypted
    assert decrypt_secret(stored, Settings.from_env(env).secret_key) == shown
    status = CliRunner().invoke(lms_bridge.cli.main, ["deliver", "--once"], env=env)
    assert status.exit_code == 0, status.output


def test_single_sign_on_needs_a_client_id_and_reads_its_secret_file(tmp_path: Path) -> None:
    base = {"LMS_BRIDGE_SECRET_KEY": "k", "LMS_BRIDGE_OIDC_ISSUER": "https://sso.example.id"}
    with pytest.raises(SettingsError, match="OIDC_CLIENT_ID"):
        Settings.from_env(base)
    secret = tmp_path / "oidc_secret"
    secret.write_text("rahasia-klien\n", encoding="utf-8")
    settings = Settings.from_env(
        {
            **base,
            "LMS_BRIDGE_OIDC_CLIENT_ID": "lms-bridge",
            "LMS_BRIDGE_OIDC_CLIENT_SECRET_FILE": str(secret),
        }
    )
    assert settings.oidc_client_secret == "rahasia-klien"
    with pytest.raises(SettingsError, match="OIDC_CLIENT_SECRET_FILE"):
        Settings.from_env(
            {
                **base,
                "LMS_BRIDGE_OIDC_CLIENT_ID": "lms-bridge",
                "LMS_BRIDGE_OIDC_CLIENT_SECRET_FILE": str(tmp_path / "absent"),
            }
        )
