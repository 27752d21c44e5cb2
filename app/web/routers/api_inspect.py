"""Looking into a session's network over REST, and changing it by hand: the loss history,
predictions with their trace, the replay of kept epochs, the confusion matrices, one weight or
bias set, and the gradient check (docs/contract.md, "REST")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Response

from app import commands as c
from app import limits
from app.api_requests import BiasEdit, GradientCheckRequest, PredictRequest, WeightEdit
from app.web import responses as out
from app.web.contract import SESSION, errors
from app.web.deps import SessionDep, SettingsDep
from app.web.routers.api_answers import FRAME, INVALID, _example, encoded

router = APIRouter(prefix="/api", tags=["api"])


@router.get(
    "/sessions/{session_id}/history",
    responses={
        **SESSION,
        **_example({"epoch": [0, 1], "train": [0.5, 0.4], "test": [0.5, 0.45]}, out.HistoryOut),
    },
)
async def history(session: SessionDep) -> Response:
    """The loss curve: train and test loss per recorded epoch."""
    return encoded(await session.call(c.History()))


@router.post(
    "/sessions/{session_id}/predict",
    responses={**SESSION, **INVALID, 200: {"model": out.PredictOut}},
)
async def predict(session: SessionDep, request: PredictRequest, settings: SettingsDep) -> Response:
    """Outputs and the full trace (z, a, g'(z); δ, loss and gradients when targets are given)
    for the given input rows, without changing the network."""
    limits.at_most(
        "inputs", len(request.inputs), settings.max_predict_inputs, "max_predict_inputs", "rows"
    )
    limits.check_matrix("inputs", request.inputs, settings)
    if request.targets is not None:
        limits.check_matrix("targets", request.targets, settings)
    return encoded(await session.call(c.Predict(inputs=request.inputs, targets=request.targets)))


@router.get(
    "/sessions/{session_id}/replay",
    responses={
        **SESSION,
        **_example(
            {"epochs": [0, 2, 4], "stride": 2, "bytes": 600, "max_bytes": 4000000}, out.ReplayOut
        ),
    },
)
async def replay_epochs(session: SessionDep) -> Response:
    """The epochs whose weights are kept for replay (thinned within ``max_replay_bytes``)."""
    return encoded(await session.call(c.Replay()))


@router.get("/sessions/{session_id}/replay/{epoch}", responses={**SESSION, **INVALID, **FRAME})
async def replay_frame(session: SessionDep, epoch: Annotated[int, Path(ge=0)]) -> Response:
    """The frame of the network as it was at the last kept epoch ≤ ``epoch`` (``"replay":
    true``; its gradients are the full-batch mean gradient at those weights)."""
    return encoded(await session.call(c.Replay(epoch=epoch)))


@router.get(
    "/sessions/{session_id}/confusion",
    responses={
        **SESSION,
        **errors(
            409,
            notes={
                409: "Regression data (field ``task``), or the session is held by another "
                "trainer (field ``session_id``)."
            },
        ),
        **_example(
            {"epoch": 12, "classes": ["0", "1"], "train": [[120, 5], [3, 122]], "test": None},
            out.ConfusionOut,
        ),
    },
)
async def confusion(session: SessionDep) -> Response:
    """Confusion matrices of the training and test sets at the current weights (rows: true
    class, columns: predicted class), as the engine classifies (its accuracy's rule)."""
    return encoded(await session.call(c.Confusion()))


@router.post("/sessions/{session_id}/weights", responses={**SESSION, **INVALID, **FRAME})
async def edit_weight(session: SessionDep, edit: WeightEdit) -> Response:
    """Set one weight w_ij of W[layer]; answers the new frame."""
    return encoded(
        await session.call(
            c.Edit(kind="weight", layer=edit.layer, j=edit.j, value=edit.value, i=edit.i)
        )
    )


@router.post("/sessions/{session_id}/biases", responses={**SESSION, **INVALID, **FRAME})
async def edit_bias(session: SessionDep, edit: BiasEdit) -> Response:
    """Set one bias b_j of b[layer]; answers the new frame."""
    return encoded(
        await session.call(c.Edit(kind="bias", layer=edit.layer, j=edit.j, value=edit.value))
    )


@router.post(
    "/sessions/{session_id}/gradient_check",
    responses={**SESSION, **INVALID, 200: {"model": out.GradientCheckOut}},
)
async def gradient_check(
    session: SessionDep,
    request: GradientCheckRequest = Body(default_factory=GradientCheckRequest),  # noqa: B008
) -> Response:
    """Analytic gradients (Eq. 6, 8, 15, 18) against central finite differences on the first
    ``samples`` training samples."""
    return encoded(await session.call(c.GradientCheck(samples=request.samples, eps=request.eps)))
