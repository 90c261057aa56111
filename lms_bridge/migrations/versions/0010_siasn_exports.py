"""siasn exports: each recorded "kursus" export and its rows; the ledger's newest change

credit_entries gets an index on updated_at, so the agency page knows in one index probe
whether the figures it cached are still those of the ledger.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import lms_bridge.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "siasn_exports",
        sa.Column("id", ID, nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("exported_by", sa.String(length=200), nullable=False),
        sa.Column("exported_at", lms_bridge.db.UTCDateTime(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("new_rows", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.String(length=50), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_siasn_exports")),
    )
    op.create_index("ix_siasn_exports_agency_year", "siasn_exports", ["agency", "year"])
    op.create_table(
        "siasn_export_rows",
        sa.Column("id", ID, nullable=False),
        sa.Column("export_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("nip", sa.String(length=18), nullable=False),
        sa.Column("jenis_diklat_id", sa.Integer(), nullable=False),
        sa.Column("jumlah_jam", sa.Integer(), nullable=False),
        sa.Column("tanggal_kursus", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["siasn_exports.id"],
            name=op.f("fk_siasn_export_rows_export_id_siasn_exports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_siasn_export_rows")),
    )
    op.create_index("ix_siasn_export_rows_export_id", "siasn_export_rows", ["export_id"])
    op.create_index("ix_siasn_export_rows_entry_id", "siasn_export_rows", ["entry_id"])
    op.create_index("ix_credit_entries_updated_at", "credit_entries", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_credit_entries_updated_at", table_name="credit_entries")
    op.drop_index("ix_siasn_export_rows_entry_id", table_name="siasn_export_rows")
    op.drop_index("ix_siasn_export_rows_export_id", table_name="siasn_export_rows")
    op.drop_table("siasn_export_rows")
    op.drop_index("ix_siasn_exports_agency_year", table_name="siasn_exports")
    op.drop_table("siasn_exports")
