"""Teachers' accounts and how they sign in: a password (its argon2 hash), a login token (its
SHA-256), or the institution's OpenID Connect provider (``app/sso``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


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


teachers = core_table(TeacherRow)
auth_tokens = core_table(TokenRow)
sso_users = core_table(SsoUserRow)
