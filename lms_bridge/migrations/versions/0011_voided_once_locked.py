"""the one-statement insert shares the statement-writes lock before it checks for a void

The function it calls shares the lock, then looks for a stored voiding statement with a
snapshot taken after the lock.

A void and its target posted at once must see each other: every transaction that stores
statements holds one advisory lock, exclusively when it voids (lms_bridge.sql.locks,
lock_statement_writes). The one-statement insert takes its share inside the insert, to
save a round trip, but the insert's own snapshot predates the wait; a VOLATILE function's
query takes a fresh one, so it sees a void committed while the insert waited. PostgreSQL
only: SQLite serialises writers.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION lms_bridge_voided_once_locked(target text, voided_verb_key text, "
        "lock_class integer, lock_id integer) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$ "
        "BEGIN PERFORM pg_advisory_xact_lock_shared(lock_class, lock_id); "
        "RETURN EXISTS (SELECT 1 FROM statements WHERE target_statement_id = target "
        "AND verb_key = voided_verb_key); END $$"
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.execute(
        "DROP FUNCTION IF EXISTS lms_bridge_voided_once_locked(text, text, integer, integer)"
    )
