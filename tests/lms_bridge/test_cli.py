"""`people import` and `identities import`: counts on success, every problem on rejection."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pytest
from flask import Flask

import lms_bridge.cli
from lms_bridge.db import db
from lms_bridge.models import ActorMapping, Person
from lms_bridge.people import get_person
from tests.conftest import count_rows

BUDI = "198503302010121002"
SITI = "199001152015032001"
OTHER_LMS = "https://elearning.example.ac.id"
HEADING = "nip,name,agency,unit,position,email,employment\n"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


@pytest.fixture
def rematched(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The actor keys each call of rematch_actors (as the CLI imports it) received."""
    calls: list[set[str]] = []

    def rematch_actors(actor_keys: Collection[str], _policy: object) -> int:
        calls.append(set(actor_keys))
        return len(actor_keys)

    monkeypatch.setattr(lms_bridge.cli, "rematch_actors", rematch_actors)
    return calls


def test_people_import_prints_the_counts(app_context: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "asn.csv",
        HEADING
        + f"{BUDI},Budi Santoso,Pemprov Lampung,BPSDM,,budi@x.go.id,PNS\n"
        + '"19900115 201503 2 001","Siti Aminah, S.Pd.",Pemprov Lampung,BPSDM,,,CPNS\n',
    )
    result = app_context.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "dibuat 2, diperbarui 0, tidak berubah 0" in result.output
    siti = get_person(db.session(), SITI)
    assert siti is not None
    assert siti.name == "Siti Aminah, S.Pd."


def test_people_import_reads_excel_semicolon_files_with_a_bom(
    app_context: Flask, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "asn.csv",
        "\ufeffNIP;Name;Agency;Unit;Position;Email;Employment\n"
        + f"{BUDI};Budi;Pemprov Lampung;BPSDM;;;PNS\n",
    )
    result = app_context.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert count_rows(Person) == 1


def test_a_rejected_people_file_prints_each_problem_and_stores_nothing(
    app_context: Flask, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "asn.csv",
        HEADING
        + f"{BUDI},Budi,Pemprov Lampung,BPSDM,,,PNS\n"
        + "19850330201012100,Siti,Pemprov Lampung,BPSDM,,,PNS\n"
        + f"{SITI},Siti,,BPSDM,,,honorer\n",
    )
    result = app_context.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code != 0
    assert "baris 3, kolom nip: NIP harus 18 digit, bukan 17 (NIP must be 18 digits" in (
        result.output
    )
    assert "baris 4, kolom agency: wajib diisi (required)" in result.output
    assert "baris 4, kolom employment: harus PNS, CPNS atau PPPK" in result.output
    assert "asn.csv ditolak: 3 masalah, tidak ada yang disimpan" in result.output
    assert count_rows(Person) == 0


def test_a_file_that_is_not_utf8_is_refused(app_context: Flask, tmp_path: Path) -> None:
    path = write(
        tmp_path, "asn.csv", HEADING + f"{BUDI},Budi Çelik,Pemprov,BPSDM,,,PNS\n", "utf-16"
    )
    result = app_context.test_cli_runner().invoke(args=["people", "import", str(path)])
    assert result.exit_code != 0
    assert "UTF-8" in result.output
    assert count_rows(Person) == 0


def test_identities_import_stores_mappings_and_recredits_the_changed_actors(
    app_context: Flask, tmp_path: Path, rematched: list[set[str]]
) -> None:
    people = write(tmp_path, "asn.csv", HEADING + f"{BUDI},Budi,Pemprov Lampung,BPSDM,,,PNS\n")
    runner = app_context.test_cli_runner()
    assert runner.invoke(args=["people", "import", str(people)]).exit_code == 0
    mappings = write(
        tmp_path,
        "moodle.csv",
        "homePage,account_name,mbox,nip\n"
        f"{OTHER_LMS},4711,,{BUDI}\n"
        f",,budi.pribadi@gmail.com,{BUDI}\n",
    )
    result = runner.invoke(args=["identities", "import", str(mappings)])
    assert result.exit_code == 0, result.output
    assert "dibuat 2, diperbarui 0, tidak berubah 0" in result.output
    assert rematched == [{f"account:{OTHER_LMS} 4711", "mbox:mailto:budi.pribadi@gmail.com"}]
    assert count_rows(ActorMapping) == 2

    again = runner.invoke(args=["identities", "import", str(mappings)])
    assert again.exit_code == 0, again.output
    assert "tidak berubah 2" in again.output
    assert len(rematched) == 1  # nothing changed, nothing to re-credit


def test_a_rejected_mapping_file_prints_each_problem_and_recredits_nothing(
    app_context: Flask, tmp_path: Path, rematched: list[set[str]]
) -> None:
    mappings = write(
        tmp_path, "moodle.csv", f"homePage,account_name,nip\n{OTHER_LMS},4711,{BUDI}\n"
    )
    result = app_context.test_cli_runner().invoke(args=["identities", "import", str(mappings)])
    assert result.exit_code != 0
    assert f"baris 2, kolom nip: NIP {BUDI} tidak ada di direktori" in result.output
    assert rematched == []
    assert count_rows(ActorMapping) == 0
