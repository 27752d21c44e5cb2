"""The lesson library's table (issue 18): the links that share a lesson with another
teacher."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


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
