"""Frame fan-out: one publisher (a training session), any number of viewers.

Each viewer owns a tiny mailbox, not an unbounded queue. Frames and status messages keep only
the newest one of their kind: publishing overwrites the slot, so a slow viewer always gets the
newest frame. Messages that must not be lost — ``error`` (each answers one command) and
``sample_step`` (each is one step the page explains) — wait in a short queue of their own
(``QUEUE_LIMIT``, the oldest dropped beyond it). A viewer that never reads therefore holds a
bounded number of messages, and publishing never waits on a socket, so one slow viewer cannot
stall another or the training.

Messages are published already encoded (JSON text), so a frame is serialised once however many
viewers watch it. A frame may come in two forms: ``frame`` (JSON text, to every full viewer)
and ``frame_bin`` (the binary frame of docs/contract.md, as bytes, only to viewers that asked
for it). Both fill the viewer's one ``frame`` slot, so a binary viewer of a session that also
has JSON viewers gets whichever of the two came last (the trainer publishes the binary one
last; the page reads both). ``LocalHub`` is the ``Hub`` (``app.seam.base``) of a web process whose
trainers it starts itself; ``app.seam.redis.RedisHub`` feeds one from Redis.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import OrderedDict, deque

from app.seam.base import StatusHook

QUEUED_KINDS = frozenset({"error", "sample_step"})
QUEUE_LIMIT = 16  # messages kept per queued kind
BINARY_FRAME = "frame_bin"  # the binary form of a ``frame`` (bytes), for binary viewers only


class Mailbox:
    """One viewer's pending messages in arrival order: the newest message of each latest-only
    kind, and up to ``QUEUE_LIMIT`` messages of each queued kind. A ``binary`` mailbox also
    takes binary frames (bytes)."""

    def __init__(self, binary: bool = False) -> None:
        self.binary = binary
        # key: the kind (latest-only), or (kind, n) for the n-th message of a queued kind
        self._pending: OrderedDict[str | tuple[str, int], str | bytes] = OrderedDict()
        self._queued: dict[str, deque[tuple[str, int]]] = {}
        self._count = itertools.count()
        self._ready = asyncio.Event()
        self.closed = False
        self.waiting_since: float | None = None  # when the oldest untaken message arrived

    def stalled(self, now: float, limit: float) -> bool:
        """True when a message has waited untaken for more than ``limit`` seconds: a viewer
        that does not read (it then no longer counts as watching)."""
        return self.waiting_since is not None and now - self.waiting_since > limit

    def put(self, kind: str, text: str | bytes) -> None:
        """Queue an error or sample step; replace the pending message of any other kind
        (moving it behind the other kinds)."""
        if kind in QUEUED_KINDS:
            keys = self._queued.setdefault(kind, deque())
            if len(keys) >= QUEUE_LIMIT:
                del self._pending[keys.popleft()]
            key = (kind, next(self._count))
            keys.append(key)
            self._pending[key] = text
        else:
            self._pending.pop(kind, None)
            self._pending[kind] = text
        if self.waiting_since is None:
            self.waiting_since = time.monotonic()
        self._ready.set()

    def pending(self) -> int:
        """How many messages wait to be sent."""
        return len(self._pending)

    def close(self) -> None:
        """Wake a waiting reader, which then gets ``None``."""
        self.closed = True
        self._ready.set()

    async def get(self) -> str | bytes | None:
        """Wait for the next message; ``None`` once the mailbox is closed and empty."""
        while not self._pending:
            if self.closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        key, text = self._pending.popitem(last=False)
        if isinstance(key, tuple):
            self._queued[key[0]].popleft()
        self.waiting_since = time.monotonic() if self._pending else None
        return text


class LocalHub:
    """In-process hub. All methods must be called from the event loop's thread.

    A session has full viewers (its page: every kind but ``summary``) and summary viewers (a
    dashboard: only ``summary``, kept latest-only per session, so one mailbox can watch many
    sessions)."""

    def __init__(self) -> None:
        self._mailboxes: dict[str, set[Mailbox]] = {}
        self._summaries: dict[str, set[Mailbox]] = {}
        self.on_status: StatusHook | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Nothing to start: messages arrive by ``receive``, on the loop's thread."""

    async def close(self) -> None:
        for table in (self._mailboxes, self._summaries):
            for boxes in table.values():
                for mailbox in boxes:
                    mailbox.close()

    def receive(self, session_id: str, kind: str, data: bytes) -> None:
        if kind == BINARY_FRAME:
            for mailbox in self._mailboxes.get(session_id, ()):
                if mailbox.binary:
                    mailbox.put("frame", data)
            return
        self.publish(session_id, kind, data.decode())
        if kind == "status" and self.on_status is not None:
            self.on_status(session_id, data)

    def subscribe(self, session_id: str, mailbox: Mailbox | None = None) -> Mailbox:
        mailbox = mailbox or Mailbox()
        self._mailboxes.setdefault(session_id, set()).add(mailbox)
        return mailbox

    async def following(self, session_id: str) -> None:
        """At once: a trainer's messages reach this hub directly (``receive``)."""

    def subscribe_summaries(self, session_id: str, mailbox: Mailbox) -> None:
        self._summaries.setdefault(session_id, set()).add(mailbox)

    def unsubscribe(self, session_id: str, mailbox: Mailbox) -> None:
        """Remove ``mailbox`` from the session's viewers (full and summary)."""
        for table in (self._mailboxes, self._summaries):
            boxes = table.get(session_id)
            if boxes is not None:
                boxes.discard(mailbox)
                if not boxes:
                    del table[session_id]

    def publish(self, session_id: str, kind: str, text: str) -> None:
        if kind == "summary":
            key = f"summary:{session_id}"
            for mailbox in self._summaries.get(session_id, ()):
                mailbox.put(key, text)
            return
        for mailbox in self._mailboxes.get(session_id, ()):
            mailbox.put(kind, text)

    async def broadcast(self, session_id: str, kind: str, text: str) -> None:
        """One web process: its own viewers are every viewer."""
        self.publish(session_id, kind, text)

    def viewers(self, session_id: str) -> int:
        return len(self._mailboxes.get(session_id, ()))

    def live_viewers(self, session_id: str, now: float, stall: float) -> tuple[int, int]:
        """(full, summary) viewers of the session that read what they are sent."""
        full, summary = (
            sum(1 for m in table.get(session_id, ()) if not m.stalled(now, stall))
            for table in (self._mailboxes, self._summaries)
        )
        return full, summary

    def binary_viewers(self, session_id: str, now: float, stall: float) -> int:
        """How many of the session's live full viewers read binary frames."""
        boxes = self._mailboxes.get(session_id, ())
        return sum(1 for m in boxes if m.binary and not m.stalled(now, stall))

    def close_session(self, session_id: str) -> None:
        """Close every full viewer's mailbox (the session is gone); dashboards stay open and
        simply stop hearing of it."""
        for mailbox in self._mailboxes.pop(session_id, set()):
            mailbox.close()
        self._summaries.pop(session_id, None)
