"""Shared fixtures: an app built from explicit settings and a TestClient running its lifespan;
real PostgreSQL and Redis servers (Debian's packages) for the parts that need them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import Settings
from app.web.main import create_app
from tests.support.postgres import PostgresServer, find_postgres_bindir, start_postgres
from tests.support.redis import RedisServer, find_redis_server, start_redis
from tests.support.services import service_missing


@pytest.fixture
def settings() -> Settings:
    """Default settings (tests that need other limits build their own)."""
    return Settings()


@pytest.fixture
def make_client(tmp_path) -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)`` → a started TestClient; all are shut down after the test.
    Each app keeps its store in a folder of its own under the test's temporary folder."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        overrides.setdefault("data_dir", str(tmp_path / f"data{len(clients)}"))
        client = TestClient(create_app(Settings(**overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


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
