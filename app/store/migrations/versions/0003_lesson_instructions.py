"""a lesson's instructions (Markdown the students read), on lessons and their classrooms' copies

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07

Old lessons and rooms get an empty text: they keep working as before (no instructions shown).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("lessons", "classrooms"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("instructions", sa.Text(), nullable=False, server_default="")
            )


def downgrade() -> None:
    for table in ("lessons", "classrooms"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("instructions")
