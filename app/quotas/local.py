"""The limits' counters in this process (``app.quotas``, without a bus): ``LocalTries`` and
``LocalHoldings``.

Nothing below awaits between reading a counter and changing it: on one event loop each call
is atomic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from app.limits import check_memory
from app.quotas.base import refuse_room
from app.settings import Settings

MAX_KEYS = 100_000  # in process: a flood of distinct keys cannot grow memory without bound


class LocalTries:
    def __init__(self, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._counts: dict[str, tuple[int, float]] = {}  # key → (tries, window's end)

    def _current(self, key: str, now: float) -> tuple[int, float]:
        entry = self._counts.get(key)
        if entry is None or entry[1] <= now:
            self._counts.pop(key, None)
            return 0, now + self.window
        return entry

    def reserve_now(self, keys: Sequence[tuple[str, int]]) -> float:
        now = self.clock()
        current = [self._current(key, now) for key, _ in keys]
        wait = max(
            (end - now for (n, end), (_, limit) in zip(current, keys, strict=True) if n >= limit),
            default=0.0,
        )
        if wait > 0:
            return wait
        if len(self._counts) + len(keys) > MAX_KEYS:
            for old in list(self._counts)[: MAX_KEYS // 10]:  # the oldest keys go first
                del self._counts[old]
        for (key, _), (n, end) in zip(keys, current, strict=True):
            self._counts[key] = (n + 1, end)
        return 0.0

    async def reserve(self, keys: Sequence[tuple[str, int]]) -> float:
        return self.reserve_now(keys)

    async def refund(self, keys: Sequence[str]) -> None:
        now = self.clock()
        for key in keys:
            n, end = self._current(key, now)
            if n > 0:
                self._counts[key] = (n - 1, end)

    async def count(self, key: str) -> int:
        return self._current(key, self.clock())[0]


class LocalHoldings:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._held: dict[str, tuple[str, int]] = {}  # session → (client, bytes)
        self._per_client: dict[str, tuple[int, int]] = {}  # client → (sessions, bytes)
        self._bytes = 0

    def _add(self, session_id: str, client: str, nbytes: int) -> None:
        if session_id in self._held:
            return
        self._held[session_id] = (client, nbytes)
        n, b = self._per_client.get(client, (0, 0))
        self._per_client[client] = (n + 1, b + nbytes)
        self._bytes += nbytes

    async def admit(self, session_id: str, client: str, nbytes: int) -> None:
        if session_id in self._held:
            return
        n, b = self._per_client.get(client, (0, 0))
        refuse_room(self.settings, len(self._held), n)
        check_memory(nbytes, self._bytes, b, self.settings)
        self._add(session_id, client, nbytes)

    async def adopt(self, items: Sequence[tuple[str, str, int]]) -> None:
        for session_id, client, nbytes in items:
            self._add(session_id, client, nbytes)

    async def discharge(self, session_id: str) -> None:
        held = self._held.pop(session_id, None)
        if held is None:
            return
        client, nbytes = held
        n, b = self._per_client[client]
        if n <= 1:
            del self._per_client[client]
        else:
            self._per_client[client] = (n - 1, b - nbytes)
        self._bytes -= nbytes

    async def totals(self, client: str | None = None) -> tuple[int, int]:
        if client is None:
            return len(self._held), self._bytes
        return self._per_client.get(client, (0, 0))

    async def lost(self) -> bool:
        return False  # this process's memory: lost only with the process
