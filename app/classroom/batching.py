"""Group commit for the store work of answers that arrive together (issue 18's benchmark: a
class of 60 answering at once).

``Coalescer(many)`` turns concurrent ``await coalescer(item)`` calls into few calls of
``many(items)`` in a worker thread: the first caller starts a batch; every caller that comes
while that batch is in its thread joins the next one. One answer alone costs what it did
(one thread hop); 60 at once cost a handful of hops and a handful of transactions instead of
60 of each, each holding the store's write lock in turn. ``many`` must give the same results
as calling it once per item in order (``Answers.get_many``, ``Answers.record_many``; pinned by
``tests/test_answer_batching.py``). A batch that fails as a whole is retried one item at a
time, so one bad item fails only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(self, many: Callable[[list[T]], list[R]], limit: int) -> None:
        self.many = many
        self.limit = limit  # items per batch at most (``Settings.answer_batch``)
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        if self._task is not None and self._task.get_loop() is not loop:  # a new event loop
            self._task, self._pending = None, []  # (the old one's callers went with it)
        self._pending.append((item, future))
        if self._task is None:
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[T, asyncio.Future[R]]] = []
        try:
            await asyncio.sleep(0)  # callers already scheduled in this turn of the loop join
            while self._pending:
                batch = self._pending[: self.limit]
                del self._pending[: self.limit]
                outcomes = await asyncio.to_thread(self._run, [item for item, _ in batch])
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # its caller went away (the client disconnected)
                        continue
                    if ok:
                        future.set_result(value)  # type: ignore[arg-type]
                    else:
                        future.set_exception(value)  # type: ignore[arg-type]
                batch = []
        except BaseException:  # cancelled (shutdown): nobody may wait for ever
            for _, future in [*batch, *self._pending]:
                if not future.done():
                    future.set_exception(RuntimeError("the server is shutting down"))
            self._pending.clear()
            raise
        finally:
            if self._task is asyncio.current_task():
                self._task = None

    def _run(self, items: list[T]) -> list[tuple[bool, object]]:
        """``many(items)``; if it fails, each item alone (its own failure for its caller)."""
        try:
            results = self.many(items)
        except Exception as exc:
            if len(items) == 1:
                return [(False, exc)]
            return [self._one(item) for item in items]
        return [(True, r) for r in results]

    def _one(self, item: T) -> tuple[bool, object]:
        try:
            return True, self.many([item])[0]
        except Exception as exc:
            return False, exc
