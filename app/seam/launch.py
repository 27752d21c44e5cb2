"""How this web process starts a trainer of its own (``app.seam.base.Launch``): in a thread
(``BPP_TRAINERS=0``) or as a spawned process behind a duplex pipe. Both run the same
``app.trainer.worker.Worker``; this is where the web side's pool meets the trainer's code.

A process has a reader thread that hands its messages to the pool and a writer thread that
sends commands, so a full pipe never blocks the event loop.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from typing import Any

from app.commands import Close, Envelope, encode
from app.seam.base import Connection, Deliver, Launch
from app.seam.threads import one_blas_thread_for_children
from app.settings import Settings
from app.store import Store
from app.trainer.channels import QueueChannel
from app.trainer.worker import Worker, process_main

STOP_SECONDS = 3.0  # how long a trainer process may take to stop before it is killed


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
    """A trainer process (``app.trainer.worker.process_main``) behind a duplex pipe."""

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
        """Queue the envelope, its command as bytes (what crosses the pipe)."""
        command = message.command
        data = command if isinstance(command, bytes) else encode(command)
        self.outbox.put(Envelope(message.request_id, message.session_id, data))

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
        self.outbox.put(Envelope(None, None, encode(Close())))
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
