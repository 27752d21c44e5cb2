"""The sessions this web process knows: id → ``SessionHandle``, with their owners and limits.

``LocalRegistry`` places a new session on a trainer (``TrainerPool.place``), creates it there,
and keeps its handle; it expires idle sessions, pauses unwatched ones, and tells the trainers
who watches what. Every check of a session's limits happens here, before any trainer work.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any

from app.errors import FieldError
from app.hub import Hub
from app.limits import estimated_work
from app.pool import TrainerPool
from app.schemas import SessionCreate
from app.session import SessionHandle
from app.settings import Settings


def new_session_id() -> str:
    """128 bits from the OS's CSPRNG, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class LocalRegistry:
    """Sessions of this web process, keyed by id, with their owner's address."""

    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        pool: TrainerPool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.pool = pool
        self.clock = clock
        self._sessions: dict[str, SessionHandle] = {}
        pool.on_status = self._saw_status
        pool.on_lost = self._lost

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self):
        return iter(list(self._sessions.values()))

    def count_for(self, client: str) -> int:
        return sum(1 for s in self._sessions.values() if s.client == client)

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

    async def create(self, client: str, body: SessionCreate) -> tuple[SessionHandle, bytes]:
        """Create a session on the least-loaded trainer; its handle and its encoded state."""
        self.check_room(client)
        session_id = self.new_id()
        work = estimated_work(body)
        index = self.pool.place(session_id, work)
        handle = SessionHandle(session_id, client, index, work, self.pool, self.clock)
        self._sessions[session_id] = handle  # counts against the limits while it is built
        try:
            state = await self.pool.request(
                index, "create", session_id, {"client": client, "body": body.model_dump()}
            )
        except BaseException:
            self._sessions.pop(session_id, None)
            self.pool.forget(index, session_id, work)
            raise
        return handle, state or b""

    def get(self, session_id: str) -> SessionHandle | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def _drop(self, session_id: str) -> SessionHandle | None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            session.closed = True
            self.pool.forget(session.trainer, session_id, session.work)
            self.hub.close_session(session_id)
        return session

    async def remove(self, session_id: str) -> bool:
        session = self._drop(session_id)
        if session is None:
            return False
        session.tell("delete")
        return True

    def _saw_status(self, session_id: str, data: bytes) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.saw_status(data)

    def _lost(self, session_ids: list[str]) -> None:
        """A trainer stopped: its sessions are gone; their viewers are told why."""
        from app import frames

        for session_id in session_ids:
            if session_id in self._sessions:
                self.hub.publish(
                    session_id,
                    "error",
                    frames.dumps(
                        {
                            "type": "error",
                            "field": "session_id",
                            "message": "the trainer holding this session stopped; "
                            "the session is lost",
                        }
                    ),
                )
                self._drop(session_id)

    def sync_viewers(self, session_id: str, now: float | None = None) -> None:
        """Tell the session's trainer how many live viewers it has now."""
        session = self._sessions.get(session_id)
        if session is None:
            return
        now = self.clock() if now is None else now
        viewers, summaries = self.hub.live_viewers(
            session_id, now, self.settings.viewer_stall_seconds
        )
        session.watched_by(viewers, summaries, now)

    def sync_all_viewers(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        for session_id in list(self._sessions):
            self.sync_viewers(session_id, now)

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
        ``unwatched_pause_seconds`` (a closed tab, a viewer that stopped reading)."""
        now = self.clock() if now is None else now
        limit = self.settings.unwatched_pause_seconds
        paused = [
            s for s in self._sessions.values() if s.running and s.unwatched_seconds(now) > limit
        ]
        for session in paused:
            session.status = "paused"
            session.tell("pause")
        return [s.id for s in paused]

    async def close(self) -> None:
        for sid in list(self._sessions):
            self._drop(sid)

    def describe(self) -> dict[str, Any]:
        return {"sessions": len(self._sessions)}
