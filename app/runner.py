"""Where training runs: a small pool of threads off the event loop, shared by all sessions.

Sessions train in *chunks*: a chunk trains epochs until its time budget is spent and then (if
anyone watches) encodes one frame. The budget is one frame interval (1 / frame_rate) when the
pool has a thread for every playing session, and shrinks in proportion when more sessions play
than there are threads, so that every playing session still gets about frame_rate chunks — and
frames — per second. A later issue can replace this with worker processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from app.settings import Settings

T = TypeVar("T")

MIN_CHUNK_SECONDS = 0.002


class Runner:
    """Runs blocking engine work in a thread pool and counts the sessions that are playing."""

    def __init__(self, settings: Settings) -> None:
        self.threads = settings.training_threads
        self.frame_interval = 1.0 / settings.frame_rate
        self.playing = 0
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="bpp-train")

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in the pool; the event loop keeps serving meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def chunk_seconds(self) -> float:
        """The time budget of one training chunk (see the module docstring)."""
        share = self.threads / max(self.threads, self.playing)
        return max(MIN_CHUNK_SECONDS, self.frame_interval * share)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
