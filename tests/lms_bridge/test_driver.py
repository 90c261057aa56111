"""Hot-path reads on the driver behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text

from lms_bridge.access import create_client
from lms_bridge.db import db, unit_of_work
from lms_bridge.driver import DriverQuery, driver_rows

CLIENTS_BY_KEYS = DriverQuery(
    postgresql="SELECT key, scopes FROM clients WHERE key = ANY(%(keys)s) ORDER BY key",
    sqlite=(
        "SELECT key, scopes FROM clients "
        "WHERE key IN (SELECT value FROM json_each(:keys)) ORDER BY key"
    ),
    json_columns=(1,),
)


def test_a_list_binds_as_a_set_of_values_and_json_comes_back_decoded(app_context: Flask) -> None:
    create_client("A", key="key-a", scopes=["statements/read"])
    create_client("B", key="key-b", scopes=["all", "state"])
    create_client("C", key="key-c")
    rows = driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-b", "key-a", "nobody"]})
    assert rows == [("key-a", ["statements/read"]), ("key-b", ["all", "state"])]


def test_an_empty_list_matches_nothing(app_context: Flask) -> None:
    create_client("A", key="key-a")
    assert driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": []}) == []


def test_reads_see_the_unit_of_work_s_own_uncommitted_writes(app_context: Flask) -> None:
    """The read runs on the session's connection, inside its transaction."""
    seen_inside: list[tuple[object, ...]] = []

    def write_then_fail() -> None:
        with unit_of_work() as session:
            session.execute(
                text(
                    "INSERT INTO clients (name, key, secret_hash, scopes, authority, created_at)"
                    " VALUES ('T', 'key-t', 'x', '[\"all\"]', '{}', CURRENT_TIMESTAMP)"
                )
            )
            seen_inside.extend(driver_rows(session, CLIENTS_BY_KEYS, {"keys": ["key-t"]}))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert seen_inside == [("key-t", ["all"])]
    assert driver_rows(db.session(), CLIENTS_BY_KEYS, {"keys": ["key-t"]}) == []
