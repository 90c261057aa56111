"""Fixtures of the application's own tests: empty databases that a test walks itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from tests.conftest import BACKENDS, own_postgres_database


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, unmigrated database of its own: the test walks the schema down and up."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migration.db'}"
        return
    with own_postgres_database("migration") as url:
        yield url


def insert_bare_client(connection: Connection) -> int:
    """A client row as every revision since 0001 has it, for statements seeded in SQL."""
    client_id: int = connection.execute(
        text(
            "INSERT INTO clients (name, key, secret_hash, scopes, authority, created_at) "
            "VALUES ('c', 'k', 'h', '[]', '{}', CURRENT_TIMESTAMP) RETURNING id"
        )
    ).scalar_one()
    return client_id
