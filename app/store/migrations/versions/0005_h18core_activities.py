"""activities (issue 18): a lesson's steps, a classroom's pacing state, and students' answers

Revision ID: 0005_h18core
Revises: 0004
Create Date: 2026-12-07

Old lessons and rooms get no steps (``[]``): a lesson without steps behaves as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_h18core"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    for table in ("lessons", "classrooms"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("steps", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("classrooms") as batch:
        batch.add_column(sa.Column("step_open", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("step_mode", sa.String(16), nullable=False, server_default="class")
        )
        batch.add_column(sa.Column("revealed", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("seats") as batch:
        batch.add_column(sa.Column("step", sa.Integer(), nullable=True))
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("classroom_id", sa.String(32), nullable=False),
        sa.Column("seat_id", sa.String(32), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=True),
        _when("opened_at"),
        _when("answered_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["classroom_id"],
            ["classrooms.id"],
            name=op.f("fk_answers_classroom_id_classrooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_answers_seat_id_seats"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
        sa.UniqueConstraint("seat_id", "step", name=op.f("uq_answers_seat_id")),
    )
    op.create_index(op.f("ix_answers_classroom_id"), "answers", ["classroom_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_answers_classroom_id"), table_name="answers")
    op.drop_table("answers")
    with op.batch_alter_table("seats") as batch:
        batch.drop_column("step")
    with op.batch_alter_table("classrooms") as batch:
        for column in ("revealed", "step_mode", "step_open"):
            batch.drop_column(column)
    for table in ("lessons", "classrooms"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("steps")
