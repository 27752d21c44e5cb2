"""Platforms (LMSs) registered by an admin: issuer, the client id the platform gave this tool,
the deployment ids, and its OIDC login, OAuth 2 token and JWKS URLs. Synchronous (the routes
call it in a thread; the CLI directly)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.tokens import new_id
from app.errors import FieldError
from app.store import Store
from app.store.models import lti_platforms


def origin_of(url: str) -> str:
    """``https://lms.example:8443/x`` → ``https://lms.example:8443``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_url(field: str, url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise FieldError(field, "must be an absolute http(s) URL")
    return url.strip()


@dataclass(frozen=True)
class Platform:
    id: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_url: str
    token_url: str
    jwks_url: str
    frame_origins: list[str]
    created_at: datetime

    def origins(self) -> list[str]:
        """Where the platform's pages are: may frame the tool and receive its forms."""
        urls = (self.issuer, self.auth_url, *self.frame_origins)
        return list(dict.fromkeys(origin_of(u) for u in urls if u.startswith("http")))

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "deployment_ids": self.deployment_ids,
            "auth_url": self.auth_url,
            "token_url": self.token_url,
            "jwks_url": self.jwks_url,
            "frame_origins": self.frame_origins,
        }


def _platform(row: Any) -> Platform:
    m = row._mapping
    return Platform(**{f.name: m[f.name] for f in fields(Platform)})


class Platforms:
    def __init__(self, store: Store) -> None:
        self.store = store

    def register(
        self,
        issuer: str,
        client_id: str,
        deployment_ids: list[str],
        auth_url: str,
        token_url: str,
        jwks_url: str,
        frame_origins: list[str] | None = None,
    ) -> Platform:
        """A new platform; FieldError naming the field for a bad URL or a duplicate."""
        if not client_id.strip():
            raise FieldError("client_id", "must not be empty")
        platform = Platform(
            id=new_id(),
            issuer=check_url("issuer", issuer),
            client_id=client_id.strip(),
            deployment_ids=[d.strip() for d in deployment_ids if d.strip()],
            auth_url=check_url("auth_url", auth_url),
            token_url=check_url("token_url", token_url),
            jwks_url=check_url("jwks_url", jwks_url),
            frame_origins=[origin_of(check_url("frame_origin", o)) for o in frame_origins or []],
            created_at=datetime.now(UTC),
        )
        try:
            with self.store.transaction() as conn:
                conn.execute(insert(lti_platforms).values(**platform.__dict__))
        except IntegrityError:
            raise FieldError(
                "client_id", f"{issuer} with client id {client_id!r} is registered already"
            ) from None
        return platform

    def add_deployment(self, platform_id: str, deployment_id: str) -> Platform | None:
        platform = self.get(platform_id)
        if platform is None:
            return None
        if deployment_id not in platform.deployment_ids:
            with self.store.transaction() as conn:
                conn.execute(
                    update(lti_platforms)
                    .where(lti_platforms.c.id == platform_id)
                    .values(deployment_ids=[*platform.deployment_ids, deployment_id])
                )
        return self.get(platform_id)

    def remove(self, platform_id: str) -> bool:
        with self.store.transaction() as conn:
            return (
                conn.execute(
                    delete(lti_platforms).where(lti_platforms.c.id == platform_id)
                ).rowcount
                > 0
            )

    def get(self, platform_id: str) -> Platform | None:
        with self.store.reading() as conn:
            row = conn.execute(
                select(lti_platforms).where(lti_platforms.c.id == platform_id)
            ).first()
        return _platform(row) if row else None

    def find(self, issuer: str, client_id: str | None) -> Platform | None:
        """The platform of ``issuer`` (and ``client_id`` when given; without it, the only
        registration of that issuer)."""
        query = select(lti_platforms).where(lti_platforms.c.issuer == issuer)
        if client_id:
            query = query.where(lti_platforms.c.client_id == client_id)
        with self.store.reading() as conn:
            rows = conn.execute(query.limit(2)).all()
        return _platform(rows[0]) if len(rows) == 1 else None

    def all(self) -> list[Platform]:
        with self.store.reading() as conn:
            rows = conn.execute(select(lti_platforms).order_by(lti_platforms.c.created_at))
            return [_platform(r) for r in rows]
