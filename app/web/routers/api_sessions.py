"""A session's life over REST: create one, read its state, change its training live, reset it,
export it (as a body that recreates it, or as Python code) and delete it (docs/contract.md,
"REST")."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Body, Response, status

from app import commands as c
from app import limits
from app.schemas import ResetCommand, SessionCreate, TrainingPatch
from app.web import codegen
from app.web.contract import SESSION
from app.web.deps import ClientDep, RegistryDep, SessionDep, SettingsDep
from app.web.routers.api_answers import BUSY, FRAME, INVALID, STATE, TOO_MANY, encoded

router = APIRouter(prefix="/api", tags=["api"])


class PythonText(Response):
    """Python source (``export.py``)."""

    media_type = "text/x-python"


@router.post(
    "/sessions",
    status_code=status.HTTP_201_CREATED,
    responses={**INVALID, **TOO_MANY, **BUSY, 201: STATE[200]},
)
async def create_session(
    registry: RegistryDep,
    settings: SettingsDep,
    client: ClientDep,
    body: SessionCreate = Body(default_factory=SessionCreate),  # noqa: B008
) -> Response:
    """Create a session; an empty body gives circle data, 2-[4,2]-1 tanh, η = 0.03, batch 10.
    Answers 201 with the session's state (``SessionState``), including its ``id``."""
    limits.check_session(body, settings)
    _, state = await registry.create(client, body)
    return encoded(state, status.HTTP_201_CREATED)


@router.get("/sessions/{session_id}", responses={**SESSION, **STATE})
async def get_session(session: SessionDep) -> Response:
    """The session's configuration, status, data and current frame."""
    return encoded(await session.call(c.Get()))


@router.patch("/sessions/{session_id}", responses={**SESSION, **INVALID, **STATE})
async def patch_session(
    session: SessionDep, patch: TrainingPatch, settings: SettingsDep
) -> Response:
    """Change η, batch size, momentum or regularisation live; the weights are kept."""
    patch.check_limits(settings)
    return encoded(await session.call(c.Patch(training=patch)))


@router.post("/sessions/{session_id}/reset", responses={**SESSION, **FRAME})
async def reset(session: SessionDep) -> Response:
    """Back to the initial weights at epoch 0; answers the frame."""
    return encoded(await session.call(ResetCommand(type="reset")))


@router.get("/sessions/{session_id}/export", responses={**SESSION, 200: {"model": SessionCreate}})
async def export(session: SessionDep) -> Response:
    """A body that ``POST /api/sessions`` accepts to recreate this session bit-for-bit."""
    return encoded(await session.call(c.Export()))


@router.get(
    "/sessions/{session_id}/export.py",
    responses={
        **SESSION,
        **INVALID,
        200: {
            "description": "The Python source, as an attachment.",
            "content": {"text/x-python": {"schema": {"type": "string"}}},
        },
    },
    response_class=PythonText,
)
async def export_code(session: SessionDep, framework: codegen.Framework = "numpy") -> Response:
    """The trained network as code: a runnable numpy script (``framework=numpy``, the
    default) or a PyTorch module (``framework=pytorch``) with the trained weights; its
    ``forward`` reproduces ``predict``'s outputs."""
    exported = orjson.loads(await session.call(c.Export()) or b"null")
    text = codegen.generate(exported, session.id, framework)
    name = f"network_{framework}.py"
    return PythonText(
        content=text,
        media_type="text/x-python; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**SESSION}
)
async def delete_session(session: SessionDep, registry: RegistryDep) -> Response:
    """Stop and forget the session."""
    await registry.remove(session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
