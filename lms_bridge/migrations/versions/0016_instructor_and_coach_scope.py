"""which cohorts an instructor follows and which participants a coach follows

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms_bridge.db

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cohort_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("cohort_id", sa.BigInteger(), nullable=False),
        sa.Column("assigned_at", lms_bridge.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_cohort_assignments_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_cohort_assignments_cohort_id_cohorts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_assignments")),
        sa.UniqueConstraint("user_id", "cohort_id", name=op.f("uq_cohort_assignments_user_id")),
    )
    op.create_table(
        "participant_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("assigned_at", lms_bridge.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_participant_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_assignments")),
        sa.UniqueConstraint("user_id", "nip", name=op.f("uq_participant_assignments_user_id")),
    )
    op.create_index(
        "ix_participant_assignments_nip", "participant_assignments", ["nip"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_participant_assignments_nip", table_name="participant_assignments")
    op.drop_table("participant_assignments")
    op.drop_table("cohort_assignments")
