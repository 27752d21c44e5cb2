"""The durable session store (app/store) on a real SQLite file and a real PostgreSQL server: the
same tests on both."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.settings import Settings
from app.store import Store, StoreError, migrate_cli, store_url
from app.store.database import MIGRATIONS
from app.store.models import Base
from tests.support.server import ROOT

# the newest migration (branches re-chain theirs at merge: the tests ask, never hard-code)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()

CONFIG = {"layer_sizes": [2, 4, 1], "dataset": {"name": "circle"}, "learning_rate": 0.03}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A store URL: a SQLite file in a folder that does not exist yet, or a new PostgreSQL
    database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'playground.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    store = Store(url)
    store.migrate()
    yield store
    store.close()


def query(url: str, sql: str, **params: object) -> list[tuple]:
    """Rows read through a connection of its own (not the store's, nor its queue)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


@contextmanager
def writes_blocked(url: str) -> Iterator[None]:
    """Hold the database's write lock from another connection, so that the store's writer
    stalls inside its transaction until the block ends."""
    engine_url = sa.engine.make_url(url)
    if engine_url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(engine_url.database, isolation_level=None, timeout=10)
        conn.execute("BEGIN IMMEDIATE")  # the one writer's lock (readers still read, WAL)
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
    else:
        import psycopg

        conninfo = engine_url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo) as conn:
            conn.execute("LOCK TABLE sessions, checkpoints IN EXCLUSIVE MODE")  # SELECT still ok
            try:
                yield
            finally:
                conn.rollback()


def wait_until(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ---- schema ------------------------------------------------------------------------------------


def test_migrate_creates_the_schema_of_the_models_and_a_second_run_changes_nothing(url):
    with Store(url) as store:
        assert store.revision() is None
        assert store.migrate() == HEAD
        store.create_session("s1", "10.0.0.1", CONFIG, "paused", 0, b"state")
        assert store.migrate() == HEAD  # a no-op: the data is still there
        assert store.load("s1").checkpoint == b"state"

        with store.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            assert {"sessions", "checkpoints", "alembic_version"} <= tables
            (fk,) = sa.inspect(conn).get_foreign_keys("checkpoints")
            assert fk["referred_table"] == "sessions" and fk["options"]["ondelete"] == "CASCADE"
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert differences == []


def test_the_sqlite_data_folder_is_created_on_first_start(tmp_path):
    folder = tmp_path / "a" / "b"
    settings = Settings(data_dir=str(folder))
    assert store_url(settings) == f"sqlite:///{folder / 'playground.db'}"
    assert store_url(Settings(database_url="postgresql+psycopg://u@h/db")).startswith("postgres")
    with Store(store_url(settings)) as store:
        store.migrate()
    assert (folder / "playground.db").is_file()


def test_migrate_cli_migrates_the_store_of_the_settings(tmp_path, capsys):
    assert migrate_cli(Settings(data_dir=str(tmp_path / "data"))) == 0
    assert f"schema at revision {HEAD}" in capsys.readouterr().out
    env = {**os.environ, "BPP_DATA_DIR": str(tmp_path / "other"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "app", "migrate"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "other" / "playground.db").is_file()


# ---- sessions ----------------------------------------------------------------------------------


def test_a_created_session_loads_back_field_for_field(store):
    before = datetime.now(UTC)
    store.create_session("s1", "10.0.0.1", CONFIG, "paused", 7, b"\x00\x01 bytes \xff")
    loaded = store.load("s1")
    assert (loaded.id, loaded.client, loaded.status, loaded.epoch) == (
        "s1",
        "10.0.0.1",
        "paused",
        7,
    )
    assert loaded.config == CONFIG
    assert loaded.checkpoint == b"\x00\x01 bytes \xff"
    for moment in (loaded.created_at, loaded.updated_at, loaded.last_used_at, loaded.saved_at):
        assert moment.tzinfo is not None and before - timedelta(seconds=1) <= moment
        assert moment <= datetime.now(UTC)
    assert store.load("nobody") is None
    with pytest.raises(StoreError, match="already exists"):
        store.create_session("s1", "10.0.0.2", {}, "playing", 0, b"other")
    assert store.load("s1").checkpoint == b"\x00\x01 bytes \xff"


def test_a_created_session_is_committed_when_create_returns(store, url):
    store.create_session("s1", "c", CONFIG, "paused", 0, b"first")
    assert query(url, "SELECT data FROM checkpoints WHERE session_id = 's1'") == [(b"first",)]


def test_checkpoints_of_one_session_coalesce_to_the_last_in_one_row(store, url):
    store.create_session("s1", "c", CONFIG, "paused", 0, b"initial")
    rows_before = store.stats().rows
    with writes_blocked(url):
        for epoch in range(1, 101):
            store.checkpoint("s1", "playing", epoch, b"state-%d" % epoch)
        assert store.stats().queued <= 2  # one in the stalled transaction, one waiting
        assert store.load("s1").checkpoint == b"state-100"  # read your writes meanwhile
    assert store.flush(timeout=10)
    assert store.stats().rows - rows_before <= 2
    assert query(url, "SELECT count(*) FROM checkpoints") == [(1,)]
    assert query(url, "SELECT epoch, status, data FROM checkpoints") == [
        (100, "playing", b"state-100")
    ]
    assert query(url, "SELECT epoch, status FROM sessions") == [(100, "playing")]


def test_checkpoint_returns_at_once_while_the_writer_is_stalled_and_lands_after(store, url):
    store.create_session("s1", "c", CONFIG, "paused", 0, b"initial")
    with writes_blocked(url):
        started = time.perf_counter()
        assert store.checkpoint("s1", "playing", 5, b"five")
        store.touch("s1")
        assert time.perf_counter() - started < 0.1
        assert wait_until(lambda: store.stats().in_flight == 1)  # the writer is in its write
        assert not store.flush(timeout=0.3)
        assert query(url, "SELECT data FROM checkpoints") == [(b"initial",)]
    assert store.flush(timeout=10)
    assert query(url, "SELECT data FROM checkpoints") == [(b"five",)]
    assert store.stats().queued == 0


def test_list_sessions_shows_every_session_with_its_progress_but_no_bytes(store):
    for i in range(3):
        store.create_session(f"s{i}", f"client{i}", {"n": i}, "paused", 0, b"x" * 1000)
    store.checkpoint("s1", "playing", 42, b"later")
    listed = store.list_sessions()  # the queued checkpoint shows before it is written
    assert [s.id for s in listed] == ["s0", "s1", "s2"]
    assert [(s.status, s.epoch) for s in listed] == [("paused", 0), ("playing", 42), ("paused", 0)]
    assert all(s.checkpoint is None for s in listed)
    assert [s.config for s in listed] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert store.flush(timeout=10)
    assert [(s.status, s.epoch) for s in store.list_sessions()][1] == ("playing", 42)


def test_delete_removes_the_session_its_checkpoint_and_its_queued_changes(store, url):
    store.create_session("s1", "c", CONFIG, "paused", 0, b"old")
    store.create_session("s2", "c", CONFIG, "paused", 0, b"kept")
    with writes_blocked(url):
        store.checkpoint("s1", "playing", 9, b"queued")
        store.checkpoint("s1", "playing", 10, b"queued again")
        time.sleep(0.05)
    assert store.delete("s1") is True
    assert store.load("s1") is None
    assert query(url, "SELECT session_id FROM checkpoints") == [("s2",)]  # ON DELETE CASCADE
    assert store.delete("s1") is False
    store.create_session("s1", "c", CONFIG, "paused", 0, b"new")  # the same id again
    assert store.flush(timeout=10)
    assert store.load("s1").checkpoint == b"new"  # no change of the old s1 landed on it


def test_delete_unused_deletes_the_sessions_not_used_since(store):
    now = datetime.now(UTC)
    for sid in ("old1", "old2", "touched_late", "fresh"):
        store.create_session(sid, "c", CONFIG, "paused", 0, b"x")
    store.touch("old1", now - timedelta(days=40))
    store.touch("old2", now - timedelta(days=31))
    store.touch("touched_late", now - timedelta(days=40))
    store.touch("fresh", now + timedelta(days=40))  # an old checkpoint is not a use
    assert store.flush(timeout=10)
    store.touch("touched_late")  # queued (or written): either way it counts
    store.checkpoint("old1", "playing", 3, b"progress")  # progress is not use
    deleted = store.delete_unused(now + timedelta(days=1) - timedelta(days=30))
    assert sorted(deleted) == ["old1", "old2"]
    assert sorted(s.id for s in store.list_sessions()) == ["fresh", "touched_late"]
    assert store.delete_unused(now - timedelta(days=365)) == []
    with pytest.raises(ValueError, match="aware"):
        store.delete_unused(datetime.now())


def test_a_store_reopened_after_close_sees_everything(url):
    with Store(url) as first:
        first.migrate()
        first.create_session("s1", "c", CONFIG, "paused", 0, b"zero")
        first.create_session("s2", "c", {"other": True}, "paused", 0, b"zero")
        for epoch in range(1, 31):
            first.checkpoint("s1", "playing", epoch, b"state-%d" % epoch)
        first.checkpoint("s2", "diverged", 3, b"nan")
        used = datetime.now(UTC) - timedelta(hours=1)
        first.touch("s2", used)
    assert first.checkpoint("s1", "playing", 99, b"too late") is False  # closed: refused

    with Store(url) as second:
        second.migrate()
        s1, s2 = second.load("s1"), second.load("s2")
        assert (s1.status, s1.epoch, s1.checkpoint) == ("playing", 30, b"state-30")
        assert (s2.status, s2.epoch, s2.checkpoint, s2.config) == (
            "diverged",
            3,
            b"nan",
            {"other": True},
        )
        assert s2.last_used_at == used
        assert [s.id for s in second.list_sessions()] == ["s1", "s2"]


CRASHING_WRITER = textwrap.dedent(
    """
    import sys
    from app.store import Store

    store = Store(sys.argv[1])
    store.create_session("s1", "c", {}, "paused", 0, b"state-0")
    for epoch in range(1, 51):
        store.checkpoint("s1", "playing", epoch, b"state-%d" % epoch)
    assert store.flush(timeout=20)
    print("flushed", flush=True)
    epoch = 50
    while True:  # keeps writing until it is killed
        epoch += 1
        store.checkpoint("s1", "playing", epoch, b"state-%d" % epoch)
    """
)


def test_flushed_checkpoints_survive_a_kill_9_of_the_process(store, url):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = writer.stdout.readline()
        assert line == b"flushed\n", writer.stderr.read().decode()
        time.sleep(0.2)  # in the middle of more writes
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    with Store(url) as reopened:
        loaded = reopened.load("s1")
        assert loaded.epoch >= 50
        assert loaded.checkpoint == b"state-%d" % loaded.epoch  # a whole checkpoint, not torn
        if reopened.is_sqlite:
            with reopened.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"


# ---- SQLite only -------------------------------------------------------------------------------


@pytest.mark.parametrize(("synchronous", "level"), [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_connections_use_wal_the_synchronous_setting_a_busy_timeout_and_foreign_keys(
    tmp_path, synchronous, level
):
    with Store(f"sqlite:///{tmp_path / 'p.db'}", synchronous=synchronous) as store:
        store.migrate()
        with store.engine.connect() as a, store.engine.connect() as b:  # every connection
            for conn in (a, b):
                pragma = conn.exec_driver_sql
                assert pragma("PRAGMA journal_mode").scalar() == "wal"
                assert pragma("PRAGMA synchronous").scalar() == level
                assert pragma("PRAGMA busy_timeout").scalar() == 5000
                assert pragma("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(ValueError, match="NORMAL or FULL"):
        Store(f"sqlite:///{tmp_path / 'q.db'}", synchronous="OFF")  # type: ignore[arg-type]


def test_sqlite_writer_failures_are_retried_and_never_raised(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with Store(url, busy_timeout_ms=50) as store:
        store.migrate()
        store.create_session("s1", "c", CONFIG, "paused", 0, b"initial")
        with writes_blocked(url):  # longer than the busy timeout: "database is locked"
            assert store.checkpoint("s1", "playing", 1, b"one")
            assert wait_until(lambda: store.stats().failures >= 2)
            assert store.checkpoint("s1", "playing", 2, b"two")  # still accepted
            stats = store.stats()
            assert "locked" in stats.last_error and stats.writer_alive and stats.queued == 1
        assert store.flush(timeout=10)
        assert store.stats().consecutive_failures == 0
        assert query(url, "SELECT data FROM checkpoints") == [(b"two",)]
