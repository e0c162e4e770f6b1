"""drop ix_delivery_owner_status: releasing a run's claims is served by ix_delivery_status (few rows are
'claimed' at any time), and each index slows the fan-out's bulk claims (100,000 rows per run)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_delivery_owner_status", table_name="delivery")


def downgrade() -> None:
    op.create_index("ix_delivery_owner_status", "delivery", ["owner", "status"])
