"""statement ids as uuid on PostgreSQL

At a million Moodle statements (bench scenario ``million``) a statement's id took 37 bytes
as ``varchar(36)`` in its row and ~67 bytes in the unique index; as ``uuid`` it takes 16 and
~36 (docs/scale.md). The ids of statements, of their StatementRef targets, and of the
statements that credit and program progress rest on become ``uuid`` on PostgreSQL; the
values do not change (they are validated UUIDs, stored lowercase, and read back as the
same text). SQLite keeps ``varchar(36)``: nothing to do there.

Each table's ALTER rewrites it and rebuilds its indexes. The function the one-statement
insert calls to look for a void (migration 0011) takes the target as text and now casts it.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "statements": ("statement_id", "target_statement_id"),
    "credit_evidence": ("statement_id",),
    "progress_evidence": ("statement_id",),
}


VOID_LOOKUP = (
    "CREATE OR REPLACE FUNCTION lms_bridge_voided_once_locked(target text, "
    "voided_verb_key text, lock_class integer, lock_id integer) RETURNS boolean "
    "LANGUAGE plpgsql VOLATILE AS $$ "
    "BEGIN PERFORM pg_advisory_xact_lock_shared(lock_class, lock_id); "
    "RETURN EXISTS (SELECT 1 FROM statements WHERE target_statement_id = {target} "
    "AND verb_key = voided_verb_key); END $$"
)


def _alter(to_type: str, using: str, target: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(VOID_LOOKUP.format(target=target))
    for table, columns in COLUMNS.items():
        # One ALTER TABLE per table: one rewrite, however many columns change.
        changes = ", ".join(
            f"ALTER COLUMN {column} TYPE {to_type} USING {column}::{using}" for column in columns
        )
        op.execute(f"ALTER TABLE {table} {changes}")
    op.execute("ANALYZE statements")


def upgrade() -> None:
    _alter("uuid", "uuid", "CAST(target AS uuid)")


def downgrade() -> None:
    _alter("varchar(36)", "text", "target")
