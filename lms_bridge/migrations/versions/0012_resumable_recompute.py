"""credit recompute runs in chunks: its record shows progress and can be resumed

A recompute commits one chunk of actors at a time; its ``credit_recomputations`` row is
written when the run starts (``finished_at`` empty until it ends) and records the last
actor key done, so a run that stopped resumes where it was.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms_bridge.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_recomputations") as batch:
        batch.alter_column("finished_at", existing_type=lms_bridge.db.UTCDateTime(), nullable=True)
        batch.add_column(sa.Column("last_actor_key", sa.String(length=310), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM credit_recomputations WHERE finished_at IS NULL")
    with op.batch_alter_table("credit_recomputations") as batch:
        batch.drop_column("last_actor_key")
        batch.alter_column("finished_at", existing_type=lms_bridge.db.UTCDateTime(), nullable=False)
