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

Checkpoints and touches go to a write queue keyed by session id: a newer checkpoint of a session
replaces the queued one (latest wins), so the queue holds at most one entry per session however
fast checkpoints come. One writer thread per store saves whatever is queued, up to ``batch_max``
sessions per transaction, one row per session per table, updated in place. A failed write is
logged, kept in the queue and retried with a growing back-off; nothing is raised into callers.
``load`` and ``list_sessions`` see queued changes too (read your writes).

Synchronous calls (``migrate``, ``create_session``, ``delete``, ``delete_unused``, ``load``,
``list_sessions``) raise ``StoreError`` when the database fails. They take the same lock as the
writer's transactions, so a queued checkpoint never lands on a session deleted (or recreated
under the same id) after it was queued.

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a crash of the process loses nothing that
was committed; a power cut may lose the last commits) or ``FULL`` (it does not, at one fsync per
commit); writers take the lock up front (``BEGIN IMMEDIATE``) and wait up to ``busy_timeout``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    LargeBinary,
    String,
    bindparam,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.store.models import UTCDateTime, checkpoints, sessions

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000
MAX_BACKOFF_SECONDS = 5.0
_DELETE_CHUNK = 500

__all__ = [
    "Store",
    "StoreError",
    "StoreStats",
    "StoredSession",
    "migrate_cli",
    "open_store",
    "store_url",
]


class StoreError(RuntimeError):
    """A synchronous store call failed (the database refused or could not be reached)."""


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
class _Queued:
    """One session's unwritten changes. ``seq`` is the queue position of its oldest change, so
    that ``flush`` waits for it even when newer changes were merged in."""

    seq: int
    checkpoint: tuple[str, int, bytes, datetime] | None = None  # status, epoch, data, saved_at
    touched_at: datetime | None = None

    def merge(self, newer: _Queued) -> None:
        """Take ``newer``'s changes where it has them (a later checkpoint wins)."""
        self.seq = min(self.seq, newer.seq)
        if newer.checkpoint is not None:
            self.checkpoint = newer.checkpoint
        if newer.touched_at is not None:
            self.touched_at = newer.touched_at


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _sqlite_begin(conn: Connection) -> None:
    """Emit BEGIN ourselves (pysqlite's own is off): DEFERRED to read, IMMEDIATE to write."""
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


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


class Store:
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
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        if batch_max < 1:
            raise ValueError("batch_max must be at least 1")
        self.url = make_url(url)
        if self.url.drivername in ("postgres", "postgresql"):  # psycopg 3 is the driver we ship
            self.url = self.url.set(drivername="postgresql+psycopg")
        self.batch_max = batch_max
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            database = self.url.database or ""
            if database in ("", ":memory:") or self.url.query.get("mode") == "memory":
                raise ValueError("the SQLite store needs a file: sqlite:///path/to/file.db")
            Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url, connect_args={"timeout": busy_timeout_ms / 1000}
            )
            pragmas = (
                "PRAGMA journal_mode=WAL",
                f"PRAGMA synchronous={synchronous}",
                f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
                "PRAGMA foreign_keys=ON",
            )

            def on_connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None  # we emit BEGIN (see _sqlite_begin)
                cursor = dbapi_connection.cursor()
                for pragma in pragmas:
                    cursor.execute(pragma)
                cursor.close()

            event.listen(self.engine, "connect", on_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
            self._write_engine: Engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True)
            self._write_engine = self.engine

        self._cond = threading.Condition(threading.Lock())  # guards everything below
        self._queue: dict[str, _Queued] = {}  # insertion order: oldest first, never starved
        self._in_flight: dict[str, _Queued] = {}  # the writer's transaction now running
        self._seq = 0
        self._closing = False  # no new changes accepted
        self._stopping = False  # the writer leaves
        self._closed = False
        self._batches = self._rows = self._failures = self._failures_in_row = 0
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        # Held by the writer for a whole transaction and by every synchronous write, so that a
        # delete or create never interleaves with a batch that names the same session.
        self._db_lock = threading.Lock()
        self._writer = threading.Thread(target=self._run, name="bpp-store-writer", daemon=True)
        self._writer.start()

    def __repr__(self) -> str:
        return f"Store({self.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- schema ------------------------------------------------------------------------------

    def migrate(self) -> str | None:
        """Bring the schema to the newest revision (a no-op when it is there); return it."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
        try:
            with self._db_lock, self._write_engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreError(f"migrating {self!r} failed: {exc}") from exc
        return self.revision()

    def revision(self) -> str | None:
        """The schema revision the database is at (None before the first ``migrate``)."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # ---- other tables (the classroom's) -------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction on the store's database, committed when the block ends (rolled
        back if it raises). For tables other than the sessions' (the classroom's); database
        failures become ``StoreError``, integrity errors pass through for callers to name."""
        try:
            with self._db_lock, self._write_engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"writing to {self!r} failed: {exc}") from exc

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads (no lock: SQLite's WAL and PostgreSQL let reads run beside
        the writer)."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"reading {self!r} failed: {exc}") from exc

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
                with self._cond:  # a change queued for an earlier session of this id
                    self._queue.pop(session_id, None)
                    self._cond.notify_all()
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
                with self._cond:
                    self._queue.pop(session_id, None)
                    self._cond.notify_all()
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
                    with self._cond:
                        doomed = [sid for sid in old if not self._used_since(sid, older_than)]
                    for chunk in _chunks(doomed, _DELETE_CHUNK):
                        conn.execute(delete(sessions).where(sessions.c.id.in_(chunk)))
                with self._cond:
                    for sid in doomed:
                        self._queue.pop(sid, None)
                    self._cond.notify_all()
        except SQLAlchemyError as exc:
            raise StoreError(f"deleting unused sessions failed: {exc}") from exc
        return doomed

    def _used_since(self, session_id: str, when: datetime) -> bool:
        queued = self._queue.get(session_id)
        return queued is not None and queued.touched_at is not None and queued.touched_at >= when

    # ---- queued writes -----------------------------------------------------------------------

    def checkpoint(self, session_id: str, status: str, epoch: int, data: bytes) -> bool:
        """Queue a session's latest checkpoint (replacing any queued one); never blocks.

        A checkpoint of a session that is not stored (never created, or deleted meanwhile) is
        dropped when written. Returns False (and drops it) only once the store is closing."""
        return self._enqueue(session_id, checkpoint=(status, int(epoch), bytes(data), _now()))

    def touch(self, session_id: str, when: datetime | None = None) -> bool:
        """Queue "a client used this session at ``when`` (default now)"; never blocks."""
        if when is not None and when.tzinfo is None:
            raise ValueError("when must be an aware datetime")
        return self._enqueue(session_id, touched_at=when or _now())

    def _enqueue(self, session_id: str, **change: Any) -> bool:
        with self._cond:
            if self._closing:
                log.warning("store closing: change to session %s not saved", session_id)
                return False
            self._seq += 1
            entry = _Queued(self._seq, **change)
            queued = self._queue.get(session_id)
            if queued is None:
                self._queue[session_id] = entry
            else:
                queued.merge(entry)
            self._cond.notify_all()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued before this call is committed (or ``timeout`` seconds
        pass); True if it was. Changes queued meanwhile are not waited for."""
        with self._cond:
            target = self._seq

            def written() -> bool:
                waiting = (*self._queue.values(), *self._in_flight.values())
                return all(entry.seq > target for entry in waiting)

            return self._cond.wait_for(written, timeout)

    # ---- reads -------------------------------------------------------------------------------

    def load(self, session_id: str) -> StoredSession | None:
        """The session with its latest checkpoint (queued changes included), or None."""
        unwritten = self._unwritten([session_id])  # before reading: nothing slips in between
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
        unwritten = self._unwritten()
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

    def _unwritten(self, ids: Iterable[str] | None = None) -> dict[str, _Queued]:
        """Copies of the queued and in-flight changes (of ``ids``, or all), merged per id."""
        with self._cond:
            merged: dict[str, _Queued] = {}
            for source in (self._in_flight, self._queue):  # in flight is older than queued
                keys = source.keys() if ids is None else [i for i in ids if i in source]
                for sid in keys:
                    entry = replace(source[sid])
                    if sid in merged:
                        merged[sid].merge(entry)
                    else:
                        merged[sid] = entry
            return merged

    # ---- the writer --------------------------------------------------------------------------

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

    def _writer_failed(self, batch: dict[str, _Queued], exc: Exception) -> None:
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
            self._last_error_at = _now()
            in_row = self._failures_in_row
            self._cond.notify_all()
        if in_row == 1:
            log.error("store write of %d sessions failed; retrying", len(batch), exc_info=exc)
        else:
            log.warning("store write failed again (%d in a row): %s", in_row, self._last_error)

    def _write(self, batch: dict[str, _Queued]) -> None:
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

    # ---- shutdown ----------------------------------------------------------------------------

    def close(self, timeout: float = 10.0) -> bool:
        """Refuse new changes, write the queued ones (waiting up to ``timeout`` s), stop the
        writer and release the database. True if nothing was left unwritten."""
        with self._cond:
            if self._closed:
                return True
            self._closed = self._closing = True
        written = self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._writer.join(timeout=max(timeout, 1.0))
        self.engine.dispose()
        return written


def _apply(stored: StoredSession, unwritten: _Queued | None, *, with_data: bool) -> StoredSession:
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


# ---- from settings ---------------------------------------------------------------------------


def store_url(settings: Settings) -> str:
    """``BPP_DATABASE_URL``, or the SQLite file ``{data_dir}/playground.db``."""
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(settings.data_dir) / 'playground.db'}"


def open_store(settings: Settings) -> Store:
    """A store as the settings describe it (not yet migrated)."""
    return Store(
        store_url(settings),
        synchronous=settings.sqlite_synchronous,
        batch_max=settings.store_batch_max,
    )


def migrate_cli(settings: Settings) -> int:
    """``backprop-playground migrate``: bring the store's schema to head; the exit status."""
    store = open_store(settings)
    try:
        revision = store.migrate()
    except StoreError as exc:
        print(f"migrate: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        store.close()
    shown = store.url.render_as_string(hide_password=True)
    print(f"Store {shown}: schema at revision {revision}", flush=True)
    return 0
