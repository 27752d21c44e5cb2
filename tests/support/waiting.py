"""Polling instead of sleeping: wait for a condition with a deadline (tests run on loaded,
shared machines, so a fixed sleep is either too short or wasted)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], seconds: float = 30.0, what: str = "condition", every: float = 0.05
) -> T:
    """The first truthy value of ``predicate()``; fails the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)
