"""Accounts may carry the person's NIP, which single sign-on maps the provider's claim to

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("nip", sa.String(length=18), nullable=True))
        batch.create_unique_constraint(op.f("uq_users_nip"), ["nip"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_nip"), type_="unique")
        batch.drop_column("nip")
