"""Builds the application: settings, shared objects, middleware, routers, static files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.errors import install_error_handlers
from app.hub import LocalHub
from app.middleware import BodySizeLimit
from app.registry import LocalRegistry
from app.routers import api, health, pages, stream
from app.runner import Runner
from app.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"

DESCRIPTION = """A numpy backprop engine behind a REST API and a live WebSocket stream.

Notation and equation numbers follow the derivation (z, a, g'(z), δ, ∂E/∂w; Eq. 1–18).
Create a session with `POST /api/sessions`, then train it over REST or stream it over
`/api/sessions/{id}/stream`.
"""


async def _sweep(registry: LocalRegistry, interval: float) -> None:
    """Every ``interval`` seconds: expire idle sessions, pause unwatched ones."""
    while True:
        await asyncio.sleep(interval)
        await registry.expire()
        await registry.pause_unwatched()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    sweeper = asyncio.create_task(_sweep(app.state.registry, settings.sweep_interval_seconds))
    try:
        yield
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await app.state.registry.close()
        app.state.runner.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    """The playground application for ``settings`` (default: from the BPP_ environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Backprop Playground",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hub = LocalHub()
    app.state.runner = Runner(settings)
    app.state.registry = LocalRegistry(settings)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(stream.router)
    app.include_router(pages.router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
