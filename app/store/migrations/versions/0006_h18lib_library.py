"""the lesson library's share links (issue 18): one row per link, the token kept as its SHA-256

Revision ID: 0006_h18lib
Revises: 0005_h18core
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_h18lib"
down_revision = "0005_h18core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lesson_shares",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("lesson_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_lesson_shares_lesson_id_lessons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lesson_shares")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_lesson_shares_token_hash")),
    )
    op.create_index(
        op.f("ix_lesson_shares_lesson_id"), "lesson_shares", ["lesson_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lesson_shares_lesson_id"), table_name="lesson_shares")
    op.drop_table("lesson_shares")
