"""STTPL certificates: one number per participant of a cohort, a public verification code

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms_bridge.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cohort_id", sa.BigInteger(), nullable=False),
        sa.Column("enrollment_id", sa.BigInteger(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=200), nullable=False),
        sa.Column("public_code", sa.String(length=32), nullable=False),
        sa.Column("issued_at", lms_bridge.db.UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=320), nullable=False),
        sa.Column("revoked_at", lms_bridge.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_by", sa.String(length=320), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"], ["cohorts.id"], name=op.f("fk_certificates_cohort_id_cohorts")
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["enrollments.id"],
            name=op.f("fk_certificates_enrollment_id_enrollments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("cohort_id", "sequence", name=op.f("uq_certificates_cohort_id")),
        sa.UniqueConstraint("enrollment_id", name=op.f("uq_certificates_enrollment_id")),
        sa.UniqueConstraint("public_code", name=op.f("uq_certificates_public_code")),
    )
    op.create_index("ix_certificates_nip", "certificates", ["nip"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_certificates_nip", table_name="certificates")
    op.drop_table("certificates")
