"""the classroom: teachers, tokens, lessons, classrooms and seats

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "teachers",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teachers")),
        sa.UniqueConstraint("name", name=op.f("uq_teachers_name")),
    )
    op.create_table(
        "auth_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("teacher_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_auth_tokens_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_tokens")),
    )
    op.create_index(op.f("ix_auth_tokens_teacher_id"), "auth_tokens", ["teacher_id"])
    op.create_index(op.f("ix_auth_tokens_expires_at"), "auth_tokens", ["expires_at"])
    op.create_table(
        "lessons",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("teacher_id", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("setup", sa.JSON(), nullable=False),
        sa.Column("locks", sa.JSON(), nullable=False),
        sa.Column("challenge", sa.JSON(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_lessons_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
    )
    op.create_index(op.f("ix_lessons_teacher_id"), "lessons", ["teacher_id"])
    op.create_table(
        "classrooms",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("teacher_id", sa.String(32), nullable=False),
        sa.Column("lesson_id", sa.String(32), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("code", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("lobby_locked", sa.Boolean(), nullable=False),
        sa.Column("approval_required", sa.Boolean(), nullable=False),
        sa.Column("hide_names", sa.Boolean(), nullable=False),
        sa.Column("leaderboard", sa.Boolean(), nullable=False),
        sa.Column("leaderboard_names", sa.Boolean(), nullable=False),
        sa.Column("challenge_active", sa.Boolean(), nullable=False),
        sa.Column("setup", sa.JSON(), nullable=False),
        sa.Column("locks", sa.JSON(), nullable=False),
        sa.Column("challenge", sa.JSON(), nullable=True),
        _when("created_at"),
        _when("closed_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["teachers.id"],
            name=op.f("fk_classrooms_teacher_id_teachers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["lesson_id"],
            ["lessons.id"],
            name=op.f("fk_classrooms_lesson_id_lessons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classrooms")),
        sa.UniqueConstraint("code", name=op.f("uq_classrooms_code")),
    )
    op.create_index(op.f("ix_classrooms_teacher_id"), "classrooms", ["teacher_id"])
    op.create_table(
        "seats",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("classroom_id", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _when("joined_at"),
        sa.Column("challenge_met", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["classroom_id"],
            ["classrooms.id"],
            name=op.f("fk_seats_classroom_id_classrooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("classroom_id", "name_key", name=op.f("uq_seats_classroom_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_seats_token_hash")),
    )
    op.create_index(op.f("ix_seats_classroom_id"), "seats", ["classroom_id"])
    op.create_index(op.f("ix_seats_session_id"), "seats", ["session_id"])


def downgrade() -> None:
    op.drop_table("seats")
    op.drop_table("classrooms")
    op.drop_table("lessons")
    op.drop_table("auth_tokens")
    op.drop_table("teachers")
