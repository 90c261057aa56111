"""entry statuses checked (perlu revisi added), page-made mappings, the queue's index

An auditor may send a credit entry back for revision (*perlu revisi*, status
``needs_revision``), so the statuses an entry can have are now written down as a check
constraint on both databases rather than only in code; identity mappings chosen on the
unmatched actors' page are recorded with source ``page``. The auditors' queue reads open
entries (pending or needs_revision) by time or by JP a keyset page at a time: a partial
index per order holds only those entries.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('pending', 'needs_revision')"
STATUSES = "status IN ('pending', 'verified', 'needs_revision', 'rejected', 'revoked', 'unmatched')"


def upgrade() -> None:
    with op.batch_alter_table("credit_entries") as batch_op:
        batch_op.create_check_constraint("status", STATUSES)
    for name, column in (("occurred", "occurred_at"), ("jp", "jp_raw")):
        op.create_index(
            f"ix_credit_entries_open_{name}",
            "credit_entries",
            [column, "id"],
            unique=False,
            postgresql_where=sa.text(OPEN),
            sqlite_where=sa.text(OPEN),
        )
    with op.batch_alter_table("actor_mappings") as batch_op:
        batch_op.drop_constraint("source", type_="check")
        batch_op.create_check_constraint("source", "source IN ('csv', 'api', 'page')")


def downgrade() -> None:
    with op.batch_alter_table("actor_mappings") as batch_op:
        batch_op.drop_constraint("source", type_="check")
        batch_op.create_check_constraint("source", "source IN ('csv', 'api')")
    for name in ("occurred", "jp"):
        op.drop_index(f"ix_credit_entries_open_{name}", table_name="credit_entries")
    with op.batch_alter_table("credit_entries") as batch_op:
        batch_op.drop_constraint("status", type_="check")
