"""The playground page at ``/``: one Jinja2 template; the catalog and the default session body
reach JavaScript once, as JSON (``|tojson``). Static URLs carry a content hash so a new release
is never served from a stale browser cache."""

from __future__ import annotations

import hashlib
from functools import cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.paths import STATIC_DIR, TEMPLATES_DIR
from app.schemas import shown_setup

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


@cache
def _digest(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return "missing"


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``."""
    return f"/static/{path}?v={_digest(path)}"


templates.env.globals["static"] = static_url


def _catalog(request: Request) -> dict[str, Any]:
    """The same document as ``GET /api/catalog``."""
    from app.web.routers.api import catalog_document

    return catalog_document(request.app.state.settings)


@router.get("/", response_class=HTMLResponse)
async def index(request: Request) -> HTMLResponse:
    """The playground page."""
    return templates.TemplateResponse(request, "index.html", {"boot": playground_boot(request)})


def playground_boot(request: Request) -> dict[str, Any]:
    """What the playground page needs at once: the catalog and the default session body."""
    return {"catalog": _catalog(request), "defaults": shown_setup({})}


@router.get("/derivation", response_class=HTMLResponse)
async def derivation(request: Request) -> HTMLResponse:
    """The backpropagation derivation (docs/derivation.md), Eq. 1–18 with an anchor each
    (``#eq-N``, and ``#step-N`` for the forward pass): what every "Eq. N" on the page links to."""
    return templates.TemplateResponse(request, "derivation.html", {})
