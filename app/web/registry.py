"""The sessions this web process knows: id → ``SessionHandle``, with their owners and limits.

``LocalRegistry`` places a new session on a trainer (``TrainerPool.place``), creates it there
(the trainer saves it in the store before answering), and keeps its handle. Every session the
store holds is known from the start — after a restart too — but lives in a trainer only while
it is used: an idle one is *evicted* (saved, then let go) and *brought back* from its last
checkpoint by the next request or socket for it. The registry also pauses unwatched sessions,
deletes those unused for ``retention_days``, and tells the trainers who watches what. Every
check of a session's limits happens here, before any trainer work: a new session is admitted
by the ``Holdings`` (``app.quotas``: this process's, or Redis's on a bus) before any await.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError

from app import encoding
from app.commands import Create, Delete, Evict, Restore
from app.errors import FieldError, Moved
from app.limits import session_bytes_of
from app.quotas import Holdings, LocalHoldings
from app.schemas import PauseCommand, SessionCreate
from app.seam.base import Address, Hub, Trainers
from app.settings import Settings
from app.store import Store, StoredSession
from app.web.session import SessionHandle

log = logging.getLogger(__name__)
TOUCH_SAVE_SECONDS = 60.0  # how often a session's last use is written to the store, at most


def shape_of(body: SessionCreate) -> str:
    """What decides whether two sessions can train stacked, as far as the body tells before
    anything is built (``engine.stack_key`` decides for good)."""
    d, net = body.dataset, body.network
    rows = None if d.inputs is None else (len(d.inputs), len(d.inputs[0]) if d.inputs else 0)
    return repr(
        (
            net.hidden_layers,
            net.activations,
            net.loss,
            d.name,
            d.n,
            d.train_fraction,
            d.features,
            rows,
            body.training.batch_size,  # type: ignore[attr-defined]  # built from app.controls
        )
    )


def new_session_id() -> str:
    """128 bits from the OS's CSPRNG, URL-safe (22 characters)."""
    return secrets.token_urlsafe(16)


class LocalRegistry:
    """Sessions of this web process, keyed by id, with their owner's address."""

    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        pool: Trainers,
        store: Store,
        clock: Callable[[], float] = time.monotonic,
        holdings: Holdings | None = None,
    ) -> None:
        self.settings = settings
        self.holdings = holdings if holdings is not None else LocalHoldings(settings)
        self.hub = hub
        self.pool = pool
        self.store = store
        self.clock = clock
        self._sessions: dict[str, SessionHandle] = {}
        self._touch_saved: dict[str, float] = {}
        self._memory: dict[str, int] = {}  # id → estimated bytes (limits.session_bytes_of)
        self._tasks: set[asyncio.Task] = set()
        hub.on_status = self._saw_status
        pool.on_lost = self._lost

    # -- the store ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Bring the store's schema up to date and learn every session it holds."""
        await asyncio.to_thread(self.store.migrate)
        stored = await asyncio.to_thread(self.store.list_sessions)
        for session in stored:
            self._adopt_stored(session)
        await self.holdings.lost()  # (counted now)
        await self.holdings.adopt([(s.id, s.client, self._bytes_of(s)) for s in stored])
        await self.pool.announce([(s.id, s.client) for s in stored])  # to every web process

    async def find(self, session_id: str) -> SessionHandle | None:
        """``get``, or a session another web process created (on a bus)."""
        session = self.get(session_id)
        if session is None:
            client = await self.pool.known(session_id)
            if client is not None and session_id not in self._sessions:
                session = self._handle(session_id, client, None, "")
        return session

    def _bytes_of(self, stored: StoredSession) -> int:
        """The estimated bytes of a stored session (0 if its config no longer validates)."""
        if stored.id in self._memory:
            return self._memory[stored.id]
        try:
            return session_bytes_of(SessionCreate.model_validate(stored.config), self.settings)
        except ValidationError:
            return 0

    async def recount(self) -> bool:
        """Count the store's sessions again if the counters were lost (Redis restarted empty:
        without this, the limits would count only sessions created since). True if it did."""
        try:
            if not await self.holdings.lost():
                return False
            stored = await asyncio.to_thread(self.store.list_sessions)
            await self.holdings.adopt([(s.id, s.client, self._bytes_of(s)) for s in stored])
        except Exception as exc:  # Redis away: the next sweep tries again
            log.warning("could not count the stored sessions again: %s", exc)
            return False
        log.warning("the limits' counters were lost; %d stored sessions counted again", len(stored))
        return True

    def _adopt_stored(self, stored: StoredSession) -> None:
        try:
            body = SessionCreate.model_validate(stored.config)
            shape = shape_of(body)
            self._memory[stored.id] = session_bytes_of(body, self.settings)
        except ValidationError:
            shape = ""
        handle = self._handle(stored.id, stored.client, None, shape)
        handle.epoch = stored.epoch
        handle.status = "diverged" if stored.status == "diverged" else "paused"

    def _handle(
        self, session_id: str, client: str, trainer: Address | None, shape: str
    ) -> SessionHandle:
        handle = SessionHandle(
            session_id, client, trainer, shape, self.pool, self.bring_back, self.clock
        )
        self._sessions[session_id] = handle
        return handle

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

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self):
        return iter(list(self._sessions.values()))

    def count_for(self, client: str) -> int:
        return sum(1 for s in self._sessions.values() if s.client == client)

    def memory(self, client: str | None = None) -> int:
        """Estimated bytes of the sessions known here (of ``client``'s only, if given)."""
        if client is None:
            return sum(self._memory.values())
        sessions = self._sessions
        return sum(n for sid, n in self._memory.items() if sessions[sid].client == client)

    def new_id(self) -> str:
        session_id = new_session_id()
        while session_id in self._sessions:  # pragma: no cover - 2**-128
            session_id = new_session_id()
        return session_id

    async def create(self, client: str, body: SessionCreate) -> tuple[SessionHandle, bytes]:
        """Create a session on the least-loaded trainer; its handle and its encoded state.
        The session is admitted (counted against every limit) before anything else is awaited,
        so that sessions created at once cannot all pass the limits."""
        needed = session_bytes_of(body, self.settings)
        session_id = self.new_id()
        await self.holdings.admit(session_id, client, needed)  # 429 naming the limit
        index = None
        try:
            shape = shape_of(body)
            index = await self.pool.place(session_id, shape)
            handle = self._handle(session_id, client, index, shape)
            self._memory[session_id] = needed
            state = await self.pool.request(index, Create(client=client, body=body), session_id)
        except BaseException:
            self._sessions.pop(session_id, None)
            self._memory.pop(session_id, None)
            if index is not None:
                self.pool.forget(index, session_id)
            await asyncio.shield(self.holdings.discharge(session_id))
            raise
        await self.pool.announce([(session_id, client)])
        return handle, state or b""

    def get(self, session_id: str) -> SessionHandle | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
            now = self.clock()
            if now - self._touch_saved.get(session_id, -1e18) >= TOUCH_SAVE_SECONDS:
                self._touch_saved[session_id] = now
                self.store.touch(session_id)
        return session

    def _drop(self, session_id: str, discharge: bool = True) -> SessionHandle | None:
        """Forget the session here; with ``discharge``, it no longer counts against the limits
        (it is gone for good, not just this process's handle)."""
        session = self._sessions.pop(session_id, None)
        if discharge:
            self._spawn(self.holdings.discharge(session_id))
        self._touch_saved.pop(session_id, None)
        self._memory.pop(session_id, None)
        if session is not None:
            session.closed = True
            if session.trainer is not None:
                self.pool.forget(session.trainer, session_id)
            self.hub.close_session(session_id)
        return session

    async def remove(self, session_id: str) -> bool:
        """Delete a session for good: from its trainer and from the store."""
        session = self._drop(session_id, discharge=False)
        if session is None:
            return False
        if session.trainer is not None:
            session.tell(Delete())  # the trainer deletes it from the store too
        else:
            await asyncio.to_thread(self.store.delete, session_id)
        await self.pool.withdraw(session_id)
        await self.holdings.discharge(session_id)  # last: the delete goes first, as ever
        return True

    def _saw_status(self, session_id: str, data: bytes) -> None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.saw_status(data)

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

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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

    async def close(self) -> None:
        """Forget the handles (the sessions stay in the store); the trainers save on stop."""
        for task in list(self._tasks):
            task.cancel()
        for sid in list(self._sessions):
            self._drop(sid, discharge=False)  # they stay in the store, and count

    def describe(self) -> dict[str, Any]:
        return {"sessions": len(self._sessions)}
