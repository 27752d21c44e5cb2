"""Where a registered session lives: in a trainer's memory while it is used, or resting in the
store. ``Residency`` (a part of ``LocalRegistry``) *brings back* a session from its last
checkpoint into the least-loaded trainer, *evicts* one (saved, then let go), and brings back
the sessions of a trainer that stopped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from app import encoding
from app.commands import Evict, Restore
from app.errors import FieldError, Moved
from app.seam.base import Hub, Trainers
from app.settings import Settings
from app.web.session import SessionHandle

log = logging.getLogger(__name__)


class Residency:
    """Bring back, evict, and a stopped trainer's sessions (``LocalRegistry``'s part)."""

    settings: Settings
    hub: Hub
    pool: Trainers
    clock: Callable[[], float]
    _sessions: dict[str, SessionHandle]

    if TYPE_CHECKING:  # the other parts of LocalRegistry

        def _drop(self, session_id: str, discharge: bool = True) -> SessionHandle | None: ...

        def _spawn(self, coro: Coroutine[Any, Any, None]) -> None: ...

        def sync_viewers(self, session_id: str, now: float | None = None) -> None: ...

    async def bring_back(self, handle: SessionHandle, play: bool = False) -> None:
        """Restore an evicted session from its last checkpoint in the least-loaded trainer
        (callers at the same time wait for the same restore)."""
        if handle.restoring is not None:
            await asyncio.shield(handle.restoring)
            return
        if handle.trainer is not None and self.pool.alive(handle.trainer):
            return
        loop = asyncio.get_running_loop()
        handle.restoring = done = loop.create_future()
        index = None
        try:
            owner = await self.pool.locate(handle.id)
            if owner is not None:  # a live trainer holds it already (on a bus)
                handle.trainer = owner
                handle.told_viewers = (0, 0)
                self.sync_viewers(handle.id)  # it learns of this web process's viewers now
                done.set_result(None)
                return
            index = await self.pool.place(handle.id, handle.shape)
            viewers, summaries = self.hub.live_viewers(
                handle.id, self.clock(), self.settings.viewer_stall_seconds
            )
            binary = self.hub.binary_viewers(
                handle.id, self.clock(), self.settings.viewer_stall_seconds
            )
            restore = Restore(
                viewers=viewers, summary_viewers=summaries, binary_viewers=binary, play=play
            )
            await self.pool.request(index, restore, handle.id)
            handle.trainer = index
            handle.told_viewers = (viewers, summaries, binary)
            done.set_result(None)
        except Moved as moved:  # another web process brought it back meanwhile
            if index is not None:
                self.pool.forget(index, handle.id)
            handle.trainer = moved.owner
            handle.told_viewers = (0, 0)
            self.sync_viewers(handle.id)
            done.set_result(None)
        except BaseException as exc:
            if index is not None:
                self.pool.forget(index, handle.id)
            if isinstance(exc, FieldError) and exc.status_code == 404:
                self._drop(handle.id)  # the store no longer has it
            done.set_exception(exc)
            done.exception()  # retrieved: nobody else may be waiting
            raise
        finally:
            handle.restoring = None

    async def evict(self, handle: SessionHandle) -> bool:
        """Save the session and let it leave its trainer's memory."""
        if handle.trainer is None or handle.restoring is not None:
            return False
        index = handle.trainer
        try:
            await self.pool.request(index, Evict(), handle.id)
        except FieldError as exc:
            log.warning("could not evict session %s: %s", handle.id, exc.message)
            return False
        handle.trainer = None
        handle.told_viewers = (0, 0)
        self.pool.forget(index, handle.id)
        return True

    def _lost(self, session_ids: list[str]) -> None:
        """A trainer stopped: its sessions come back from their last checkpoints in the other
        trainers — at once for those someone watches or that were playing (playing on), the
        others at their next use. Their viewers are told."""
        for session_id in session_ids:
            handle = self._sessions.get(session_id)
            if handle is None:
                continue
            was_running = handle.running
            handle.trainer = None
            handle.told_viewers = (0, 0)
            handle.status = "paused"
            self.hub.publish(
                session_id,
                "status",
                encoding.dumps(
                    {
                        "type": "status",
                        "status": "restoring",
                        "epoch": handle.epoch,
                        "epochs_per_second": 0.0,
                        "message": "its trainer stopped; back from the last checkpoint",
                    }
                ),
            )
            watched = any(self.hub.live_viewers(session_id, self.clock(), 1e18))
            if watched or was_running:
                self._spawn(self._bring_back_quietly(handle, was_running))

    def keep_resident(self, session_id: str) -> None:
        """Bring a watched session back soon if it rests in the store (a dashboard watches
        it: it should see it live, not wait for its student)."""
        handle = self._sessions.get(session_id)
        if handle is not None and handle.trainer is None and handle.restoring is None:
            self._spawn(self._bring_back_quietly(handle, False))

    async def _bring_back_quietly(self, handle: SessionHandle, play: bool) -> None:
        try:
            await self.bring_back(handle, play=play)
        except FieldError as exc:
            log.warning("session %s could not be brought back: %s", handle.id, exc.message)
