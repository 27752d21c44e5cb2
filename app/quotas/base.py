"""What the limits' counters offer, wherever they are kept (``app.quotas``): ``Tries``
(attempts per key in a window) and ``Holdings`` (the sessions held, per client and in total),
and ``refuse_room``, the 429 both kinds of ``Holdings`` answer when a session is one too many.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from app.settings import Settings


class Tries(Protocol):
    async def reserve(self, keys: Sequence[tuple[str, int]]) -> float:
        """One try on every ``(key, limit)``, all or none: 0.0 when reserved, else the seconds
        until the window of a key at its limit ends (nothing is reserved)."""

    async def refund(self, keys: Sequence[str]) -> None:
        """Take back one try on each key (the attempt succeeded: it does not count)."""

    async def count(self, key: str) -> int:
        """The tries on ``key`` in its current window."""


class Holdings(Protocol):
    async def admit(self, session_id: str, client: str, nbytes: int) -> None:
        """Record a new session, or raise 429 (``FieldError``, field ``session``) naming the
        limit it would break; nothing is recorded then."""

    async def adopt(self, items: Sequence[tuple[str, str, int]]) -> None:
        """Record ``(session_id, client, bytes)`` of sessions that exist already (no limits)."""

    async def discharge(self, session_id: str) -> None:
        """The session is gone: it no longer counts (no-op if it did not)."""

    async def totals(self, client: str | None = None) -> tuple[int, int]:
        """(sessions, bytes) held in total, or by ``client``."""

    async def lost(self) -> bool:
        """True (once) when the counters were lost since they were last counted (Redis
        restarted empty): the caller adopts the store's sessions again."""


def refuse_room(settings: Settings, total: int, of_client: int) -> None:
    """Raise 429 naming ``max_sessions`` or ``max_sessions_per_client`` when one more session
    would exceed it."""
    from app.errors import FieldError

    if total >= settings.max_sessions:
        raise FieldError(
            "session",
            f"the server holds its limit of {settings.max_sessions} sessions (max_sessions); "
            "delete one or try later",
            status_code=429,
            kind="limit",
        )
    if of_client >= settings.max_sessions_per_client:
        raise FieldError(
            "session",
            f"this client holds its limit of {settings.max_sessions_per_client} sessions "
            "(max_sessions_per_client); delete one first",
            status_code=429,
            kind="limit",
        )
