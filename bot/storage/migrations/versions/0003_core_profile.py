"""user profile: full name, position, phone (asked at registration)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(
            sa.Column(
                "full_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column(
                "position", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False, server_default=""
            )
        )
        batch.add_column(
            sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.drop_column("phone")
        batch.drop_column("position")
        batch.drop_column("full_name")
