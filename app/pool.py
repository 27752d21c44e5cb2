"""The web process's side of the trainers: start them, route commands, forward their messages.

``TrainerPool`` holds ``BPP_TRAINERS`` trainer processes (multiprocessing, spawn; one per core
by default), each started on first use and reached through a duplex pipe. With
``BPP_TRAINERS=0`` it holds one trainer running in a thread of this process instead, behind the
same messages (see ``app.worker``).

- ``request(index, op, session_id, args)`` sends a command and awaits its encoded answer (or
  raises the ``FieldError`` the trainer refused it with).
- Messages a trainer publishes (frames, statuses, summaries, sample steps) arrive already
  encoded; they are handed to the ``Hub`` as they are, once, whatever the number of viewers.
- A trainer process that dies is restarted; the sessions it held are reported lost
  (``on_lost``), and requests waiting on it fail with a 503 — never a hang.

A reader thread per trainer receives its messages and passes them to the event loop; a writer
thread sends commands, so a full pipe never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import queue
import threading
from collections.abc import Callable
from typing import Any

from app.errors import FieldError
from app.hub import Hub
from app.settings import Settings
from app.store import Store
from app.worker import QueueChannel, Worker, process_main

log = logging.getLogger(__name__)

STOP_SECONDS = 3.0  # how long a trainer may take to stop before it is killed


class TrainerLost(FieldError):
    def __init__(self) -> None:
        super().__init__(
            "session_id",
            "the trainer holding this session stopped; the session is lost (start it again)",
            status_code=503,
            kind="trainer_lost",
        )


class Link:
    """One trainer, seen from the web process: how to start it, send to it, and whether it is
    alive. ``sessions`` maps its sessions to their shapes (for placing new ones)."""

    def __init__(self, pool: TrainerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.sessions: dict[str, str] = {}  # session id → shape
        self.generation = 0
        self.started = False
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._conn: Any = None
        self._process: Any = None
        self._channel: QueueChannel | None = None
        self._threads: list[threading.Thread] = []

    # -- start and stop -----------------------------------------------------------------------
    def start(self) -> None:
        self.generation += 1
        self.started = True
        self._outbox = queue.SimpleQueue()
        generation = self.generation
        if self.pool.in_process:
            self._channel = QueueChannel(lambda m: self.pool.deliver(self.index, generation, m))
            worker = Worker(self.pool.settings, self._channel, self.pool.store)
            thread = threading.Thread(target=worker.serve, name="bpp-trainer", daemon=True)
            thread.start()
            self._threads = [thread]
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=True)
        self._process = ctx.Process(
            target=process_main,
            args=(child, self.pool.settings.model_dump()),
            name=f"bpp-trainer-{self.index}",
            daemon=True,
        )
        self._process.start()
        child.close()
        self._conn = parent
        outbox = self._outbox
        self._threads = [
            threading.Thread(
                target=self._read, args=(parent, generation), name="bpp-read", daemon=True
            ),
            threading.Thread(
                target=self._write, args=(parent, outbox), name="bpp-write", daemon=True
            ),
        ]
        for thread in self._threads:
            thread.start()

    def send(self, message: Any) -> None:
        if not self.started:
            self.start()
        if self._channel is not None:
            self._channel.inbox.put(message)
        else:
            self._outbox.put(message)

    def _write(self, conn: Any, outbox: queue.SimpleQueue) -> None:
        while (message := outbox.get()) is not None:
            try:
                conn.send(message)
            except (OSError, ValueError):
                return

    def _read(self, conn: Any, generation: int) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                break
            self.pool.deliver(self.index, generation, message)
        self.pool.deliver(self.index, generation, ("died",))

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def stop(self, wait: bool = True) -> None:
        """Ask the trainer to stop; kill it if it does not within ``STOP_SECONDS``."""
        if not self.started:
            return
        self.started = False
        self.generation += 1  # whatever it still says is stale
        if self._channel is not None:
            self._channel.inbox.put(None)
            self._channel = None
            return
        self._outbox.put((None, "close", None, None))
        self._outbox.put(None)
        process, conn = self._process, self._conn
        if wait and process is not None:
            process.join(STOP_SECONDS)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        if conn is not None:
            try:
                conn.close()
            except OSError:
                pass


class TrainerPool:
    """All trainers of this web process (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        hub: Hub,
        store: Store | None = None,
        on_status: Callable[[str, bytes], None] | None = None,
        on_lost: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.settings = settings
        self.hub = hub
        self.store = store  # the in-process trainer's (trainer processes open their own)
        self.on_status = on_status
        self.on_lost = on_lost
        count = settings.trainer_count()
        self.in_process = count == 0
        self.links = [Link(self, i) for i in range(max(1, count))]
        self._ids = itertools.count()
        self._waiting: dict[int, tuple[asyncio.Future, int]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self.closed = False

    # -- placement ----------------------------------------------------------------------------
    def alive(self, index: int) -> bool:
        return True  # a dead trainer's sessions are reported lost at once (``on_lost``)

    async def locate(self, session_id: str) -> int | None:
        return None  # only the handle knows where a local session is

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

    def forget(self, index: int, session_id: str) -> None:
        self.links[index].sessions.pop(session_id, None)

    # -- commands -----------------------------------------------------------------------------
    async def request(
        self, index: int, op: str, session_id: str | None = None, args: dict | None = None
    ) -> bytes | None:
        """Send a command to trainer ``index`` and wait for its answer."""
        if self.closed:
            raise TrainerLost()
        loop = asyncio.get_running_loop()
        self._loop = loop
        request_id = next(self._ids)
        future: asyncio.Future = loop.create_future()
        self._waiting[request_id] = (future, index)
        try:
            self.links[index].send((request_id, op, session_id, args))
            return await future
        finally:
            self._waiting.pop(request_id, None)

    def tell(self, index: int, op: str, session_id: str | None = None, args: dict | None = None):
        """Send a command that wants no answer."""
        if not self.closed:
            self.links[index].send((None, op, session_id, args))

    async def any_trainer(self, op: str, args: dict) -> bytes | None:
        """A session-less command (``backprop``) on the least-loaded trainer."""
        link = min(self.links, key=lambda lk: (len(lk.sessions), lk.index))
        return await self.request(link.index, op, None, args)

    # -- messages from the trainers -------------------------------------------------------------
    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

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
            publish = self.hub.publish
            for session_id, what, data in message[1]:
                text = data.decode()
                publish(session_id, what, text)
                if what == "status" and self.on_status is not None:
                    self.on_status(session_id, data)
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
        elif kind == "died":
            self._died(index)

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
