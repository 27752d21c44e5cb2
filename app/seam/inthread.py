"""One trainer in a thread of the web process (``BPP_TRAINERS=0``), fed through a queue: both
ends of the in-process link, ``ThreadTrainer`` (the web process's ``app.seam.base.Connection``)
and ``QueueChannel`` (the trainer's ``app.trainer.channels.Channel``). The same ``Worker``
speaking the same messages as a trainer process behind a pipe (``app.seam.pipes``); commands
cross the queue as the typed models themselves, messages go straight to ``deliver``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from app.seam.base import Connection, Deliver, Launch, take
from app.settings import Settings
from app.store import Store
from app.trainer.worker import Worker


class QueueChannel:
    """The trainer's end: commands arrive on a queue, messages leave through ``deliver`` (which
    hands them to the event loop)."""

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


class ThreadTrainer:
    """The web process's end: a ``Worker`` in a thread of this process, fed through a queue."""

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


def in_thread(settings: Settings, store: Store | None) -> Launch:
    """Start the trainer (there is one: index 0) in a thread sharing this process's store."""

    def launch(index: int, deliver: Deliver) -> Connection:
        return ThreadTrainer(settings, store, deliver)

    return launch
