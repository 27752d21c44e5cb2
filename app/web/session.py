"""A session as the web process sees it: a handle on a session that lives in a trainer.

The engine state, the history and the play loop live in the trainer (``app.trainer.resident``,
``app.trainer.worker``); the web process keeps only what routing, limits and liveness need — the
session's trainer (None while the session rests in the store only: evicted, or not yet brought
back after a restart), its owner, when it was last used, and its status as last published.
``call`` sends a command to the trainer (bringing the session back first if needed) and returns
its encoded answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from app.commands import TrainerCommand, Watch
from app.errors import Moved
from app.seam.base import Address, TrainerLost, Trainers

WATCH_RENEW_SECONDS = 3.0  # a trainer forgets a count not renewed within 10 s


class SessionHandle:
    def __init__(
        self,
        session_id: str,
        client: str,
        trainer: Address | None,
        shape: str,
        pool: Trainers,
        bring_back: Callable[[SessionHandle], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = session_id
        self.client = client
        self.trainer = trainer
        self.shape = shape  # same-shaped sessions are placed together (they train stacked)
        self.pool = pool
        self.bring_back = bring_back
        self.clock = clock
        self.restoring: Any = None  # the future of a bring_back in progress
        self.status = "paused"
        self.epoch = 0
        self.closed = False
        self.last_active = clock()
        self.unwatched_since: float | None = clock()  # None while a live viewer is connected
        # (viewers, summary viewers, binary viewers) the trainer was last told
        self.told_viewers: tuple[int, ...] = (0, 0)
        self.told_at = -1e18

    @property
    def running(self) -> bool:
        return self.status == "running"

    def touch(self) -> None:
        self.last_active = self.clock()

    @property
    def resident(self) -> bool:
        return self.trainer is not None

    async def call(self, command: TrainerCommand) -> bytes | None:
        """Run ``command`` in the session's trainer; its encoded answer (``FieldError`` on refusal).
        A session that is not in a live trainer is brought back from the store first; one whose
        trainer died (or that another trainer took over) during the call is found again and the
        call retried."""
        self.touch()
        for attempt in range(3):
            if self.trainer is None or not self.pool.alive(self.trainer):
                self.trainer = None
                await self.bring_back(self)
            assert self.trainer is not None
            try:
                return await self.pool.request(self.trainer, command, self.id)
            except Moved as moved:
                self.trainer = moved.owner
            except TrainerLost:
                if attempt == 2 or self.closed:
                    raise
                self.trainer = None
        raise TrainerLost()

    def tell(self, command: TrainerCommand) -> None:
        if self.trainer is not None:
            self.pool.tell(self.trainer, command, self.id)

    def saw_status(self, data: bytes) -> None:
        """A status message the trainer published for this session."""
        message = orjson.loads(data)
        self.status = message.get("status", self.status)
        self.epoch = message.get("epoch", self.epoch)

    def watched_by(
        self, viewers: int, summary_viewers: int, now: float, binary_viewers: int = 0
    ) -> None:
        """The live viewers changed: remember since when nobody watches, tell the trainer (it
        encodes frames and summaries only for sessions someone watches)."""
        if viewers or summary_viewers:
            self.unwatched_since = None
        elif self.unwatched_since is None:
            self.unwatched_since = now
        if self.trainer is None:  # told when it is brought back (or found)
            return
        counts = (viewers, summary_viewers, binary_viewers)
        renew = any(counts) and now - self.told_at >= WATCH_RENEW_SECONDS
        if counts != self.told_viewers or renew:
            self.told_viewers, self.told_at = counts, now
            watch = Watch(
                viewers=viewers,
                summary_viewers=summary_viewers,
                binary_viewers=binary_viewers,
                source=self.pool.name,
            )
            self.tell(watch)

    def unwatched_seconds(self, now: float) -> float:
        return 0.0 if self.unwatched_since is None else now - self.unwatched_since

    def idle_seconds(self, now: float) -> float:
        """Seconds since the last request; a watched session is never idle."""
        if self.unwatched_since is None:
            return 0.0
        return now - max(self.last_active, self.unwatched_since)
