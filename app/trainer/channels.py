"""Where a trainer's messages come from and go to: the ``Channel`` a ``Worker`` speaks through.

Its implementations are the seam's (``app.seam``), each beside the other end of its link: a
pipe to the web process in ``app.seam.pipes``, a queue (``BPP_TRAINERS=0``: a thread of the web
process) in ``app.seam.inthread``, Redis in ``app.seam.bus``.

In (web → trainer): an ``app.commands.Envelope``. Out (trainer → web):

- ``("reply", request_id, True, bytes | None)`` — the answer, encoded JSON;
- ``("reply", request_id, False, (field, message, status_code, kind))`` — a refusal;
- ``("pub", [(session_id, kind, bytes), ...])`` — messages for a session's viewers (``frame``,
  ``status``, ``summary``, ``sample_step``), encoded once in the trainer.
- ``("usage", bytes)`` — the heaviest weight the trainer trains (``app.commands.UsageReport``,
  ``app.trainer.elsewhere``); a channel whose other end shares none (a Redis bus) drops it.

Publications of an operation always leave before its reply.
"""

from __future__ import annotations

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
