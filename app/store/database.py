"""The store's database: a SQLAlchemy engine on SQLite (one file) or PostgreSQL (by URL), the
schema's migrations (``app.store.migrations``), and the transactions and reads of the tables
other than the sessions' (the classroom's). ``Store`` (``app.store.store``) is one of these
with the sessions' tables and their write queue (``app.store.writer``).

SQLite runs in WAL mode with ``synchronous=NORMAL`` (a crash of the process loses nothing that
was committed; a power cut may lose the last commits) or ``FULL`` (it does not, at one fsync per
commit); writers take the lock up front (``BEGIN IMMEDIATE``) and wait up to ``busy_timeout``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 5000


class StoreError(RuntimeError):
    """A synchronous store call failed (the database refused or could not be reached)."""


def _sqlite_begin(conn: Connection) -> None:
    """Emit BEGIN ourselves (pysqlite's own is off): DEFERRED to read, IMMEDIATE to write."""
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """A SQL database with its schema at a migration; see the module docstring.

    url: a SQLAlchemy URL, ``sqlite:///path/to/file.db`` (its folder is created) or
        ``postgresql+psycopg://user:password@host:port/database``.
    synchronous: SQLite's ``PRAGMA synchronous``, ``"NORMAL"`` or ``"FULL"``.
    """

    def __init__(
        self,
        url: str,
        *,
        synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> None:
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        self.url = make_url(url)
        if self.url.drivername in ("postgres", "postgresql"):  # psycopg 3 is the driver we ship
            self.url = self.url.set(drivername="postgresql+psycopg")
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

        # Held by the store's writer for a whole transaction and by every synchronous write, so
        # that a delete or create never interleaves with a batch that names the same session.
        self._db_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url.render_as_string(hide_password=True)!r})"

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
