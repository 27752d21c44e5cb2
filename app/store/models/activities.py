"""An activity's tables (issue 18): each student's answer to each step's question, and the
snapshots a teacher projects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


class AnswerRow(Base):
    """A student's answer to one step's question (issue 18): one row per seat and step, made
    when the step opens for the seat (``opened_at``) and filled in by each attempt. ``correct``
    is None until checked (free text and predictions are never right or wrong)."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("seat_id", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    classroom_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("classrooms.id", ondelete="CASCADE"), index=True
    )
    seat_id: Mapped[str] = mapped_column(String(32), ForeignKey("seats.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    correct: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SnapshotsRow(Base):
    """The snapshots a teacher projects (issue 18): a classroom's kept set, one row per room,
    replaced by each new set, so that every web process (and a restart) shows the same ones."""

    __tablename__ = "classroom_snapshots"

    classroom_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("classrooms.id", ondelete="CASCADE"), primary_key=True
    )
    snapshots: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


answers = core_table(AnswerRow)
classroom_snapshots = core_table(SnapshotsRow)
