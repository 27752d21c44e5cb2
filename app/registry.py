"""The session registry: unguessable ids, lookup, limits per server and per client, idle expiry.

``SessionRegistry`` is the small interface the routers use; ``LocalRegistry`` keeps sessions in
this process (a later issue can keep them in worker processes behind the same methods).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Protocol

from app.errors import FieldError
from app.session import TrainingSession
from app.settings import Settings


class SessionRegistry(Protocol):
    def check_room(self, client: str) -> None: ...

    def new_id(self) -> str: ...

    def add(self, client: str, session: TrainingSession) -> TrainingSession: ...

    def get(self, session_id: str) -> TrainingSession | None: ...

    async def remove(self, session_id: str) -> bool: ...

    async def expire(self, now: float | None = None) -> list[str]: ...

    async def pause_unwatched(self, now: float | None = None) -> list[str]: ...

    async def close(self) -> None: ...

    def __len__(self) -> int: ...


def new_session_id() -> str:
    """128 bits from the OS's CSPRNG, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class LocalRegistry:
    """Sessions of this process, keyed by id, with their owner's address."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._sessions: dict[str, TrainingSession] = {}
        self._owner: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def count_for(self, client: str) -> int:
        return sum(1 for owner in self._owner.values() if owner == client)

    def check_room(self, client: str) -> None:
        """Raise 429 naming the limit when no new session may be created for ``client``."""
        s = self.settings
        if len(self._sessions) >= s.max_sessions:
            raise FieldError(
                "session",
                f"the server holds its limit of {s.max_sessions} sessions (max_sessions); "
                "delete one or try later",
                status_code=429,
                kind="limit",
            )
        if self.count_for(client) >= s.max_sessions_per_client:
            raise FieldError(
                "session",
                f"this client holds its limit of {s.max_sessions_per_client} sessions "
                "(max_sessions_per_client); delete one first",
                status_code=429,
                kind="limit",
            )

    def new_id(self) -> str:
        session_id = new_session_id()
        while session_id in self._sessions:  # pragma: no cover - 2**-128
            session_id = new_session_id()
        return session_id

    def add(self, client: str, session: TrainingSession) -> TrainingSession:
        """Hold ``session`` (made with an id from ``new_id``) unless a limit forbids it."""
        self.check_room(client)
        self._sessions[session.id] = session
        self._owner[session.id] = client
        return session

    def get(self, session_id: str) -> TrainingSession | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    async def remove(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        self._owner.pop(session_id, None)
        if session is None:
            return False
        await session.close()
        return True

    async def expire(self, now: float | None = None) -> list[str]:
        """Remove sessions idle for longer than ``session_ttl_seconds``; returns their ids."""
        now = self.clock() if now is None else now
        ttl = self.settings.session_ttl_seconds
        stale = [sid for sid, s in self._sessions.items() if s.idle_seconds(now) > ttl]
        for sid in stale:
            await self.remove(sid)
        return stale

    async def pause_unwatched(self, now: float | None = None) -> list[str]:
        """Pause playing sessions that nobody has watched for longer than
        ``unwatched_pause_seconds`` (a closed tab); returns their ids."""
        now = self.clock() if now is None else now
        limit = self.settings.unwatched_pause_seconds
        paused = [
            sid
            for sid, s in self._sessions.items()
            if s.running and s.unwatched_seconds(now) > limit
        ]
        for sid in paused:
            session = self._sessions.get(sid)
            if session is not None:
                await session.pause()
        return paused

    async def close(self) -> None:
        for sid in list(self._sessions):
            await self.remove(sid)
