"""Every ``lms-bridge`` command of README, given bad input, prints one line and exits non-zero.

The commands run through ``lms_bridge.cli.main`` (the console script's group, app factory
included) with click's runner, on each backend; two run as the installed console script.
A result whose exception is not click's SystemExit is an error that escaped: a bug, which
these tests report instead of hiding.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Protocol

import pytest
from click.testing import CliRunner, Result
from flask import Flask

import lms_bridge.cli
from lms_bridge.credit.policy import DEFAULT_POLICY_FILE
from lms_bridge.people.records import FIRST_ROW_LINE

HEADING = "nip,name,agency,unit,position,email,employment\n"
ROW = "198503302010121002,Budi,Pemprov Lampung,BPSDM,,,PNS\n"
COHORT = [
    "cohorts",
    "create",
    "--program",
    "latsar-cpns",
    "--year",
    "2026",
    "--number",
    "1",
    "--name",
    "Angkatan I",
    "--organiser",
    "BPSDM",
]


def files(folder: Path) -> dict[str, Path]:
    """Bad inputs of every kind a person can hand a command."""
    policy = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    assert "      max_jp: 8 " in policy
    texts: dict[str, str | bytes] = {
        "broken.yaml": "rules: [\n",
        "bad-rule.yaml": policy.replace("      max_jp: 8 ", "      max_jp: -8 ", 1),
        "template.yaml": "kode: x\n",
        "broken.json": '{"actor":\n  {',
        "no-verb.json": '{"actor": {"mbox": "mailto:a@b.id"}, "object": {"id": "http://x.id/a"}}',
        "columns.csv": "nip,nama_lengkap\n1,Budi\n",
        "twice.csv": "nip,name,NIP\n1,Budi,2\n",
        "carriage.csv": HEADING + "198503302010121002,Bu\rdi,X,Y,,,PNS\n",
        "huge.csv": HEADING + "198503302010121002," + "x" * 140_000 + ",X,Y,,,PNS\n",
        "latin1.csv": (HEADING + ROW.replace("Budi", "Búdi")).encode("latin-1"),
    }
    paths = {}
    for name, text in texts.items():
        path = folder / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        paths[name] = path
    return paths


class Run(Protocol):
    def __call__(self, args: list[str], **env: str) -> Result: ...


@pytest.fixture
def run(app_context: Flask, database_url: str, tmp_path: Path) -> Run:
    """Run ``lms-bridge ARGS`` (file names in ARGS are replaced by their bad files)."""
    bad = files(tmp_path)
    base_env = {
        "LMS_BRIDGE_DATABASE_URL": database_url,
        "LMS_BRIDGE_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        "LMS_BRIDGE_SECRET_HASH_METHOD": "pbkdf2:sha256:1000",
    }

    def invoke(args: list[str], **env: str) -> Result:
        argv = [str(bad[arg]) if arg in bad else arg for arg in args]
        values = {key: str(bad[value]) if value in bad else value for key, value in env.items()}
        return CliRunner().invoke(lms_bridge.cli.main, argv, env={**base_env, **values})

    return invoke


def one_line_refusal(result: Result) -> str:
    """The single line a refused command printed (and nothing escaped as an exception)."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


CASES: list[tuple[str, list[str], dict[str, str], list[str]]] = [
    ("db upgrade: unknown revision", ["db", "upgrade", "nope"], {}, ["migrasi", "'nope'"]),
    ("clients create: no name", ["clients", "create"], {}, ["perintah tidak sah", "--name"]),
    (
        "clients create: unknown scope",
        ["clients", "create", "--name", "x", "--scope", "semua"],
        {},
        ["perintah tidak sah", "semua", "lms-bridge clients create --help"],
    ),
    (
        "clients create: bad key",
        ["clients", "create", "--name", "x", "--key", "a:b"],
        {},
        ["tidak boleh memuat ':'", "(a key cannot contain"],
    ),
    ("clients revoke: unknown key", ["clients", "revoke", "nobody"], {}, ["tidak ada klien"]),
    (
        "clients list: bad policy file",
        ["clients", "list"],
        {"LMS_BRIDGE_POLICY_FILE": "broken.yaml"},
        ["kebijakan tidak sah (invalid policy)", "broken.yaml: baris (line) 2"],
    ),
    (
        "clients demo: missing policy file",
        ["clients", "demo"],
        {"LMS_BRIDGE_POLICY_FILE": "/nonexistent/policy.yaml"},
        ["/nonexistent/policy.yaml", "tidak dapat dibaca (cannot read)"],
    ),
    (
        "people import: missing file",
        ["people", "import", "absent.csv"],
        {},
        ["perintah tidak sah", "absent.csv"],
    ),
    (
        "people import: unknown column",
        ["people", "import", "columns.csv"],
        {},
        ["columns.csv ditolak", "baris 1, kolom nama_lengkap: kolom tidak dikenal"],
    ),
    (
        "people import: a column twice",
        ["people", "import", "twice.csv"],
        {},
        ["twice.csv ditolak", "kolom NIP", "muncul dua kali"],
    ),
    (
        "people import: bare carriage return",
        ["people", "import", "carriage.csv"],
        {},
        ["carriage.csv ditolak", f"baris {FIRST_ROW_LINE}:", "carriage return"],
    ),
    (
        "people import: a cell over the csv field limit",
        ["people", "import", "huge.csv"],
        {},
        ["huge.csv ditolak", f"baris {FIRST_ROW_LINE}:", "128 KiB"],
    ),
    (
        "people import: not UTF-8",
        ["people", "import", "latin1.csv"],
        {},
        ["latin1.csv ditolak", f"baris {FIRST_ROW_LINE}:", "UTF-8"],
    ),
    (
        "identities import: unknown column",
        ["identities", "import", "columns.csv"],
        {},
        ["columns.csv ditolak", "kolom tidak dikenal"],
    ),
    (
        "identities import: bare carriage return",
        ["identities", "import", "carriage.csv"],
        {},
        ["carriage.csv ditolak", "carriage return"],
    ),
    (
        "policy check: YAML syntax",
        ["policy", "check", "broken.yaml"],
        {},
        ["broken.yaml: baris (line) 2, kolom (column) 1: bukan YAML yang sah"],
    ),
    (
        "policy check: not UTF-8",
        ["policy", "check", "latin1.csv"],
        {},
        ["kebijakan tidak sah", "latin1.csv: berkas harus ber-encoding UTF-8"],
    ),
    (
        "policy check: a rule's bad value",
        ["policy", "check", "bad-rule.yaml"],
        {},
        ["bad-rule.yaml: rules[elearning-duration].jp.max_jp:", "(baris/line "],
    ),
    (
        "credit explain: malformed JSON",
        ["credit", "explain", "broken.json"],
        {},
        ["broken.json, baris (line) 2", "bukan JSON yang sah (not valid JSON)"],
    ),
    (
        "credit explain: statement without verb",
        ["credit", "explain", "no-verb.json"],
        {},
        ["no-verb.json: bukan statement xAPI 1.0.3 yang sah", "statement.verb"],
    ),
    (
        "credit recompute: bad year",
        ["credit", "recompute", "--year", "dua-ribu"],
        {},
        ["perintah tidak sah", "--year"],
    ),
    (
        "credit recompute: bad policy rule",
        ["credit", "recompute"],
        {"LMS_BRIDGE_POLICY_FILE": "bad-rule.yaml"},
        ["kebijakan tidak sah", "rules[elearning-duration]"],
    ),
    (
        "programs import: bad template",
        ["programs", "import", "template.yaml"],
        {},
        ["templat tidak sah (invalid template)", "template.yaml", "kode: Unknown field"],
    ),
    (
        "programs import: unknown name",
        ["programs", "import", "latsar"],
        {},
        ["latsar: bukan berkas atau templat bawaan"],
    ),
    (
        "programs list: unusable database URL",
        ["programs", "list"],
        {"LMS_BRIDGE_DATABASE_URL": "mysql-ish://x"},
        ["LMS_BRIDGE_DATABASE_URL tidak dapat dipakai"],
    ),
    (
        "cohorts create: end before start",
        [*COHORT, "--start", "2026-04-16", "--end", "2026-02-02"],
        {},
        ["tanggal selesai sebelum tanggal mulai"],
    ),
    (
        "cohorts create: bad date",
        [*COHORT, "--start", "2026-13-01", "--end", "2026-02-02"],
        {},
        ["perintah tidak sah", "--start"],
    ),
    (
        "cohorts create: unknown program",
        [*COHORT, "--start", "2026-02-02", "--end", "2026-04-16"],
        {},
        ["program latsar-cpns tidak ditemukan"],
    ),
    (
        "cohorts list: bad log level",
        ["cohorts", "list"],
        {"LMS_BRIDGE_LOG_LEVEL": "LOUD"},
        ["LMS_BRIDGE_LOG_LEVEL harus", "'LOUD'"],
    ),
    (
        "cohorts enroll: unknown cohort",
        ["cohorts", "enroll", "999", "columns.csv"],
        {},
        ["angkatan 999 tidak ditemukan (cohort not found)"],
    ),
    (
        "cohorts enroll: bare carriage return",
        ["cohorts", "enroll", "999", "carriage.csv"],
        {},
        ["carriage.csv ditolak", "carriage return"],
    ),
    (
        "webhooks add: neither --cohort nor --all",
        ["webhooks", "add", "--url", "https://lms.example.go.id/hook"],
        {},
        ["pilih salah satu"],
    ),
    (
        "webhooks add: not an http URL",
        ["webhooks", "add", "--url", "ftp://lms.example.go.id/hook", "--all"],
        {},
        ["bukan http(s)"],
    ),
    (
        "webhooks add: unknown cohort",
        ["webhooks", "add", "--url", "https://lms.example.go.id/hook", "--cohort", "9"],
        {},
        ["angkatan 9 tidak ditemukan"],
    ),
    (
        "webhooks list: bad default version",
        ["webhooks", "list"],
        {"LMS_BRIDGE_DEFAULT_XAPI_VERSION": "3.0.0"},
        ["LMS_BRIDGE_DEFAULT_XAPI_VERSION harus salah satu dari 1.0.3, 2.0.0"],
    ),
    (
        "deliver: bad option",
        ["deliver", "--max-attempts", "0"],
        {},
        ["perintah tidak sah", "--max-attempts"],
    ),
    (
        "deliver: a number that is not one",
        ["deliver", "--once"],
        {"LMS_BRIDGE_MAX_BODY_BYTES": "20MB"},
        ["LMS_BRIDGE_MAX_BODY_BYTES harus bilangan bulat, bukan '20MB'"],
    ),
    (
        "deliver: a flag that is not one",
        ["deliver", "--status"],
        {"LMS_BRIDGE_CREDIT_ENABLED": "mungkin"},
        ["LMS_BRIDGE_CREDIT_ENABLED harus true atau false"],
    ),
    (
        "--help: bad policy file",
        ["--help"],
        {"LMS_BRIDGE_POLICY_FILE": "bad-rule.yaml"},
        ["kebijakan tidak sah"],
    ),
    (
        "no such command",
        ["kredit"],
        {},
        ["perintah tidak sah", "kredit"],
    ),
]


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [pytest.param(args, env, expected, id=name) for name, args, env, expected in CASES],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    run: Run, args: list[str], env: dict[str, str], expected: list[str]
) -> None:
    line = one_line_refusal(run(args, **env))
    assert line.startswith("Error: ")
    for text in expected:
        assert text in line


def test_an_unmigrated_database_says_to_run_db_upgrade(run: Run, tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    line = one_line_refusal(run(["clients", "list"], LMS_BRIDGE_DATABASE_URL=empty))
    assert "jalankan 'lms-bridge db upgrade'" in line


def test_an_unreachable_database_is_one_line(run: Run) -> None:
    line = one_line_refusal(
        run(["clients", "list"], LMS_BRIDGE_DATABASE_URL="postgresql://postgres@127.0.0.1:1/x")
    )
    assert "periksa LMS_BRIDGE_DATABASE_URL" in line


def test_an_error_that_is_a_bug_is_not_hidden(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_session: object) -> list[object]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(lms_bridge.cli, "list_clients", broken)
    result = run(["clients", "list"])
    assert isinstance(result.exception, RuntimeError)


def test_the_installed_console_script_prints_one_line(tmp_path: Path, database_url: str) -> None:
    """The real ``lms-bridge`` executable: a bad policy and a malformed statement file."""
    bad = files(tmp_path)
    script = Path(sys.executable).with_name("lms-bridge")
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("LMS_BRIDGE_")},
        "LMS_BRIDGE_DATABASE_URL": database_url,
        "LMS_BRIDGE_SECRET_KEY_FILE": str(tmp_path / "secret_key"),
    }
    for args, extra in (
        (["clients", "list"], {"LMS_BRIDGE_POLICY_FILE": str(bad["bad-rule.yaml"])}),
        (["credit", "explain", str(bad["no-verb.json"])], {}),
    ):
        done = subprocess.run(
            [str(script), *args],
            env={**env, **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        assert "Traceback" not in done.stderr
        assert len(done.stderr.splitlines()) == 1, done.stderr
