"""The durable store of sessions: SQLite on one machine, PostgreSQL by URL for more.

::

    store = Store("sqlite:///data/playground.db")
    store.migrate()                                  # the schema at head (a no-op when it is)
    store.create_session(sid, client, body, "paused", 0, blob)   # durable when it returns
    store.checkpoint(sid, "playing", 120, blob)      # queued: returns at once, never blocks
    store.touch(sid)                                 # "a client used it now", queued too
    store.flush(timeout=5.0)                         # True once everything queued is written
    store.load(sid)                                  # StoredSession with the checkpoint bytes
    store.list_sessions()                            # every session, without the bytes
    store.close()

Checkpoints and touches go to a write queue keyed by session id (latest wins), written behind
the callers by one thread per store in batches (``app.store.writer``); a failed write is logged
and retried, nothing is raised into callers. ``load`` and ``list_sessions`` see queued changes
too (read your writes). The database, its schema and the classroom's transactions are
``app.store.database``'s; opening the store the settings name is ``app.store.opening``'s.

Synchronous calls (``migrate``, ``create_session``, ``delete``, ``delete_unused``, ``load``,
``list_sessions``) raise ``StoreError`` when the database fails. They take the same lock as the
writer's transactions, so a queued checkpoint never lands on a session deleted (or recreated
under the same id) after it was queued.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.store.database import BUSY_TIMEOUT_MS, Database, StoreError
from app.store.models import checkpoints, sessions
from app.store.writer import Queued, StoreStats, Writer
from app.store.writer import now as _now

_DELETE_CHUNK = 500

__all__ = ["Store", "StoreError", "StoreStats", "StoredSession"]


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as the store knows it. ``checkpoint`` (and ``saved_at``) are None in
    ``list_sessions``, which leaves the bytes in the database."""

    id: str
    client: str
    status: str
    epoch: int
    config: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime
    checkpoint: bytes | None = None
    saved_at: datetime | None = None


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Store(Database):
    """Sessions and their latest checkpoints in a SQL database; see the module docstring.

    url: a SQLAlchemy URL, ``sqlite:///path/to/file.db`` (its folder is created) or
        ``postgresql+psycopg://user:password@host:port/database``.
    synchronous: SQLite's ``PRAGMA synchronous``, ``"NORMAL"`` or ``"FULL"``.
    batch_max: the most sessions the writer saves in one transaction.
    """

    def __init__(
        self,
        url: str,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        batch_max: int = 256,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        super().__init__(url, synchronous=synchronous, busy_timeout_ms=busy_timeout_ms)
        self.batch_max = batch_max
        self._writes = Writer(self._write_engine, self._db_lock, batch_max)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- synchronous writes ------------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        client: str,
        config: dict[str, Any],
        status: str,
        epoch: int,
        checkpoint: bytes,
    ) -> None:
        """Save a new session and its first checkpoint; committed when this returns.

        Raises ``StoreError`` if the id is taken or the database fails."""
        now = _now()
        try:
            with self._db_lock:
                with self._write_engine.begin() as conn:
                    conn.execute(
                        insert(sessions).values(
                            id=session_id,
                            client=client,
                            created_at=now,
                            updated_at=now,
                            last_used_at=now,
                            status=status,
                            epoch=epoch,
                            config=config,
                        )
                    )
                    conn.execute(
                        insert(checkpoints).values(
                            session_id=session_id,
                            saved_at=now,
                            epoch=epoch,
                            status=status,
                            data=bytes(checkpoint),
                        )
                    )
                self._writes.drop([session_id])  # a change queued for an earlier session of this id
        except IntegrityError as exc:
            raise StoreError(f"session {session_id!r} already exists") from exc
        except SQLAlchemyError as exc:
            raise StoreError(f"saving session {session_id!r} failed: {exc}") from exc

    def delete(self, session_id: str) -> bool:
        """Delete a session, its checkpoint and its queued changes; False if it was not there."""
        try:
            with self._db_lock:
                with self._write_engine.begin() as conn:
                    found = conn.execute(delete(sessions).where(sessions.c.id == session_id))
                self._writes.drop([session_id])
        except SQLAlchemyError as exc:
            raise StoreError(f"deleting session {session_id!r} failed: {exc}") from exc
        return found.rowcount > 0

    def delete_unused(self, older_than: datetime) -> list[str]:
        """Delete every session last used before ``older_than`` (an aware datetime) and return
        their ids. A touch still in the queue counts as use."""
        if older_than.tzinfo is None:
            raise ValueError("older_than must be an aware datetime (e.g. datetime.now(UTC))")
        try:
            with self._db_lock:
                with self._write_engine.begin() as conn:
                    old = conn.scalars(
                        select(sessions.c.id).where(sessions.c.last_used_at < older_than)
                    ).all()
                    doomed = self._writes.unused(old, older_than)
                    for chunk in _chunks(doomed, _DELETE_CHUNK):
                        conn.execute(delete(sessions).where(sessions.c.id.in_(chunk)))
                self._writes.drop(doomed)
        except SQLAlchemyError as exc:
            raise StoreError(f"deleting unused sessions failed: {exc}") from exc
        return doomed

    # ---- queued writes -----------------------------------------------------------------------

    def checkpoint(self, session_id: str, status: str, epoch: int, data: bytes) -> bool:
        """Queue a session's latest checkpoint (replacing any queued one); never blocks.

        A checkpoint of a session that is not stored (never created, or deleted meanwhile) is
        dropped when written. Returns False (and drops it) only once the store is closing."""
        return self._writes.enqueue(
            session_id, checkpoint=(status, int(epoch), bytes(data), _now())
        )

    def touch(self, session_id: str, when: datetime | None = None) -> bool:
        """Queue "a client used this session at ``when`` (default now)"; never blocks."""
        if when is not None and when.tzinfo is None:
            raise ValueError("when must be an aware datetime")
        return self._writes.enqueue(session_id, touched_at=when or _now())

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed (or ``timeout`` seconds
        pass); True if it was. Changes queued meanwhile are not waited for."""
        return self._writes.flush(timeout)

    # ---- reads -------------------------------------------------------------------------------

    def load(self, session_id: str) -> StoredSession | None:
        """The session with its latest checkpoint (queued changes included), or None."""
        unwritten = self._writes.unwritten([session_id])  # before reading: nothing slips in between
        query = (
            select(sessions, checkpoints.c.data, checkpoints.c.saved_at)
            .join_from(sessions, checkpoints, isouter=True)
            .where(sessions.c.id == session_id)
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise StoreError(f"loading session {session_id!r} failed: {exc}") from exc
        if row is None:
            return None
        stored = StoredSession(
            id=row.id,
            client=row.client,
            status=row.status,
            epoch=row.epoch,
            config=row.config,
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_used_at=row.last_used_at,
            checkpoint=None if row.data is None else bytes(row.data),
            saved_at=row.saved_at,
        )
        return _apply(stored, unwritten.get(session_id), with_data=True)

    def list_sessions(self) -> list[StoredSession]:
        """Every stored session, oldest first, without checkpoint bytes (queued changes
        included)."""
        unwritten = self._writes.unwritten()
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(sessions).order_by(sessions.c.created_at, sessions.c.id)
                ).all()
        except SQLAlchemyError as exc:
            raise StoreError(f"listing sessions failed: {exc}") from exc
        return [
            _apply(
                StoredSession(
                    id=row.id,
                    client=row.client,
                    status=row.status,
                    epoch=row.epoch,
                    config=row.config,
                    created_at=row.created_at,
                    updated_at=row.updated_at,
                    last_used_at=row.last_used_at,
                ),
                unwritten.get(row.id),
                with_data=False,
            )
            for row in rows
        ]

    def stats(self) -> StoreStats:
        return self._writes.stats()

    # ---- shutdown ----------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> bool:
        """Refuse new changes, write the queued ones (waiting up to ``timeout`` s), stop the
        writer and release the database. True if nothing was left unwritten."""
        written = self._writes.close(timeout)
        if written is None:  # closed already
            return True
        self.engine.dispose()
        return written


def _apply(stored: StoredSession, unwritten: Queued | None, *, with_data: bool) -> StoredSession:
    """``stored`` with the changes not yet committed laid over it."""
    if unwritten is None:
        return stored
    if unwritten.checkpoint is not None:
        status, epoch, data, saved_at = unwritten.checkpoint
        if saved_at >= stored.updated_at:  # else a newer write landed while we read
            stored = replace(stored, status=status, epoch=epoch, updated_at=saved_at)
            if with_data:
                stored = replace(stored, checkpoint=data, saved_at=saved_at)
    if unwritten.touched_at is not None and unwritten.touched_at > stored.last_used_at:
        stored = replace(stored, last_used_at=unwritten.touched_at)
    return stored
