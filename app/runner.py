"""Where training runs: off the event loop, in a few threads shared by all sessions.

- ``run(fn)`` runs one piece of blocking engine work (a REST request's) in a small pool.
- Playing sessions are *scheduled*: ``training_threads`` worker threads take them round-robin
  and run one *chunk* each — train until the chunk's time budget is spent, encode one frame if
  anyone watches — then put the session back at the end of the line. The budget is one frame
  interval (1 / frame_rate) for a lone session and shrinks as more sessions play, so that all
  of them keep delivering frames. Frames reach the event loop without the worker waiting for it.
  A session is in the line at most once and never runs two chunks at a time. A session busy
  with a REST request is skipped, not waited for (when the whole line is busy the worker waits
  a few milliseconds rather than spin).

A later issue can replace this with worker processes behind the same methods.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol, TypeVar

from app.settings import Settings

T = TypeVar("T")
log = logging.getLogger(__name__)

MIN_CHUNK_SECONDS = 0.0005
REST_THREADS = 4
BUSY_WAIT_SECONDS = 0.005  # back-off when every session in the line was busy in turn


class Playable(Protocol):
    def play_chunk(self, budget: float) -> bool | None:
        """Train one chunk; False when the session must stop (paused, diverged, closed), None
        when it is busy elsewhere (a REST request) and did nothing: try it again later."""
        ...


class Runner:
    def __init__(self, settings: Settings) -> None:
        self.threads = settings.training_threads
        self.frame_interval = 1.0 / settings.frame_rate
        self._pool = ThreadPoolExecutor(REST_THREADS, thread_name_prefix="bpp-rest")
        self._cond = threading.Condition()
        self._line: deque[Playable] = deque()
        self._scheduled: set[Playable] = set()  # playing: wants chunks
        self._queued: set[Playable] = set()  # in the line
        self._inflight: set[Playable] = set()  # its chunk is running now
        self._restarted: set[Playable] = set()  # start() met it in flight
        self._closed = False
        self._workers = [
            threading.Thread(target=self._work, name=f"bpp-train-{i}", daemon=True)
            for i in range(self.threads)
        ]
        for worker in self._workers:
            worker.start()

    @property
    def playing(self) -> int:
        return len(self._scheduled)

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(*args)`` in the pool; the event loop keeps serving meanwhile."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def chunk_seconds(self) -> float:
        """One frame interval, shared among the playing sessions beyond the worker count."""
        share = min(1.0, self.threads / max(1, len(self._scheduled)))
        return max(MIN_CHUNK_SECONDS, self.frame_interval * share)

    def start(self, session: Playable) -> None:
        """Put the session in the line, unless it is there already or its chunk is running
        (then the worker puts it back when the chunk ends): never two chunks of one session."""
        with self._cond:
            self._scheduled.add(session)
            if session in self._inflight:
                self._restarted.add(session)
            elif session not in self._queued:
                self._queued.add(session)
                self._line.append(session)
                self._cond.notify()

    def stop(self, session: Playable) -> None:
        """Take the session out of the line (a chunk in progress still finishes)."""
        with self._cond:
            self._scheduled.discard(session)

    def _work(self) -> None:
        busy = 0  # busy sessions met in a row: the whole line busy means wait a little
        while True:
            with self._cond:
                while not self._closed and not self._line:
                    self._cond.wait()
                if self._closed:
                    return
                if busy >= len(self._line):
                    busy = 0
                    self._cond.wait(BUSY_WAIT_SECONDS)
                    continue
                session = self._line.popleft()
                self._queued.discard(session)
                if session not in self._scheduled:
                    continue
                self._inflight.add(session)
                budget = self.chunk_seconds()
            try:
                keep = session.play_chunk(budget)
            except Exception:  # never let one session's failure stop the worker
                log.exception("training chunk failed")
                keep = False
            busy = busy + 1 if keep is None else 0
            with self._cond:
                self._inflight.discard(session)
                # started again during the chunk (paused and played): its False is stale
                restarted = session in self._restarted
                self._restarted.discard(session)
                if (keep is not False or restarted) and session in self._scheduled:
                    self._queued.add(session)
                    self._line.append(session)
                    self._cond.notify()
                else:
                    self._scheduled.discard(session)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._scheduled.clear()
            self._queued.clear()
            self._line.clear()
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
