"""The store's tables, one row per session in each, updated in place (never one row per epoch).

``sessions`` holds what the server must know about every session without loading it (who owns
it, where training stands, when it was last used); ``checkpoints`` holds the session's latest
checkpoint, bytes the store never looks into. The same schema serves SQLite and PostgreSQL; a
change to it is a new migration in ``migrations/versions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that batch migrations on SQLite can find them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends: ``timestamptz`` on PostgreSQL, naive UTC text on
    SQLite (which stores no zone). Naive datetimes are refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store takes aware datetimes only (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SessionRow(Base):
    """One training session: owner, progress, and the body it was created from."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(255), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())  # last write of any kind
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # retention
    status: Mapped[str] = mapped_column(String(32))
    epoch: Mapped[int] = mapped_column(BigInteger)
    config: Mapped[dict[str, Any]] = mapped_column(JSON)


class CheckpointRow(Base):
    """The latest checkpoint of one session (opaque bytes), replaced in place."""

    __tablename__ = "checkpoints"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())
    epoch: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


sessions = SessionRow.__table__
checkpoints = CheckpointRow.__table__


# ---- the classroom: teachers, their lessons and classrooms, and students' seats -----------------


class TeacherRow(Base):
    """A teacher's account; the password is kept only as an argon2 hash."""

    __tablename__ = "teachers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TokenRow(Base):
    """A teacher's login: a browser cookie or an API bearer token. Only the token's SHA-256 is
    stored, so a copy of the database lets nobody log in."""

    __tablename__ = "auth_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("teachers.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "cookie" or "bearer"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


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


teachers = TeacherRow.__table__
auth_tokens = TokenRow.__table__
lessons = LessonRow.__table__
classrooms = ClassroomRow.__table__
seats = SeatRow.__table__
