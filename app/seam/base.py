"""The seam's two interfaces, as the web process sees them (JupyterHub's ``Spawner``,
broadcaster's backend): ``Trainers`` (where sessions train) and ``Hub`` (who hears what they
publish). ``app.seam.open_seam`` picks their implementations from the settings; nothing else
needs to know which one it holds.

An *address* names a trainer: an index for the trainers this web process starts itself (in a
thread, or processes behind pipes), a name on a Redis bus.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from app.errors import FieldError

if TYPE_CHECKING:
    from app.commands import TrainerCommand
    from app.web.hub import Mailbox

Address = int | str
StatusHook = Callable[[str, bytes], None]  # (session id, encoded status message)
LostHook = Callable[[list[str]], None]  # the sessions a stopped trainer held


class TrainerLost(FieldError):
    """A request's trainer stopped (or was never reachable): 503, never a hang."""

    def __init__(self) -> None:
        super().__init__(
            "session_id",
            "the trainer holding this session stopped; the session is lost (start it again)",
            status_code=503,
            kind="trainer_lost",
        )


class Trainers(Protocol):
    """The trainers of a deployment, seen from one web process.

    ``request`` sends a typed command (``app.commands``) and awaits its encoded answer, raising
    the ``FieldError`` the trainer refused it with, ``Moved`` when another trainer holds the
    session, or ``TrainerLost``. Published messages do not come back through here: they reach
    the ``Hub``."""

    name: str  # this web process, as the trainers know it (the source of its viewer counts)
    on_lost: LostHook | None  # sessions lost with a trainer that stopped (told by its pool)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Begin listening for answers on ``loop`` (the lifespan's)."""

    async def close(self) -> None:
        """Fail what still waits (``TrainerLost``) and stop what this process started."""

    def count(self) -> int:
        """How many trainers this web process reaches now."""

    def pids(self) -> list[int]:
        """Process ids of the trainers started by this web process."""

    def alive(self, address: Address) -> bool:
        """Whether the trainer at ``address`` can still answer."""

    async def locate(self, session_id: str) -> Address | None:
        """A live trainer that holds the session although this web process did not put it
        there (on a bus: another web process brought it back), or None."""

    async def place(self, session_id: str, shape: str) -> Address:
        """The trainer a new (or returning) session goes to, counted there at once."""

    def forget(self, address: Address, session_id: str) -> None:
        """The session left the trainer at ``address`` (or never arrived)."""

    async def request(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> bytes | None:
        """Run ``command`` on the trainer at ``address``; its encoded answer."""

    def tell(
        self, address: Address, command: TrainerCommand, session_id: str | None = None
    ) -> None:
        """Send ``command`` wanting no answer (never waits)."""

    async def any_trainer(self, command: TrainerCommand) -> bytes | None:
        """Run a session-less command (``backprop``) on the least-loaded trainer."""

    async def known(self, session_id: str) -> str | None:
        """The client of a session some web process of the deployment created (None: unknown
        beyond this web process's own registry)."""

    async def announce(self, sessions: list[tuple[str, str]]) -> None:
        """Make (session id, client) pairs known to every web process of the deployment."""

    async def withdraw(self, session_id: str) -> None:
        """The session is deleted: no web process should find it any more."""


class Hub(Protocol):
    """Fan-out of encoded messages from sessions to their viewers (``app.web.hub.Mailbox``: newest
    frame only, errors and sample steps queued)."""

    on_status: StatusHook | None  # every status a trainer published, as it arrives

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Begin receiving on ``loop``."""

    async def close(self) -> None: ...

    def receive(self, session_id: str, kind: str, data: bytes) -> None:
        """A message a trainer published arrived here: to the viewers, a status to
        ``on_status`` too."""

    def subscribe(self, session_id: str, mailbox: Mailbox | None = None) -> Mailbox: ...

    async def following(self, session_id: str) -> None:
        """Return once what the trainers publish for a session just subscribed to reaches this
        process's mailboxes (on a bus, once its channel's subscription is confirmed; a viewer
        asks for the panels only then, or they could be published before anyone listens)."""

    def subscribe_summaries(self, session_id: str, mailbox: Mailbox) -> None: ...

    def unsubscribe(self, session_id: str, mailbox: Mailbox) -> None: ...

    def publish(self, session_id: str, kind: str, text: str) -> None:
        """Put an encoded message in this web process's viewers' mailboxes."""

    async def broadcast(self, session_id: str, kind: str, text: str) -> None:
        """A message the web side sends (an activity event): to the session's viewers on every
        web process of the deployment, the way a trainer's messages reach them."""

    def viewers(self, session_id: str) -> int: ...

    def live_viewers(self, session_id: str, now: float, stall: float) -> tuple[int, int]: ...

    def binary_viewers(self, session_id: str, now: float, stall: float) -> int:
        """How many of the live full viewers read binary frames (``frame_bin``)."""
        ...

    def close_session(self, session_id: str) -> None: ...


class Connection(Protocol):
    """One running trainer this web process started (a thread, or a process behind a pipe)."""

    @property
    def pid(self) -> int | None: ...

    def send(self, message: Any) -> None:
        """Queue a message for the trainer (never blocks)."""

    def stop(self, wait: bool) -> None:
        """Ask it to stop (saving its sessions); with ``wait``, kill it if it does not."""


Deliver = Callable[[Any], None]  # called (from any thread) with each message a trainer sends
Launch = Callable[[int, Deliver], Connection]  # start trainer ``index``


def take(inbox: queue.SimpleQueue[Any], timeout: float) -> Any:
    """The next message a trainer's channel (``QueueChannel``, ``RedisChannel``) has in its
    ``inbox`` (None when none came in ``timeout`` seconds); a queued None means it closed."""
    try:
        message = inbox.get(timeout=timeout) if timeout > 0 else inbox.get_nowait()
    except queue.Empty:
        return None
    if message is None:
        raise EOFError
    return message
