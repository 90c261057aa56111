"""From an xAPI actor to a NIP: mappings, directory e-mails, and NIP accounts, in one batch."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, select

from lms_bridge.db import db, unit_of_work, utcnow
from lms_bridge.models import ActorMapping, Person
from lms_bridge.people import (
    MappingImportRejected,
    RowProblem,
    import_actor_mappings,
    import_people,
    resolve_actors,
)
from lms_bridge.sql.keys import index_key
from tests.conftest import count_rows
from tests.statements import MOODLE_HOME, SIASN, agent
from xapi.identifiers import agent_key

BUDI = "198503302010121002"
SITI = "199001152015032001"
ANDI = "197812312005011003"
NIP_HOME_PAGES = (SIASN, MOODLE_HOME)
OTHER_LMS = "https://elearning.example.ac.id"


def person_row(nip: str, email: str = "") -> dict[str, str]:
    return {
        "nip": nip,
        "name": f"ASN {nip[-3:]}",
        "agency": "Pemerintah Provinsi Lampung",
        "unit": "BPSDM",
        "position": "",
        "email": email,
        "employment": "PNS",
    }


def account_row(name: str, nip: str, home_page: str = OTHER_LMS) -> dict[str, str]:
    return {"homePage": home_page, "account_name": name, "mbox": "", "nip": nip}


def mbox_row(mbox: str, nip: str) -> dict[str, str]:
    return {"homePage": "", "account_name": "", "mbox": mbox, "nip": nip}


def account_key(home_page: str, name: str) -> str:
    key = agent_key({"account": {"homePage": home_page, "name": name}})
    assert key is not None
    return key


@pytest.fixture
def directory(app_context: Flask) -> Flask:
    """Budi and Siti in the directory, with e-mail addresses; Andi with none."""
    import_people(
        [
            person_row(BUDI, "budi@lampungprov.go.id"),
            person_row(SITI, "siti@lampungprov.go.id"),
            person_row(ANDI),
        ]
    )
    return app_context


def resolve(*keys: str) -> dict[str, str]:
    return resolve_actors(db.session(), keys, NIP_HOME_PAGES)


def test_a_mapped_lms_account_resolves_to_its_nip(directory: Flask) -> None:
    import_actor_mappings([account_row("4711", BUDI)])
    key = account_key(OTHER_LMS, "4711")
    assert resolve(key) == {key: BUDI}


def test_a_mapping_wins_over_the_nip_an_account_names(directory: Flask) -> None:
    key = account_key(MOODLE_HOME, SITI)
    import_actor_mappings([account_row(SITI, BUDI, home_page=MOODLE_HOME)])
    assert resolve(key) == {key: BUDI}


def test_an_mbox_resolves_to_the_directory_email_in_any_case(directory: Flask) -> None:
    key = agent_key({"mbox": "mailto:Budi@LampungProv.go.id"})
    assert key is not None
    assert resolve(key) == {key: BUDI}


def test_an_mbox_sha1sum_resolves_to_the_directory_email(directory: Flask) -> None:
    digest = hashlib.sha1(b"mailto:siti@lampungprov.go.id", usedforsecurity=False).hexdigest()
    key = agent_key({"mbox_sha1sum": digest.upper()})
    assert key is not None
    assert resolve(key) == {key: SITI}


def test_a_mapped_mbox_resolves_when_the_directory_does_not_know_the_address(
    directory: Flask,
) -> None:
    import_actor_mappings([mbox_row("andi.pribadi@gmail.com", ANDI)])
    key = agent_key({"mbox": "mailto:andi.pribadi@gmail.com"})
    assert key is not None
    assert resolve(key) == {key: ANDI}


def test_an_account_on_a_nip_home_page_resolves_even_outside_the_directory(
    app_context: Flask,
) -> None:
    key = agent_key(agent(BUDI))
    assert key is not None
    assert resolve(key) == {key: BUDI}
    assert count_rows(Person) == 0


@pytest.mark.parametrize(
    "home_page",
    ["https://siasn.bkn.go.id/", "HTTPS://SIASN.BKN.GO.ID", "https://SiAsn.bkn.go.id//"],
)
def test_home_pages_compare_without_trailing_slash_and_case_of_host(
    app_context: Flask, home_page: str
) -> None:
    key = account_key(home_page, "19850330 201012 1 002")
    assert resolve(key) == {key: BUDI}


def test_the_path_of_a_home_page_is_compared_exactly(app_context: Flask) -> None:
    key = account_key(f"{MOODLE_HOME}/Other", BUDI)
    assert resolve_actors(db.session(), [key], [f"{MOODLE_HOME}/other"]) == {}


def test_accounts_elsewhere_or_without_a_valid_nip_stay_unresolved(directory: Flask) -> None:
    elsewhere = account_key(OTHER_LMS, BUDI)
    not_a_nip = account_key(MOODLE_HOME, "budi.santoso")
    bad_date = account_key(MOODLE_HOME, "198502302010121002")
    unknown_mail = "mbox:mailto:nobody@example.com"
    openid = "openid:https://id.example.com/budi"
    assert resolve(elsewhere, not_a_nip, bad_date, unknown_mail, openid) == {}


def test_a_key_longer_than_an_index_key_is_mapped_through_its_digest(directory: Flask) -> None:
    name = "u" * 400
    key = account_key(OTHER_LMS, name)
    result = import_actor_mappings([account_row(name, SITI)])
    assert result.actor_keys == {key}
    stored = db.session.scalar(select(ActorMapping.actor_key))
    assert stored == index_key(key)
    assert stored is not None
    assert stored.startswith("sha256:")
    assert resolve(key) == {key: SITI}


def test_an_address_two_people_share_resolves_to_neither(directory: Flask) -> None:
    with unit_of_work() as session:
        andi = session.get(Person, ANDI)
        assert andi is not None
        andi.email = "budi@lampungprov.go.id"
        andi.updated_at = utcnow()
    assert resolve("mbox:mailto:budi@lampungprov.go.id") == {}


def test_resolving_nothing_asks_nothing(app_context: Flask) -> None:
    assert resolve_actors(db.session(), [], NIP_HOME_PAGES) == {}


@pytest.fixture
def queries(app_context: Flask) -> Iterator[list[str]]:
    """The SQL statements sent to the database while the test runs."""
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    db.session.execute(select(1))  # begin the transaction before counting
    event.listen(db.engine, "before_cursor_execute", record)
    yield sent
    event.remove(db.engine, "before_cursor_execute", record)


def test_resolving_a_hundred_actors_takes_at_most_two_queries(
    directory: Flask, queries: list[str]
) -> None:
    queries.clear()
    import_actor_mappings([account_row(str(number), BUDI) for number in range(20)])
    db.session.execute(select(1))
    queries.clear()
    keys = (
        [account_key(OTHER_LMS, str(number)) for number in range(20)]
        + [f"mbox:mailto:user{number}@example.com" for number in range(20)]
        + ["mbox:mailto:siti@lampungprov.go.id"]
        + [f"mbox_sha1sum:{number:040x}" for number in range(19)]
        + [account_key(MOODLE_HOME, BUDI[:15] + f"{number + 1:03d}") for number in range(20)]
        + [f"openid:https://id.example.com/{number}" for number in range(20)]
    )
    assert len(keys) == 100
    resolved = resolve_actors(db.session(), keys, NIP_HOME_PAGES)
    assert len(queries) <= 2, queries
    assert len(resolved) == 20 + 1 + 20


def test_an_unknown_nip_in_a_mapping_file_rejects_the_file(directory: Flask) -> None:
    with pytest.raises(MappingImportRejected) as caught:
        import_actor_mappings([account_row("1", BUDI), account_row("2", "200001012020011001")])
    assert caught.value.problems == [
        RowProblem(
            3,
            "nip",
            "NIP 200001012020011001 tidak ada di direktori; impor orangnya dulu "
            "(NIP not in the directory; import the person first)",
        )
    ]
    assert count_rows(ActorMapping) == 0


def test_a_mapping_row_names_an_account_or_an_mbox_but_not_both(directory: Flask) -> None:
    rows = [
        {"homePage": OTHER_LMS, "account_name": "1", "mbox": "a@x.go.id", "nip": BUDI},
        {"homePage": "", "account_name": "", "mbox": "", "nip": BUDI},
        {"homePage": "lms.example.id", "account_name": "", "mbox": "", "nip": BUDI},
        mbox_row("not-an-address", BUDI),
        account_row("3", "12345"),
    ]
    with pytest.raises(MappingImportRejected) as caught:
        import_actor_mappings(rows)
    assert [(problem.line, problem.column) for problem in caught.value.problems] == [
        (2, "mbox"),
        (3, "homePage"),
        (4, "homePage"),
        (4, "account_name"),
        (5, "mbox"),
        (6, "nip"),
    ]


def test_an_identity_mapped_twice_in_one_file_is_rejected(directory: Flask) -> None:
    with pytest.raises(MappingImportRejected) as caught:
        import_actor_mappings([account_row("7", BUDI), account_row("7", SITI)])
    assert [(problem.line, problem.column) for problem in caught.value.problems] == [
        (3, "account_name")
    ]
    assert "baris 2" in caught.value.problems[0].reason


def test_a_mapping_file_needs_a_nip_column(directory: Flask) -> None:
    with pytest.raises(MappingImportRejected) as caught:
        import_actor_mappings([{"homePage": OTHER_LMS, "account_name": "1"}])
    assert caught.value.problems == [
        RowProblem(1, "nip", "kolom wajib tidak ada (required column missing)")
    ]


def test_import_returns_only_the_actors_whose_mapping_is_new_or_changed(
    directory: Flask,
) -> None:
    first = import_actor_mappings([account_row("1", BUDI), mbox_row("mailto:a@gmail.com", SITI)])
    assert first.actor_keys == {account_key(OTHER_LMS, "1"), "mbox:mailto:a@gmail.com"}
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)

    again = import_actor_mappings([account_row("1", BUDI), mbox_row("a@gmail.com", SITI)])
    assert again.actor_keys == frozenset()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)

    moved = import_actor_mappings([account_row("1", ANDI), account_row("2", ANDI)])
    assert moved.actor_keys == {account_key(OTHER_LMS, "1"), account_key(OTHER_LMS, "2")}
    assert (moved.created, moved.updated, moved.unchanged) == (1, 1, 0)
    assert resolve(account_key(OTHER_LMS, "1")) == {account_key(OTHER_LMS, "1"): ANDI}
    assert count_rows(ActorMapping) == 3
