"""Frame fan-out: one publisher (a training session), any number of viewers.

Each viewer owns a tiny mailbox with one *slot per message kind* ("frame",
"status", "sample_step", ...), not a queue. Publishing overwrites the slot, so a
slow viewer always gets the newest frame and a viewer that never reads holds at
most one message per kind: memory is bounded by design, and publishing never
waits on a socket, so one slow viewer cannot stall another or the training.

Messages are published already encoded (JSON text), so a frame is serialised
once however many viewers watch it. ``Hub`` is the small interface the rest of
the app uses; ``LocalHub`` keeps everything in this process (a later issue can
put a Redis-backed hub behind the same three methods).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from typing import Protocol


class Mailbox:
    """One viewer's pending messages: the newest message of each kind, oldest kind first."""

    def __init__(self) -> None:
        self._pending: OrderedDict[str, str] = OrderedDict()
        self._ready = asyncio.Event()
        self.closed = False

    def put(self, kind: str, text: str) -> None:
        """Replace the pending message of this kind (moving it behind the other kinds)."""
        self._pending.pop(kind, None)
        self._pending[kind] = text
        self._ready.set()

    def pending(self) -> int:
        """How many messages wait to be sent (at most one per kind)."""
        return len(self._pending)

    def close(self) -> None:
        """Wake a waiting reader, which then gets ``None``."""
        self.closed = True
        self._ready.set()

    async def get(self) -> str | None:
        """Wait for the next message; ``None`` once the mailbox is closed and empty."""
        while not self._pending:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        _, text = self._pending.popitem(last=False)
        return text


class Hub(Protocol):
    """Fan-out of encoded messages from sessions to their viewers."""

    def subscribe(self, session_id: str) -> Mailbox: ...

    def unsubscribe(self, session_id: str, mailbox: Mailbox) -> None: ...

    def publish(self, session_id: str, kind: str, text: str) -> None: ...

    def viewers(self, session_id: str) -> int: ...

    def close_session(self, session_id: str) -> None: ...


class LocalHub:
    """In-process hub. All methods must be called from the event loop's thread."""

    def __init__(self) -> None:
        self._mailboxes: dict[str, set[Mailbox]] = {}

    def subscribe(self, session_id: str) -> Mailbox:
        mailbox = Mailbox()
        self._mailboxes.setdefault(session_id, set()).add(mailbox)
        return mailbox

    def unsubscribe(self, session_id: str, mailbox: Mailbox) -> None:
        boxes = self._mailboxes.get(session_id)
        if boxes is not None:
            boxes.discard(mailbox)
            if not boxes:
                del self._mailboxes[session_id]
        mailbox.close()

    def publish(self, session_id: str, kind: str, text: str) -> None:
        for mailbox in self._mailboxes.get(session_id, ()):
            mailbox.put(kind, text)

    def viewers(self, session_id: str) -> int:
        return len(self._mailboxes.get(session_id, ()))

    def close_session(self, session_id: str) -> None:
        """Close every viewer's mailbox (the session is gone)."""
        for mailbox in self._mailboxes.pop(session_id, set()):
            mailbox.close()
