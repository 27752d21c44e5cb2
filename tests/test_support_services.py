"""The test helpers that run real services (tests/support/postgres.py, redis.py) and the rule
that a missing service skips locally but fails in CI."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.support.services import service_missing


def test_postgres_fixture_gives_a_fresh_database_of_a_real_server(postgres_server, postgres_url):
    assert postgres_server.alive()
    assert postgres_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version()")).scalar().startswith("PostgreSQL")
            assert sa.inspect(conn).get_table_names() == []
            owner = conn.execute(sa.text("SELECT current_user")).scalar()
        assert owner == "postgres"
    finally:
        engine.dispose()
    if os.geteuid() == 0:  # PostgreSQL refuses root: the server runs as the postgres user
        stat = postgres_server.data_dir.stat()
        assert stat.st_uid != 0


def test_redis_fixture_gives_an_empty_real_server(redis_server, redis_url):
    assert redis_url == redis_server.url
    assert redis_server.command("DBSIZE") == b":0"
    assert redis_server.command("SET", "k", "v") == b"+OK"
    assert redis_server.command("CONFIG", "GET", "save") == b"*2"  # ["save", ""]
    redis_server.flushall()
    assert redis_server.command("DBSIZE") == b":0"


def test_a_missing_service_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        service_missing("redis-server")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run every test"):
        service_missing("redis-server")
