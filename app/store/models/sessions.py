"""The sessions' tables, one row per session in each, updated in place (never one row per
epoch): ``sessions`` holds what the server must know about every session without loading it
(who owns it, where training stands, when it was last used); ``checkpoints`` holds the
session's latest checkpoint, bytes the store never looks into."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


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
