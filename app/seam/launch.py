"""How this web process starts a trainer of its own (``app.seam.base.Launch``): in a thread
(``BPP_TRAINERS=0``) or as a spawned process behind a duplex pipe. Both run the same
``app.trainer.worker.Worker``; this is where the web side's pool meets the trainer's code, and
both ends of each link are here: the web process's (``ThreadTrainer``, ``ProcessTrainer``) and
the trainer's ``Channel`` (``QueueChannel``, ``PipeChannel``; ``app.trainer.channels``).

A process has a reader thread that hands its messages to the pool and a writer thread that
sends commands, so a full pipe never blocks the event loop.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable
from typing import Any

from app.commands import Close, Envelope
from app.seam.base import Connection, Deliver, Launch, take
from app.seam.threads import one_blas_thread_for_children
from app.settings import Settings
from app.store import Store, open_store
from app.trainer.worker import Worker

STOP_SECONDS = 3.0  # how long a trainer process may take to stop before it is killed


# -- the trainer's ends (``app.trainer.channels.Channel``) ---------------------------------------
class QueueChannel:
    """The in-process channel (``BPP_TRAINERS=0``): commands arrive on a queue, messages leave
    through ``deliver`` (which hands them to the event loop)."""

    def __init__(self, deliver: Callable[[Any], None]) -> None:
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.deliver = deliver
        self.sessions = 0

    def recv(self, timeout: float) -> Any:
        return take(self.inbox, timeout)

    def send(self, message: Any) -> None:
        self.deliver(message)

    def claim(self, session_id: str) -> None:
        pass  # one web process, which placed the session here

    def release(self, session_id: str) -> None:
        pass


class PipeChannel:
    """A trainer process's end of its duplex pipe to the web process."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.sessions = 0

    def recv(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            return None
        return self.conn.recv()

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def claim(self, session_id: str) -> None:
        pass  # one web process, which placed the session here

    def release(self, session_id: str) -> None:
        pass


def process_main(conn: Any, settings: dict[str, Any]) -> None:
    """The body of a trainer process (multiprocessing, spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the web process, which stops us
    logging.basicConfig(level=logging.INFO, format="trainer %(process)d: %(message)s")
    config = Settings(**settings)
    store = open_store(config)  # the web process has migrated it
    try:
        Worker(config, PipeChannel(conn), store).serve()
    finally:
        store.close()


# -- the web process's ends (``app.seam.base.Connection``) ---------------------------------------


class ThreadTrainer:
    """A ``Worker`` in a thread of the web process, fed through a queue."""

    pid = None

    def __init__(self, settings: Settings, store: Store | None, deliver: Deliver) -> None:
        self.channel = QueueChannel(deliver)
        worker = Worker(settings, self.channel, store)
        self.thread = threading.Thread(target=worker.serve, name="bpp-trainer", daemon=True)
        self.thread.start()

    def send(self, message: Any) -> None:
        self.channel.inbox.put(message)

    def stop(self, wait: bool) -> None:
        self.channel.inbox.put(None)  # the worker saves its sessions and returns


class ProcessTrainer:
    """A trainer process (``process_main``) behind a duplex pipe."""

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
        for target, args, name in (
            (self._read, (deliver,), "bpp-read"),
            (self._write, (), "bpp-write"),
        ):
            threading.Thread(target=target, args=args, name=name, daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def send(self, message: Envelope) -> None:
        """Queue the envelope for the writer thread (the pipe pickles it: the trainer gets the
        very model, validated once at the edge)."""
        self.outbox.put(message)

    def _write(self) -> None:
        while (message := self.outbox.get()) is not None:
            try:
                self.conn.send(message)
            except (OSError, ValueError):
                return

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
        try:
            self.conn.close()
        except OSError:
            pass


def in_thread(settings: Settings, store: Store | None) -> Launch:
    def launch(index: int, deliver: Deliver) -> Connection:
        return ThreadTrainer(settings, store, deliver)

    return launch


def in_processes(settings: Settings) -> Launch:
    def launch(index: int, deliver: Deliver) -> Connection:
        return ProcessTrainer(settings, index, deliver)

    return launch
