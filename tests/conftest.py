"""Shared fixtures: an app built from explicit settings and a TestClient running its lifespan."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


@pytest.fixture
def settings() -> Settings:
    """Default settings (tests that need other limits build their own)."""
    return Settings()


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    """``make_client(**settings)`` → a started TestClient; all are shut down after the test."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
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
