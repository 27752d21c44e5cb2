"""``Trainers`` (``app.seam.base``) that this web process starts itself: in-process and pipes.

``TrainerPool`` holds ``BPP_TRAINERS`` trainers, each started on first use by its ``launch``
(``app.seam.launch``): trainer processes (multiprocessing, spawn; one per core by default)
reached through a duplex pipe, or with ``BPP_TRAINERS=0`` one trainer in a thread of this
process. Either way the same messages (see ``app.trainer.worker``); this module imports no
trainer code.

- ``request(index, command, session_id)`` sends a typed command and awaits its encoded answer (or
  raises the ``FieldError`` the trainer refused it with).
- Messages a trainer publishes (frames, statuses, summaries, sample steps) arrive already
  encoded; they are handed to the ``Hub`` as they are, once, whatever the number of viewers.
- Each trainer reports the heaviest weight it trains (``("usage", bytes)``); the others are
  told the heaviest elsewhere (``Shares``, ``app.seam.usage``) so that one with only jobs rests
  while a session plays on another (issue 22, ``app.trainer.elsewhere``).
- A trainer process that dies is restarted; the sessions it held are reported lost
  (``on_lost``), and requests waiting on it fail with a 503 — never a hang.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any

from app.commands import Envelope, Shares, TrainerCommand
from app.errors import FieldError
from app.seam.base import Address, Connection, Hub, Launch, LostHook, TrainerLost
from app.seam.usage import UsageBoard
from app.settings import Settings

log = logging.getLogger(__name__)


class Link:
    """One trainer, seen from the web process: started on first use (``launch``), restarted
    after it died. ``sessions`` maps its sessions to their shapes (for placing new ones)."""

    def __init__(self, pool: TrainerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.sessions: dict[str, str] = {}  # session id → shape
        self.generation = 0  # bumped on every start and stop: older messages are stale
        self.trainer: Connection | None = None

    @property
    def started(self) -> bool:
        return self.trainer is not None

    @property
    def pid(self) -> int | None:
        return None if self.trainer is None else self.trainer.pid

    def start(self) -> None:
        self.generation += 1
        generation, pool, index = self.generation, self.pool, self.index
        self.trainer = pool.launch(index, lambda m: pool.deliver(index, generation, m))
        pool.started(index)

    def send(self, message: Any) -> None:
        if self.trainer is None:
            self.start()
        assert self.trainer is not None
        self.trainer.send(message)

    def stop(self, wait: bool = True) -> None:
        """Ask the trainer to stop (``Connection.stop``); what it still says is stale."""
        trainer, self.trainer = self.trainer, None
        if trainer is not None:
            self.generation += 1
            trainer.stop(wait)


class TrainerPool:
    """All trainers of this web process (see the module docstring)."""

    name = "web"  # the one web process its trainers hear from

    def __init__(self, settings: Settings, hub: Hub, launch: Launch, count: int) -> None:
        self.settings = settings
        self.hub = hub
        self.launch = launch
        self.on_lost: LostHook | None = None
        self.links = [Link(self, i) for i in range(max(1, count))]
        self.usage = UsageBoard()  # what each trainer trains, for the shares across them
        self._ids = itertools.count()
        self._waiting: dict[int, tuple[asyncio.Future[bytes | None], int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop  # trainers start on first use

    def count(self) -> int:
        return len(self.links)

    # -- placement ----------------------------------------------------------------------------
    def alive(self, address: Address) -> bool:
        """Always: a trainer that dies has its sessions reported lost at once (``on_lost``)
        and is started again, empty, at the same index."""
        return True

    async def locate(self, session_id: str) -> Address | None:
        """None: only this web process places sessions on its trainers, and its handles
        know where."""
        return None

    # -- the directory of sessions: this web process's registry is the whole of it ------------
    async def known(self, session_id: str) -> str | None:
        return None

    async def announce(self, sessions: list[tuple[str, str]]) -> None:
        return None

    async def withdraw(self, session_id: str) -> None:
        return None

    async def place(self, session_id: str, shape: str) -> int:
        """The trainer for a new session: the one holding the fewest sessions (training time is
        shared per session, so sessions, not their sizes, are what to balance); among equals,
        one that already trains sessions of the same ``shape`` (they stack)."""
        link = min(
            self.links,
            key=lambda lk: (len(lk.sessions), shape not in lk.sessions.values(), lk.index),
        )
        link.sessions[session_id] = shape
        return link.index

    def forget(self, address: Address, session_id: str) -> None:
        self.links[int(address)].sessions.pop(session_id, None)

    # -- commands -----------------------------------------------------------------------------
    async def request(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> bytes | None:
        """Send a command to trainer ``address`` (an index) and wait for its answer."""
        index = int(address)
        if self.closed:
            raise TrainerLost()
        loop = asyncio.get_running_loop()
        self._loop = loop
        request_id = next(self._ids)
        future: asyncio.Future[bytes | None] = loop.create_future()
        self._waiting[request_id] = (future, index)
        try:
            self.links[index].send(Envelope(request_id, session_id, command))
            return await future
        finally:
            self._waiting.pop(request_id, None)

    def tell(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> None:
        """Send a command that wants no answer."""
        if not self.closed:
            self.links[int(address)].send(Envelope(None, session_id, command))

    async def any_trainer(self, command: TrainerCommand) -> bytes | None:
        """A session-less command (``backprop``) on the least-loaded trainer."""
        link = min(self.links, key=lambda lk: (len(lk.sessions), lk.index))
        return await self.request(link.index, command)

    # -- messages from the trainers -------------------------------------------------------------
    def deliver(self, index: int, generation: int, message: Any) -> None:
        """(A reader thread.) Hand a trainer's message to the event loop."""
        loop = self._loop
        if loop is None:
            return
        try:
            loop.call_soon_threadsafe(self.dispatch, index, generation, message)
        except RuntimeError:  # the loop is closed: shutting down
            pass

    def dispatch(self, index: int, generation: int, message: Any) -> None:
        """(The event loop.) Answer a waiting request, or fan out published messages."""
        if generation != self.links[index].generation:
            return
        kind = message[0]
        if kind == "pub":
            receive = self.hub.receive
            for session_id, what, data in message[1]:
                receive(session_id, what, data)
        elif kind == "reply":
            _, request_id, ok, payload = message
            waiting = self._waiting.get(request_id)
            if waiting is None or waiting[0].done():
                return
            future = waiting[0]
            if ok:
                future.set_result(payload)
            else:
                field, text, status_code, what = payload
                future.set_exception(FieldError(field, text, status_code, what))
        elif kind == "usage":
            self.usage.report(index, message[1])
            self.share()
        elif kind == "died":
            self._died(index)

    def started(self, index: int) -> None:
        """Trainer ``index`` started (or started again, empty): tell it what the others train."""
        self.usage.forget(index)
        self.share()

    def share(self) -> None:
        """Tell each started trainer the heaviest weight runnable elsewhere, where it changed."""
        live = [link.index for link in self.links if link.started]
        for index, heaviest in self.usage.news(live):
            self.tell(index, Shares(heaviest_elsewhere=heaviest))

    def _died(self, index: int) -> None:
        """A trainer process exited: fail what waits on it, report its sessions lost, and
        start it again (empty) the next time it is needed."""
        link = self.links[index]
        if self.closed or not link.started:
            return
        log.error("trainer %d (pid %s) stopped; restarting it", index, link.pid)
        lost = sorted(link.sessions)
        link.stop(wait=False)
        link.sessions.clear()
        for future, at in list(self._waiting.values()):
            if at == index and not future.done():
                future.set_exception(TrainerLost())
        if self.on_lost is not None and lost:
            self.on_lost(lost)
        link.start()

    async def close(self) -> None:
        self.closed = True
        for future, _ in list(self._waiting.values()):
            if not future.done():
                future.set_exception(TrainerLost())
        await asyncio.gather(*(asyncio.to_thread(link.stop) for link in self.links))

    def pids(self) -> list[int]:
        return [link.pid for link in self.links if link.pid is not None]
