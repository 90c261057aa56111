"""notify every process when the clients table changes

Processes keep the clients they authenticated in memory (lms_bridge.access.client_cache);
this trigger sends NOTIFY lms_bridge_clients after any statement that inserts, updates,
deletes or truncates clients rows, in whatever way (the CLI, the API, an operator's SQL),
and each process empties its cache when the notice arrives. PostgreSQL only: SQLite has no
notifications and there the row is read on every request.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "lms_bridge_notify_client_change"
TRIGGER = "clients_changed"


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN PERFORM pg_notify('lms_bridge_clients', ''); RETURN NULL; END $$"
    )
    op.execute(
        f"CREATE TRIGGER {TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON clients "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON clients")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
