"""The registry's sweeps, run every ``sweep_interval_seconds`` (``app.web.main``): tell the
trainers who watches what, pause playing sessions nobody watches, evict idle ones, delete
those unused for ``retention_days``. ``Sweeps`` is a part of ``LocalRegistry``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from app.commands import Delete
from app.schemas import PauseCommand
from app.seam.base import Hub
from app.settings import Settings
from app.store import Store
from app.web.session import SessionHandle


class Sweeps:
    """Viewers told, unwatched sessions paused, idle ones evicted, unused ones deleted."""

    settings: Settings
    hub: Hub
    store: Store
    clock: Callable[[], float]
    _sessions: dict[str, SessionHandle]

    if TYPE_CHECKING:  # the other parts of LocalRegistry

        def _drop(self, session_id: str, discharge: bool = True) -> SessionHandle | None: ...

        async def evict(self, handle: SessionHandle) -> bool: ...

    def sync_viewers(self, session_id: str, now: float | None = None) -> None:
        """Tell the session's trainer how many live viewers it has now."""
        session = self._sessions.get(session_id)
        if session is None:
            return
        now = self.clock() if now is None else now
        viewers, summaries = self.hub.live_viewers(
            session_id, now, self.settings.viewer_stall_seconds
        )
        binary = self.hub.binary_viewers(session_id, now, self.settings.viewer_stall_seconds)
        session.watched_by(viewers, summaries, now, binary)

    def sync_all_viewers(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        for session_id in list(self._sessions):
            self.sync_viewers(session_id, now)

    async def evict_idle(self, now: float | None = None) -> list[str]:
        """Evict resident sessions nobody has used or watched for ``evict_after_seconds``;
        returns their ids (they stay known, and come back when used)."""
        now = self.clock() if now is None else now
        limit = self.settings.evict_after_seconds
        idle = [
            s
            for s in self._sessions.values()
            if s.trainer is not None and not s.running and s.idle_seconds(now) > limit
        ]
        return [s.id for s in idle if await self.evict(s)]

    async def delete_unused(self) -> list[str]:
        """Delete sessions unused for ``retention_days`` (from the store and from here)."""
        cutoff = datetime.now(UTC) - timedelta(days=self.settings.retention_days)
        deleted = await asyncio.to_thread(self.store.delete_unused, cutoff)
        for session_id in deleted:
            handle = self._drop(session_id)
            if handle is not None and handle.trainer is not None:
                handle.tell(Delete())
        return deleted

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
            session.tell(PauseCommand(type="pause"))
        return [s.id for s in paused]
