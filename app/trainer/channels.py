"""Where a trainer's messages come from and go to: the ``Channel`` a ``Worker`` speaks
through, and its two local kinds — a pipe to the web process (trainer processes) and a queue
(``BPP_TRAINERS=0``: a thread of the web process). The Redis kind is ``app.seam.bus.RedisChannel``.

In (web → trainer): an ``app.commands.Envelope``. Out (trainer → web):

- ``("reply", request_id, True, bytes | None)`` — the answer, encoded JSON;
- ``("reply", request_id, False, (field, message, status_code, kind))`` — a refusal;
- ``("pub", [(session_id, kind, bytes), ...])`` — messages for a session's viewers (``frame``,
  ``status``, ``summary``, ``sample_step``), encoded once in the trainer.

Publications of an operation always leave before its reply.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any, Protocol


class Channel(Protocol):
    sessions: int  # how many sessions the trainer holds (set by its loop; for placement)

    def recv(self, timeout: float) -> Any:
        """The next inbound message, or None when none came within ``timeout`` seconds;
        raises EOFError when the other side is gone."""
        ...

    def send(self, message: Any) -> None: ...

    def claim(self, session_id: str) -> None:
        """Hold the session here (on a bus: raise ``Moved`` when a live trainer holds it)."""
        ...

    def release(self, session_id: str) -> None: ...


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


def take(inbox: queue.SimpleQueue[Any], timeout: float) -> Any:
    """The next message a channel's reader thread queued (None when none came in ``timeout``
    seconds); a queued None means the channel closed."""
    try:
        message = inbox.get(timeout=timeout) if timeout > 0 else inbox.get_nowait()
    except queue.Empty:
        return None
    if message is None:
        raise EOFError
    return message


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
