"""The sessions this web process knows: id → ``SessionHandle``, with their owners and limits.

``LocalRegistry`` places a new session on a trainer (``TrainerPool.place``), creates it there
(the trainer saves it in the store before answering), and keeps its handle. Every session the
store holds is known from the start — after a restart too — but lives in a trainer only while
it is used: an idle one is *evicted* (saved, then let go) and *brought back* from its last
checkpoint by the next request or socket for it. The registry also pauses unwatched sessions,
deletes those unused for ``retention_days``, and tells the trainers who watches what. Every
check of a session's limits happens here, before any trainer work: a new session is admitted
by the ``Holdings`` (``app.quotas``: this process's, or Redis's on a bus) before any await.
Bringing back and evicting are ``Residency``'s part (``app.web.residency``), the periodic sweeps
``Sweeps``'s (``app.web.sweeps``).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from app.commands import Create, Delete
from app.limits import session_bytes_of
from app.quotas import Holdings, LocalHoldings
from app.schemas import SessionCreate
from app.seam.base import Address, Hub, Trainers
from app.settings import Settings
from app.store import Store, StoredSession
from app.web.residency import Residency
from app.web.session import SessionHandle
from app.web.sweeps import Sweeps

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


class LocalRegistry(Residency, Sweeps):
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

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Forget the handles (the sessions stay in the store); the trainers save on stop."""
        for task in list(self._tasks):
            task.cancel()
        for sid in list(self._sessions):
            self._drop(sid, discharge=False)  # they stay in the store, and count

    def describe(self) -> dict[str, Any]:
        return {"sessions": len(self._sessions)}
