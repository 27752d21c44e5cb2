"""The store's write queue: checkpoints and touches are queued, and written behind the callers.

The queue is keyed by session id: a newer checkpoint of a session replaces the queued one
(latest wins), so the queue holds at most one entry per session however fast checkpoints come.
One writer thread per store saves whatever is queued, up to ``batch_max`` sessions per
transaction, one row per session per table, updated in place. A failed write is logged, kept in
the queue and retried with a growing back-off; nothing is raised into callers. ``unwritten``
lets the store's reads see queued changes too (read your writes).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Engine, LargeBinary, String, bindparam, update

from app.store.models import UTCDateTime, checkpoints, sessions

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class StoreStats:
    """The writer's state: ``queued`` sessions wait to be written (``in_flight`` of them in the
    transaction now running); ``batches``/``rows`` were committed; ``failures`` counts failed
    transactions (``consecutive_failures`` since the last success, with the ``last_error``)."""

    queued: int
    in_flight: int
    batches: int
    rows: int
    failures: int
    consecutive_failures: int
    last_error: str | None
    last_error_at: datetime | None
    writer_alive: bool


@dataclass(slots=True)
class Queued:
    """One session's unwritten changes. ``seq`` is the queue position of its oldest change, so
    that ``flush`` waits for it even when newer changes were merged in."""

    seq: int
    checkpoint: tuple[str, int, bytes, datetime] | None = None  # status, epoch, data, saved_at
    touched_at: datetime | None = None

    def merge(self, newer: Queued) -> None:
        """Take ``newer``'s changes where it has them (a later checkpoint wins)."""
        self.seq = min(self.seq, newer.seq)
        if newer.checkpoint is not None:
            self.checkpoint = newer.checkpoint
        if newer.touched_at is not None:
            self.touched_at = newer.touched_at


def now() -> datetime:
    return datetime.now(UTC)


# The writer's statements, one executemany each (bind names must differ from column names).
_WRITE_CHECKPOINT = (
    update(checkpoints)
    .where(checkpoints.c.session_id == bindparam("b_id", type_=String()))
    .values(
        saved_at=bindparam("b_saved_at", type_=UTCDateTime()),
        epoch=bindparam("b_epoch", type_=BigInteger()),
        status=bindparam("b_status", type_=String()),
        data=bindparam("b_data", type_=LargeBinary()),
    )
)
_WRITE_PROGRESS = (
    update(sessions)
    .where(sessions.c.id == bindparam("b_id", type_=String()))
    .values(
        updated_at=bindparam("b_saved_at", type_=UTCDateTime()),
        epoch=bindparam("b_epoch", type_=BigInteger()),
        status=bindparam("b_status", type_=String()),
    )
)
_WRITE_TOUCH = (
    update(sessions)
    .where(sessions.c.id == bindparam("b_id", type_=String()))
    .values(last_used_at=bindparam("b_used_at", type_=UTCDateTime()))
)


class Writer:
    """A store's queue of unwritten changes and the thread that writes them (see the module
    docstring). ``db_lock`` is held for each of its transactions: the store's synchronous
    writes take it too."""

    def __init__(self, write_engine: Engine, db_lock: threading.Lock, batch_max: int) -> None:
        self._write_engine = write_engine
        self._db_lock = db_lock
        self.batch_max = batch_max
        self._cond = threading.Condition(threading.Lock())  # guards everything below
        self._queue: dict[str, Queued] = {}  # insertion order: oldest first, never starved
        self._in_flight: dict[str, Queued] = {}  # the writer's transaction now running
        self._seq = 0
        self._closing = False  # no new changes accepted
        self._stopping = False  # the writer leaves
        self._closed = False
        self._batches = self._rows = self._failures = self._failures_in_row = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._writer = threading.Thread(target=self._run, name="bpp-store-writer", daemon=True)
        self._writer.start()

    def enqueue(self, session_id: str, **change: Any) -> bool:
        """Queue ``change`` (``checkpoint=`` or ``touched_at=``) of a session, merged into any
        queued one; never blocks. False (and dropped) once closing."""
        with self._cond:
            if self._closing:
                log.warning("store closing: change to session %s not saved", session_id)
                return False
            self._seq += 1
            entry = Queued(self._seq, **change)
            queued = self._queue.get(session_id)
            if queued is None:
                self._queue[session_id] = entry
            else:
                queued.merge(entry)
            self._cond.notify_all()
        return True

    def drop(self, session_ids: Iterable[str]) -> None:
        """Forget the queued changes of ``session_ids`` (deleted, or created anew)."""
        with self._cond:
            for sid in session_ids:
                self._queue.pop(sid, None)
            self._cond.notify_all()

    def unused(self, session_ids: Iterable[str], since: datetime) -> list[str]:
        """Those of ``session_ids`` with no touch queued at or after ``since``."""
        with self._cond:
            return [sid for sid in session_ids if not self._used_since(sid, since)]

    def _used_since(self, session_id: str, when: datetime) -> bool:
        queued = self._queue.get(session_id)
        return queued is not None and queued.touched_at is not None and queued.touched_at >= when

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed (or ``timeout`` seconds
        pass); True if it was. Changes queued meanwhile are not waited for."""
        with self._cond:
            target = self._seq

            def written() -> bool:
                waiting = (*self._queue.values(), *self._in_flight.values())
                return all(entry.seq > target for entry in waiting)

            return self._cond.wait_for(written, timeout)

    def unwritten(self, ids: Iterable[str] | None = None) -> dict[str, Queued]:
        """Copies of the queued and in-flight changes (of ``ids``, or all), merged per id."""
        with self._cond:
            merged: dict[str, Queued] = {}
            for source in (self._in_flight, self._queue):  # in flight is older than queued
                keys = source.keys() if ids is None else [i for i in ids if i in source]
                for sid in keys:
                    entry = replace(source[sid])
                    if sid in merged:
                        merged[sid].merge(entry)
                    else:
                        merged[sid] = entry
            return merged

    def stats(self) -> StoreStats:
        with self._cond:
            return StoreStats(
                queued=len(self._queue) + len(self._in_flight),
                in_flight=len(self._in_flight),
                batches=self._batches,
                rows=self._rows,
                failures=self._failures,
                consecutive_failures=self._failures_in_row,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                writer_alive=self._writer.is_alive(),
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._stopping)
                if self._stopping:
                    break
            try:
                failed = self._write_one_batch()
            except Exception:  # a bug, not a database error: keep the writer alive
                log.exception("store writer: unexpected error")
                failed = True
            if failed:
                with self._cond:
                    delay = min(MAX_BACKOFF_SECONDS, 0.05 * 2 ** max(self._failures_in_row - 1, 0))
                    self._cond.wait_for(lambda: self._stopping, delay)
        with self._cond:
            left = len(self._queue)
        if left:
            log.error("store writer stopped with %d sessions' changes unwritten", left)

    def _write_one_batch(self) -> bool:
        """Commit up to ``batch_max`` queued sessions in one transaction; True if it failed
        (the changes are queued again, behind any newer ones)."""
        with self._db_lock:
            with self._cond:
                # After a failure, one session at a time: one bad row cannot hold up the rest.
                limit = 1 if self._failures_in_row else self.batch_max
                for sid in list(self._queue)[:limit]:
                    self._in_flight[sid] = self._queue.pop(sid)
                batch = dict(self._in_flight)
            if not batch:
                return False
            try:
                self._write(batch)
            except Exception as exc:  # logged, retried, never raised
                self._writer_failed(batch, exc)
                return True
            with self._cond:
                self._in_flight.clear()
                self._batches += 1
                self._rows += len(batch)
                if self._failures_in_row:
                    log.info("store writes resumed after %d failures", self._failures_in_row)
                self._failures_in_row = 0
                self._cond.notify_all()
        return False

    def _writer_failed(self, batch: dict[str, Queued], exc: Exception) -> None:
        with self._cond:
            self._in_flight.clear()
            for sid, entry in batch.items():
                newer = self._queue.pop(sid, None)
                if newer is not None:
                    entry.merge(newer)
                self._queue[sid] = entry  # at the back: the others go first next time
            self._failures += 1
            self._failures_in_row += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
            self._last_error_at = now()
            in_row = self._failures_in_row
            self._cond.notify_all()
        if in_row == 1:
            log.error("store write of %d sessions failed; retrying", len(batch), exc_info=exc)
        else:
            log.warning("store write failed again (%d in a row): %s", in_row, self._last_error)

    def _write(self, batch: dict[str, Queued]) -> None:
        saved = [
            {"b_id": sid, "b_status": s, "b_epoch": e, "b_data": d, "b_saved_at": t}
            for sid, entry in batch.items()
            if entry.checkpoint is not None
            for s, e, d, t in [entry.checkpoint]
        ]
        touched = [
            {"b_id": sid, "b_used_at": entry.touched_at}
            for sid, entry in batch.items()
            if entry.touched_at is not None
        ]
        with self._write_engine.begin() as conn:
            if saved:
                conn.execute(_WRITE_CHECKPOINT, saved)
                conn.execute(_WRITE_PROGRESS, saved)
            if touched:
                conn.execute(_WRITE_TOUCH, touched)

    def close(self, timeout: float) -> bool | None:
        """Refuse new changes, write the queued ones (waiting up to ``timeout`` s) and stop the
        thread: True if nothing was left unwritten; None if it was closed already."""
        with self._cond:
            if self._closed:
                return None
            self._closed = self._closing = True
        written = self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._writer.join(timeout=max(timeout, 1.0))
        return written
