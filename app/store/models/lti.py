"""LTI 1.3's tables (``app/lti``): platforms, the tool's keys, launches' state, links and
grades."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.store.models.base import Base, UTCDateTime, core_table


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


lti_platforms = core_table(LtiPlatformRow)
lti_tool_keys = core_table(LtiToolKeyRow)
lti_states = core_table(LtiStateRow)
lti_nonces = core_table(LtiNonceRow)
lti_links = core_table(LtiLinkRow)
lti_users = core_table(LtiUserRow)
lti_seats = core_table(LtiSeatRow)
lti_grades = core_table(LtiGradeRow)
