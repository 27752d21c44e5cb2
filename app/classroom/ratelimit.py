"""Counting failures per key over a sliding minute: failed teacher logins (per address and per
account name) and wrong join codes (per address). In memory, per web process."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # a flood of distinct keys cannot grow memory without bound


class FailureLimit:
    """``limit`` failures per ``window`` seconds per key; ``blocked(key)`` says how many
    seconds until the key may try again (0: it may now)."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and q[0] <= now - self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def blocked(self, key: str) -> float:
        now = self.clock()
        q = self._recent(key, now)
        if len(q) < self.limit:
            return 0.0
        return max(0.0, q[0] + self.window - now)

    def failed(self, key: str) -> None:
        now = self.clock()
        if key not in self._failures and len(self._failures) >= MAX_KEYS:
            for old in list(self._failures)[: MAX_KEYS // 10]:  # the oldest keys go first
                del self._failures[old]
        self._failures.setdefault(key, deque()).append(now)
        self._recent(key, now)
