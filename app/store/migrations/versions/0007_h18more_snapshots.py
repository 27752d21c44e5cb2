"""a classroom's kept snapshots (issue 18): one row per classroom, shared by every web process

Revision ID: 0007_h18more
Revises: 0006_h18lib
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_h18more"
down_revision = "0006_h18lib"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classroom_snapshots",
        sa.Column("classroom_id", sa.String(length=32), nullable=False),
        sa.Column("snapshots", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["classroom_id"],
            ["classrooms.id"],
            name=op.f("fk_classroom_snapshots_classroom_id_classrooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("classroom_id", name=op.f("pk_classroom_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("classroom_snapshots")
