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
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
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


def core_table(model: type[Base]) -> Table:
    """A model's Core ``Table``, for ``insert``/``update``/``delete``: SQLAlchemy types
    ``__table__`` as the wider ``FromClause``, while a declarative model's is always a Table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__}.__table__ is not a Table")
    return table


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


sessions = core_table(SessionRow)
checkpoints = core_table(CheckpointRow)


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


teachers = core_table(TeacherRow)
auth_tokens = core_table(TokenRow)
lessons = core_table(LessonRow)
classrooms = core_table(ClassroomRow)
seats = core_table(SeatRow)
answers = core_table(AnswerRow)


# ---- LTI 1.3 (app/lti): platforms, the tool's keys, launches' state, links and grades -----------


class LtiPlatformRow(Base):
    """A learning platform (Canvas, Moodle...) registered by an admin: who it is (issuer and
    the client id it gave this tool), its deployments, and where its OIDC login, OAuth 2
    token endpoint and public keys are."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[list[str]] = mapped_column(JSON)
    auth_url: Mapped[str] = mapped_column(String(1024))
    token_url: Mapped[str] = mapped_column(String(1024))
    jwks_url: Mapped[str] = mapped_column(String(1024))
    frame_origins: Mapped[list[str]] = mapped_column(JSON)  # may frame the tool
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiToolKeyRow(Base):
    """One of the tool's RSA signing keys (PEM). The newest unretired key signs; every
    unretired key is published at the JWKS endpoint (so a rotation breaks no token in flight)."""

    __tablename__ = "lti_tool_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(String(8192))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LtiStateRow(Base):
    """An OIDC login in flight: its ``state`` (SHA-256), the nonce the id_token must carry,
    and the login's parameters (to start it again in a new tab)."""

    __tablename__ = "lti_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_platforms.id", ondelete="CASCADE")
    )
    nonce: Mapped[str] = mapped_column(String(128))
    login: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LtiNonceRow(Base):
    """An id_token nonce already used (kept until the token could no longer be valid)."""

    __tablename__ = "lti_nonces"

    platform_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_platforms.id", ondelete="CASCADE"), primary_key=True
    )
    nonce: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class LtiLinkRow(Base):
    """A resource link of a course (one placement of the tool) and the classroom it opens,
    with the AGS line item its scores go to."""

    __tablename__ = "lti_links"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_platforms.id", ondelete="CASCADE")
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    context_title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    classroom_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("classrooms.id", ondelete="CASCADE"), index=True
    )
    lineitem_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiUserRow(Base):
    """A person of a platform (its ``sub``), with the teacher account they are, if any. Only
    the name the LMS shares is stored, and none when ``lti_store_names`` is off."""

    __tablename__ = "lti_users"
    __table_args__ = (UniqueConstraint("platform_id", "sub"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_platforms.id", ondelete="CASCADE")
    )
    sub: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    teacher_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("teachers.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiSeatRow(Base):
    """A learner's seat in the classroom of a link: one per (link, person)."""

    __tablename__ = "lti_seats"

    link_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_links.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_users.id", ondelete="CASCADE"), primary_key=True
    )
    seat_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("seats.id", ondelete="CASCADE"), index=True
    )


class LtiGradeRow(Base):
    """The score of one learner on one link, as posted (or to be posted) to the LMS: status
    ``pending``, ``posted`` or ``failed``, with the attempts made and the last error."""

    __tablename__ = "lti_grades"

    link_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_links.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lti_users.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float)  # in [0, 1]
    posted_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SsoUserRow(Base):
    """A teacher who signs in through the institution's OpenID Connect provider (app/sso): the
    provider's ``sub`` under its issuer, the teacher account it is, and the verified e-mail."""

    __tablename__ = "sso_users"

    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    sub: Mapped[str] = mapped_column(String(255), primary_key=True)
    teacher_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("teachers.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


lti_platforms = core_table(LtiPlatformRow)
lti_tool_keys = core_table(LtiToolKeyRow)
lti_states = core_table(LtiStateRow)
lti_nonces = core_table(LtiNonceRow)
lti_links = core_table(LtiLinkRow)
lti_users = core_table(LtiUserRow)
lti_seats = core_table(LtiSeatRow)
lti_grades = core_table(LtiGradeRow)
sso_users = core_table(SsoUserRow)


class LessonShareRow(Base):
    """A link that gives another teacher a copy of a lesson (issue 18's library): the secret
    token is kept as its SHA-256 only; revoking a lesson's sharing deletes its rows."""

    __tablename__ = "lesson_shares"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    lesson_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("lessons.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


lesson_shares = core_table(LessonShareRow)


class SnapshotsRow(Base):
    """The snapshots a teacher projects (issue 18): a classroom's kept set, one row per room,
    replaced by each new set, so that every web process (and a restart) shows the same ones."""

    __tablename__ = "classroom_snapshots"

    classroom_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("classrooms.id", ondelete="CASCADE"), primary_key=True
    )
    snapshots: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())


classroom_snapshots = core_table(SnapshotsRow)
