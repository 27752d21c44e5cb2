"""Typed dependencies: handlers read like prose (``session: SessionDep``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.errors import FieldError
from app.seam.base import Hub, Trainers
from app.settings import Settings
from app.web.registry import LocalRegistry
from app.web.session import SessionHandle


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_registry(request: Request) -> LocalRegistry:
    return request.app.state.registry


def get_hub(request: Request) -> Hub:
    return request.app.state.hub


def get_pool(request: Request) -> Trainers:
    return request.app.state.pool


async def valid_session(
    session_id: str, request: Request, registry: Annotated[LocalRegistry, Depends(get_registry)]
) -> SessionHandle:
    """The session named in the path, or 404; 403 naming the field if the caller may not do
    this to it (a classroom seat's session: ``app.classroom.access``)."""
    session = await registry.find(session_id)
    if session is None:
        raise FieldError(
            "session_id", f"no session {session_id!r} (expired or deleted?)", status_code=404
        )
    route = request.scope.get("route")
    template = getattr(route, "path", "")
    rest = template.split("{session_id}", 1)[1] if "{session_id}" in template else ""
    await request.app.state.classrooms.gate.check_rest(
        request, session.client, request.method, rest
    )
    return session


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[LocalRegistry, Depends(get_registry)]
HubDep = Annotated[Hub, Depends(get_hub)]
PoolDep = Annotated[Trainers, Depends(get_pool)]
SessionDep = Annotated[SessionHandle, Depends(valid_session)]
ClientDep = Annotated[str, Depends(client_address)]
