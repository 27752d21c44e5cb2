"""Shared fixtures: an app built from explicit settings and a TestClient running its lifespan;
real PostgreSQL and Redis servers (Debian's packages) for the parts that need them.

With ``BPP_TEST_BUS=1`` in the environment (``make test``'s third pass), every app that
``make_client`` builds trains on a Redis bus instead: the session's Redis, a database of its own
per app (emptied first), one trainer process on it — the third training mode, through the same
tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.main import create_app
from tests.support.durations import longest_first
from tests.support.postgres import PostgresServer, find_postgres_bindir, start_postgres
from tests.support.redis import RedisServer, find_redis_server, start_redis
from tests.support.services import service_missing


@pytest.fixture
def settings() -> Settings:
    """Default settings (tests that need other limits build their own)."""
    return Settings()


# The slowest single tests (over 20 s each in `pytest --durations` on the shared 2-core machine,
# several times their idle time) and the files that start clusters: left out of
# `make test-quick` (-m "not slow"), never out of `make test`. Whole files, or single tests.
SLOW = (
    "tests/test_bus.py",  # two web processes and two trainers on Redis and PostgreSQL, per test
    "tests/test_limits_at_once.py::test_two_web_processes",
    "tests/test_stacked.py::test_stacked_sessions_end_where_each_alone_would",
    "tests/test_fuzz_api.py::test_fuzzed_session_bodies_never_give_5xx",
    "tests/test_e2e_server.py::test_forwarded_addresses_are_trusted_only_from_configured_proxies",
    "tests/test_store.py::test_migrate_cli_migrates_the_store_of_the_settings",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


# after pytest's own grouping by fixture scope (and after the deselection by -m, which reads the
# markers added above: that hook runs first)
@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_longest_files_first(items: list[pytest.Item]) -> None:
    """The longest test files first (tests/support/durations.py): with ``make test``'s
    ``--no-loadscope-reorder`` the two workers take them in this order and finish together."""
    items[:] = longest_first(items)


BUS_MODE = os.environ.get("BPP_TEST_BUS", "") not in ("", "0")
REDIS_DATABASES = 16  # redis-server's default
TRAINER_START_SECONDS = 60.0  # a spawned trainer on a loaded 2-core machine


@pytest.fixture
def make_client(tmp_path, request) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)`` → a started TestClient; all are shut down after the test.
    Each app keeps its store in a folder of its own under the test's temporary folder (and, in
    the bus mode, its counters and trainers in a Redis database of its own)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        overrides.setdefault("data_dir", str(tmp_path / f"data{len(clients)}"))
        if BUS_MODE and "bus_url" not in overrides:
            redis: RedisServer = request.getfixturevalue("redis_server")
            db = len(clients) % (REDIS_DATABASES - 1)  # the last one is module_client's
            overrides["bus_url"] = redis.url.rsplit("/", 1)[0] + f"/{db}"
            redis.flushdb(db)
            overrides.setdefault("trainers", 1)
        client = TestClient(create_app(Settings(**overrides)))
        client.__enter__()
        clients.append(client)
        if BUS_MODE and hasattr(client.app.state.pool, "started"):  # its trainer is up
            client.portal.call(client.app.state.pool.started, TRAINER_START_SECONDS)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient], request) -> TestClient:
    """An app of the test's own on the default settings; in a file marked
    ``pytestmark = pytest.mark.shared_app`` the file's one app (``shared_client``), for files
    whose tests each work on fresh sessions of their own and read nothing app-wide that another
    test changes (counts of sessions, accounts, quotas)."""
    if request.node.get_closest_marker("shared_app"):
        return request.getfixturevalue("shared_client")
    return make_client()


@pytest.fixture(scope="module")
def module_client(tmp_path_factory, request) -> Iterator[TestClient]:
    """One app on the default settings for a whole test file, like ``client`` otherwise (its
    own store; in the bus mode the last Redis database, which ``make_client`` leaves alone), for
    tests whose answers cannot depend on what the file's other tests did: refusals that create
    nothing, 404s, edits refused on a session of their own (``module_session``); not beside tests
    that empty Redis (``redis_url``). An app's start (its store migrated) and its first
    session's trainer process (spawned: over a second on a loaded 2-core machine) are then paid
    once per file, not per test."""
    overrides: dict[str, Any] = {"data_dir": str(tmp_path_factory.mktemp("module-data"))}
    if BUS_MODE:
        redis: RedisServer = request.getfixturevalue("redis_server")
        db = REDIS_DATABASES - 1
        overrides["bus_url"] = redis.url.rsplit("/", 1)[0] + f"/{db}"
        redis.flushdb(db)
        overrides["trainers"] = 1
    with TestClient(create_app(Settings(**overrides))) as client:
        if BUS_MODE and hasattr(client.app.state.pool, "started"):
            client.portal.call(client.app.state.pool.started, TRAINER_START_SECONDS)
        yield client


@pytest.fixture
def module_session(module_client: TestClient) -> Iterator[Callable[..., dict]]:
    """``module_session(body)`` → a new session's state on ``module_client`` (asserting 201),
    deleted after the test: a test's own session on the file's shared app."""
    made: list[str] = []

    def make(body: dict | None = None) -> dict:
        response = module_client.post("/api/sessions", json=body or {})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return response.json()

    yield make
    for sid in made:
        assert module_client.delete(f"/api/sessions/{sid}").status_code == 204


@pytest.fixture
def shared_client(module_client: TestClient) -> Iterator[TestClient]:
    """``module_client`` for one test, which makes sessions of its own on it: every session the
    app holds after the test that it did not hold before is deleted (a 404 is a session the test
    deleted itself). ``client`` in a file marked ``shared_app`` (``new_session`` then makes its
    sessions there): the file pays for the app's start and its trainer process once, not per
    test."""
    registry = module_client.app.state.registry
    before = {handle.id for handle in registry}
    yield module_client
    for sid in {handle.id for handle in registry} - before:
        assert module_client.delete(f"/api/sessions/{sid}").status_code in (204, 404)


@pytest.fixture
def new_session(client: TestClient) -> Callable[..., dict]:
    """``new_session(body)`` → the created session's state (asserting 201)."""

    def make(body: dict | None = None) -> dict:
        response = client.post("/api/sessions", json=body or {})
        assert response.status_code == 201, response.text
        return response.json()

    return make


# ---- real services ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL for the whole run."""
    if find_postgres_bindir() is None:
        service_missing("PostgreSQL (initdb, postgres)")
    with start_postgres() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the session's PostgreSQL: its SQLAlchemy URL (psycopg 3)."""
    url = postgres_server.create_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One throwaway redis-server for the whole run."""
    if find_redis_server() is None:
        service_missing("redis-server")
    with start_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test: ``redis://127.0.0.1:PORT/0``."""
    redis_server.flushall()
    return redis_server.url
