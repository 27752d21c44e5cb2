"""The classroom's tables: teachers' lessons, the classrooms taught from them, and students'
seats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


class LessonRow(Base):
    """A session setup, which controls students may change, and an optional challenge."""

    __tablename__ = "lessons"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("teachers.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    setup: Mapped[dict[str, Any]] = mapped_column(JSON)
    locks: Mapped[list[str]] = mapped_column(JSON)
    challenge: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")  # Markdown
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClassroomRow(Base):
    """One class taught from a lesson. ``code`` is set while the room is open (unique among open
    rooms) and cleared when it closes; the room keeps its own copy of the lesson, which the
    teacher may change during class without changing the lesson."""

    __tablename__ = "classrooms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("teachers.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("lessons.id", ondelete="SET NULL"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(16), unique=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # "open" or "closed"
    lobby_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False)
    hide_names: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard: Mapped[bool] = mapped_column(Boolean, default=False)
    leaderboard_names: Mapped[bool] = mapped_column(Boolean, default=False)
    challenge_active: Mapped[bool] = mapped_column(Boolean, default=False)
    setup: Mapped[dict[str, Any]] = mapped_column(JSON)
    locks: Mapped[list[str]] = mapped_column(JSON)
    challenge: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    instructions: Mapped[str] = mapped_column(Text, default="", server_default="")  # Markdown
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # an activity (issue 18): the lesson's steps, copied with it, and how far the class is
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    step_open: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: not started
    step_mode: Mapped[str] = mapped_column(String(16), default="class", server_default="class")
    revealed: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")


class SeatRow(Base):
    """A student's place in a classroom: a display name, a secret token (kept as its SHA-256,
    held by the student's browser in a cookie), a rejoin key for another device, and the id of
    the student's session."""

    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("classroom_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    classroom_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("classrooms.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # "Student 7" when names are hidden
    name: Mapped[str] = mapped_column(String(64))
    name_key: Mapped[str] = mapped_column(String(64))  # the name, case- and space-folded
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(16))  # "waiting", "active" or "removed"
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    challenge_met: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)  # self-paced: where they are


lessons = core_table(LessonRow)
classrooms = core_table(ClassroomRow)
seats = core_table(SeatRow)
