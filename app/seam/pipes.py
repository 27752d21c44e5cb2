"""Trainers behind pipes: the pool, and both ends of each pipe (``BPP_TRAINERS``).

``TrainerPool`` (``app.seam.base.Trainers``) holds this web process's trainers, each started on
first use by its ``launch``: a spawned process (``process_main``; one per core by default)
behind a duplex pipe — ``ProcessTrainer`` at this end, ``PipeChannel`` at the trainer's — or,
with ``BPP_TRAINERS=0``, one thread (``app.seam.inthread``). Either way the messages of
``app.trainer.channels``: a command goes out as the typed model itself (pickled on a pipe), and
encoded answers and published messages come back, the latter handed to the ``Hub`` as they
are, once. Reader and writer threads keep a full pipe from blocking the event loop. The
trainer's code is imported in the trainer process only (``process_main``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import queue
import signal
import threading
from typing import Any

from app.commands import Close, Envelope, Shares, TrainerCommand
from app.errors import FieldError
from app.seam.base import Address, Connection, Deliver, Hub, Launch, LostHook, TrainerLost
from app.seam.threads import one_blas_thread_for_children
from app.seam.usage import UsageBoard
from app.settings import Settings
from app.store import open_store

log = logging.getLogger(__name__)

STOP_SECONDS = 3.0  # how long a trainer process may take to stop before it is killed


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

    def start(self) -> Connection:
        self.generation += 1
        generation, pool, index = self.generation, self.pool, self.index
        self.trainer = pool.launch(index, lambda m: pool.deliver(index, generation, m))
        pool.started(index)
        return self.trainer

    def send(self, message: Any) -> None:
        (self.trainer or self.start()).send(message)

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

    # -- placement and the directory: only this web process places sessions on its trainers,
    # so its registry of handles is the whole directory; a trainer that dies has its sessions
    # reported lost at once (``on_lost``) and is started again, empty, at the same index.
    def alive(self, address: Address) -> bool:
        return True

    async def locate(self, session_id: str) -> Address | None:
        return None

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
        self._loop = loop = asyncio.get_running_loop()
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
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: shutting down
                self._loop.call_soon_threadsafe(self.dispatch, index, generation, message)

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
            else:  # (field, message, status_code, kind)
                future.set_exception(FieldError(*payload))
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


# -- the pipe's ends: the web process's (``ProcessTrainer``) and the trainer's (``PipeChannel``) --
class ProcessTrainer:
    """A trainer process (``process_main``) behind a duplex pipe (``app.seam.base.Connection``)."""

    def __init__(self, settings: Settings, index: int, deliver: Deliver) -> None:
        ctx = multiprocessing.get_context("spawn")
        one_blas_thread_for_children()  # app.seam.threads
        parent, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=process_main,
            args=(child, settings.model_dump()),
            name=f"bpp-trainer-{index}",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.conn = parent
        self.outbox: queue.SimpleQueue[Envelope | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(deliver,), name="bpp-read", daemon=True).start()
        threading.Thread(target=self._write, name="bpp-write", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, message: Envelope) -> None:
        """Queue the envelope for the writer thread."""
        self.outbox.put(message)

    def _write(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the pipe closed: nothing to write to
            while (message := self.outbox.get()) is not None:
                self.conn.send(message)

    def _read(self, deliver: Deliver) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                break
            deliver(message)
        deliver(("died",))

    def stop(self, wait: bool) -> None:
        """Ask the trainer to close; kill it if it does not within ``STOP_SECONDS``."""
        self.outbox.put(Envelope(None, None, Close()))
        self.outbox.put(None)
        if wait:
            self.process.join(STOP_SECONDS)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        with contextlib.suppress(OSError):
            self.conn.close()


class PipeChannel:
    """The trainer process's end of its pipe (``app.trainer.channels.Channel``)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.sessions = 0

    def recv(self, timeout: float) -> Any:
        return self.conn.recv() if self.conn.poll(timeout) else None

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def claim(self, session_id: str) -> None:
        pass  # one web process, which placed the session here

    def release(self, session_id: str) -> None:
        pass


def process_main(conn: Any, settings: dict[str, Any]) -> None:
    """The body of a trainer process (multiprocessing, spawn)."""
    from app.trainer.worker import Worker  # the trainer's code: in the trainer process only

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the web process, which stops us
    logging.basicConfig(level=logging.INFO, format="trainer %(process)d: %(message)s")
    config = Settings(**settings)
    store = open_store(config)  # the web process has migrated it
    try:
        Worker(config, PipeChannel(conn), store).serve()
    finally:
        store.close()


def in_processes(settings: Settings) -> Launch:
    """Start trainer ``index`` as a process of its own."""

    def launch(index: int, deliver: Deliver) -> Connection:
        return ProcessTrainer(settings, index, deliver)

    return launch
