"""indexes for a province's lookups (issue 13): latest submissions per year, ledger history and release

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submission_year_unit_version", "submission", ["year", "unit_id", "version"])
    op.create_index("ix_delivery_year_obligation", "delivery", ["year", "obligation"])
    op.create_index("ix_delivery_owner_status", "delivery", ["owner", "status"])


def downgrade() -> None:
    op.drop_index("ix_delivery_owner_status", table_name="delivery")
    op.drop_index("ix_delivery_year_obligation", table_name="delivery")
    op.drop_index("ix_submission_year_unit_version", table_name="submission")
