"""web pages (issue 11): login links, sessions, reviewed questions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "weblogintoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        _ts("used_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_weblogintoken_token_hash", "weblogintoken", ["token_hash"], unique=True)
    op.create_table(
        "websession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_key", sa.String(length=200), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        _ts("created_at"),
        _ts("last_seen_at"),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_websession_token_hash", "websession", ["token_hash"], unique=True)
    op.create_index("ix_websession_user_key", "websession", ["user_key"])
    op.create_table(
        "questionreview",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        _ts("reviewed_at"),
        sa.ForeignKeyConstraint(["question_id"], ["questionlog.id"]),
        sa.PrimaryKeyConstraint("question_id"),
    )


def downgrade() -> None:
    op.drop_table("questionreview")
    op.drop_index("ix_websession_user_key", table_name="websession")
    op.drop_index("ix_websession_token_hash", table_name="websession")
    op.drop_table("websession")
    op.drop_index("ix_weblogintoken_token_hash", table_name="weblogintoken")
    op.drop_table("weblogintoken")
