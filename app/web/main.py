"""Builds the application: settings, shared objects, middleware, routers, static files."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.errors import install_error_handlers
from app.lti import routes as lti_routes
from app.lti.service import CROSS_SITE_POSTS, LtiService
from app.paths import STATIC_DIR
from app.quotas import open_quotas
from app.seam import open_seam
from app.settings import Settings, get_settings
from app.sso import routes as sso_routes
from app.store import open_store
from app.version import server_version
from app.web import contract
from app.web.middleware import BodySizeLimit, JsonBody, SameOrigin, SecurityHeaders
from app.web.registry import LocalRegistry
from app.web.routers import (
    activity,
    api,
    api_inspect,
    api_sessions,
    api_training,
    auth,
    classroom,
    classroom_pages,
    classroom_results,
    health,
    lessons,
    library,
    pages,
    protocol,
    stream,
    student,
)
from app.web.routers.classroom_deps import Classrooms
from app.web.routers.docs import router as docs_router

DESCRIPTION = """A numpy backprop engine behind a REST API and a live WebSocket stream.

Notation and equation numbers follow the derivation (z, a, g'(z), δ, ∂E/∂w; Eq. 1–18).
Create a session with `POST /api/sessions`, then train it over REST or stream it over
`/api/sessions/{id}/stream`. The WebSocket protocol — every command and message, with
examples — is on the [protocol page](/protocol). A long `train` runs as a job (`202` and a
job URL to poll). Every answer carries the API's version in the `X-Playground-API` header
(`GET /api/version`). A Python client ships with the server: `backprop_playground.client`.
"""


WATCH_INTERVAL = 1.0  # seconds between checks of which viewers still read


async def _sweep(registry: LocalRegistry, interval: float) -> None:
    """Every ``interval`` seconds: pause unwatched sessions, evict idle ones to the store,
    delete those unused for ``retention_days``; every second,
    tell the trainers which sessions have live viewers (a viewer that stopped reading no
    longer counts); count the stored sessions again if Redis lost the limits' counters."""
    loop = asyncio.get_running_loop()
    next_sweep = loop.time() + interval
    while True:
        await asyncio.sleep(min(WATCH_INTERVAL, interval))
        registry.sync_all_viewers()
        if loop.time() >= next_sweep:
            next_sweep = loop.time() + interval
            await registry.pause_unwatched()
            await registry.evict_idle()
            await registry.delete_unused()
            await registry.recount()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    loop = asyncio.get_running_loop()
    app.state.pool.start(loop)
    app.state.hub.start(loop)
    await app.state.registry.start()
    await app.state.lti.start()
    if app.state.spawned is not None:
        app.state.spawned.start()
    sweeper = asyncio.create_task(_sweep(app.state.registry, settings.sweep_interval_seconds))
    try:
        yield
    finally:
        sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeper
        await app.state.lti.stop()
        await app.state.registry.close()
        await app.state.pool.close()
        if app.state.spawned is not None:
            await asyncio.to_thread(app.state.spawned.stop)
        await app.state.hub.close()
        await app.state.quotas.close()
        await asyncio.to_thread(app.state.store.close)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The playground application for ``settings`` (default: from the BPP_ environment)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Backprop Playground",
        version=server_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc from vendored files (app/web/routers/docs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.store = open_store(settings)
    seam = open_seam(settings, app.state.store)  # the trainers and the hub (app/seam)
    app.state.hub, app.state.pool, app.state.spawned = seam.hub, seam.trainers, seam.spawned
    app.state.quotas = open_quotas(settings)  # the limits' counters: Redis's on a bus
    app.state.registry = LocalRegistry(
        settings,
        app.state.hub,
        app.state.pool,
        app.state.store,
        holdings=app.state.quotas.holdings,
    )
    app.state.lti = LtiService(app)  # LMS platforms: LTI 1.3 (app/lti)
    app.add_middleware(JsonBody)  # inside BodySizeLimit: it gets the body in one message
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, timeout=settings.body_timeout_seconds
    )
    allowed = frozenset(
        o.strip().rstrip("/") for o in settings.allowed_origins.split(",") if o.strip()
    )
    app.add_middleware(SameOrigin, allowed=allowed, exempt=CROSS_SITE_POSTS)
    app.add_middleware(SecurityHeaders, framing=app.state.lti.framing)
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(docs_router)
    for rest in (api, api_sessions, api_training, api_inspect):  # the REST API
        app.include_router(rest.router)
    app.include_router(stream.router)
    app.include_router(pages.router)
    app.state.classrooms = Classrooms(app)  # the classroom's routes share it (classroom_deps)
    for part in (auth, lessons, classroom, classroom_results, student):  # the classroom's API
        app.include_router(part.router)
    activity.install(app)  # activities (issue 18): on the classroom's objects
    app.include_router(library.router)  # the lesson library (issue 18)
    app.include_router(library.pages)
    lti_routes.install(app)
    sso_routes.install(app)  # teachers' single sign-on (OpenID Connect)
    app.include_router(classroom_pages.router)
    app.include_router(protocol.router)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    contract.install(app)  # every operation's OpenAPI answers: the middleware's too
    return app
