"""The REST API under ``/api`` (docs/contract.md, "REST"). Handlers stay short: validation is
in the schemas and ``app/limits.py``, the work in the session's trainer (a typed command,
``app/commands.py``, through ``SessionHandle.call``) and the engine."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Path, Response, status

from app import commands as c
from app import limits
from app.controls import catalog as controls_catalog
from app.jobs import is_job_document, job_url
from app.schemas import (
    BackpropRequest,
    BiasEdit,
    CsvRequest,
    GradientCheckRequest,
    PredictRequest,
    ResetCommand,
    SessionCreate,
    StopCondition,
    TrainingPatch,
    TrainRequest,
    WeightEdit,
)
from app.settings import Settings
from app.version import API_VERSION, version_document
from app.web import codegen, csvdata
from app.web import responses as out
from app.web.contract import SESSION, errors
from app.web.deps import ClientDep, PoolDep, RegistryDep, SessionDep, SettingsDep
from engine import ACTIVATIONS, INIT_SCHEMES, LOSSES, REGULARIZATIONS
from engine.datasets import DATASETS
from engine.features import FEATURES

router = APIRouter(prefix="/api", tags=["api"])

Responses = dict[int | str, dict[str, Any]]  # a route's ``responses=`` (OpenAPI)
INVALID = errors(422)
TOO_MANY = errors(429)
BUSY = errors(503)  # no trainer can take the request

FRAME_EXAMPLE = {
    "type": "frame",
    "epoch": 12,
    "status": "paused",
    "loss": {"train": 0.21, "test": 0.23},
    "metrics": {"train_accuracy": 0.9, "test_accuracy": 0.88},
    "weights": [[[0.1, -0.4]], [[0.3], [0.2]]],
    "biases": [[0.0, 0.1], [0.05]],
    "gradients": {"weights": [[[0.01, 0.0]], [[-0.02], [0.01]]], "biases": [[0.0, 0.0], [0.01]]},
    "probe": {
        "index": 0,
        "input": [1.0],
        "target": [1.0],
        "output": [0.8],
        "error": 0.02,
        "layers": [{"z": [0.1, -0.3], "a": [0.1, -0.29], "g_prime": [0.99, 0.91], "delta": [0, 0]}],
        "gradients": {"weights": [[[0.0, 0.0]], [[0.0], [-0.06]]], "biases": [[0, 0], [-0.2]]},
        "learning_rate": 0.03,
        "updated": {"weights": [[[0.1, -0.4]], [[0.3], [0.2018]]], "biases": [[0, 0.1], [0.056]]},
    },
    "node_stats": [{"mean_a": [0.1, -0.2], "mean_abs_delta": [0.01, 0.02]}],
    "grid": None,
}


def _example(example: Any, model: type | None = None) -> Responses:
    """A 200 answer's example and, for the OpenAPI document, its model (app/web/responses.py)."""
    answer: dict[str, Any] = {"content": {"application/json": {"example": example}}}
    return {200: {**answer, "model": model} if model else answer}


FRAME = _example(FRAME_EXAMPLE, out.Frame)
STATE = _example(
    {
        "id": "Vx3k…",
        "config": {"network": {}, "dataset": {}, "training": {}},
        "status": "paused",
        "epoch": 0,
        "layer_sizes": [2, 4, 2, 1],
        "frame": FRAME_EXAMPLE,
        "data": {"task": "classification", "feature_names": ["x1", "x2"], "domain": []},
    },
    out.SessionState,
)


class PythonText(Response):
    """Python source (``export.py``)."""

    media_type = "text/x-python"


def encoded(text: bytes | str | None, status_code: int = 200) -> Response:
    """An answer already encoded (orjson, in a pool thread): the event loop only sends it, and
    FastAPI's own encoding (tens of ms for a large frame) never stalls the other sockets."""
    return Response(content=text, status_code=status_code, media_type="application/json")


# settings a client has no business knowing: addresses with passwords, the server's folders
PRIVATE_SETTINGS = {"database_url", "bus_url", "data_dir"}


def catalog_document(settings: Settings | None = None) -> dict[str, Any]:
    """Everything a client needs to build its controls (``GET /api/catalog``)."""
    settings = settings or Settings()
    return {
        "api_version": API_VERSION,
        "activations": [
            {
                "name": a.name,
                "latex": a.latex,
                "latex_prime": a.latex_prime,
                "output_only": bool(a.output_only),
            }
            for a in ACTIVATIONS.values()
        ],
        "losses": [
            {
                "name": loss.name,
                "latex": loss.latex,
                "latex_delta": loss.latex_delta,
                "allowed_outputs": list(loss.allowed_outputs) if loss.allowed_outputs else None,
            }
            for loss in LOSSES.values()
        ],
        "init_schemes": list(INIT_SCHEMES),
        "regularizations": list(REGULARIZATIONS),
        "datasets": [
            {
                "name": d.name,
                "task": d.task,
                "dims": d.dims,
                "description": d.description,
                "params": list(d.params),
            }
            for d in DATASETS.values()
        ],
        "features": [{"name": f.name, "latex": f.latex} for f in FEATURES.values()],
        "limits": settings.model_dump(exclude=PRIVATE_SETTINGS),
        "controls": controls_catalog(),
    }


@router.post("/backprop", responses={**INVALID, **BUSY, 200: {"model": out.BackpropOut}})
async def backprop(body: BackpropRequest, settings: SettingsDep, pool: PoolDep) -> Response:
    """One forward pass, backward pass and update (Eq. 7) with the full trace: exactly the
    engine's ``backprop_step`` (stateless)."""
    limits.check_backprop(body, settings)
    payload = body.model_dump(exclude_none=True)
    return encoded(await pool.any_trainer(c.Backprop(payload=payload)))


@router.get("/version", responses=_example({"api": API_VERSION, "server": "0.1.0"}))
async def version() -> dict:
    """The API's version (``MAJOR.MINOR``; every answer also carries it in the
    ``X-Playground-API`` header) and the server's."""
    return version_document()


@router.get(
    "/catalog",
    responses=_example({"activations": [{"name": "tanh"}], "limits": {}}, out.Catalog),
)
async def catalog(settings: SettingsDep) -> dict:
    """Activations (with LaTeX), losses, init schemes, datasets, features and the limits."""
    return catalog_document(settings)


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


JOB_EXAMPLE = {
    "type": "job",
    "id": "q3Xr0Zk2a1E",
    "session_id": "Vx3k…",
    "url": "/api/sessions/Vx3k…/jobs/q3Xr0Zk2a1E",
    "status": "running",
    "epochs": 10000,
    "epochs_done": 2300,
    "progress": 0.23,
    "epoch": 2300,
    "loss": {"train": 0.08, "test": 0.09},
    "elapsed_seconds": 4.1,
    "eta_seconds": 13.7,
    "result": None,
}
JOB: Responses = {
    **SESSION,
    200: {
        "description": "The job: progress while it runs; once finished (status done, "
        "cancelled or diverged) the last frame as ``result``.",
        "content": {"application/json": {"example": JOB_EXAMPLE}},
        "model": out.JobOut,
    },
    **errors(404, notes={404: "No such session, or no such job on it (field ``job_id``)."}),
}


@router.post(
    "/sessions/{session_id}/train",
    responses={
        **SESSION,
        **INVALID,
        **FRAME,
        202: {
            "description": "A long request runs as a job: poll the ``Location`` (the job's "
            "``url``) for its progress and result, DELETE it to cancel.",
            "content": {"application/json": {"example": {**JOB_EXAMPLE, "status": "queued"}}},
            "model": out.JobOut,
        },
        **errors(
            409,
            429,
            notes={
                409: "The stop condition holds (field ``stop``), or the session is held by "
                "another trainer (field ``session_id``).",
                429: "The session has ``max_jobs_per_session`` unfinished jobs.",
            },
        ),
    },
)
async def train(session: SessionDep, request: TrainRequest, settings: SettingsDep) -> Response:
    """Train ``epochs`` epochs and answer the last frame (refused when the work exceeds
    ``max_train_work``; the message names the largest allowed ``epochs``). When the work
    exceeds ``max_sync_train_work`` (or ``"job": true``) it runs as a job instead: ``202`` at
    once with the job's document and its URL in ``Location``."""
    limits.check_epochs("epochs", request.epochs, settings)
    data = await session.call(c.Train(epochs=request.epochs, job=request.job)) or b""
    if not is_job_document(data):
        return encoded(data)
    answer = encoded(data, status.HTTP_202_ACCEPTED)
    answer.headers["Location"] = job_url(session.id, orjson.loads(data)["id"])
    return answer


@router.get("/sessions/{session_id}/jobs/{job_id}", responses=JOB)
async def get_job(session: SessionDep, job_id: str) -> Response:
    """A training job's progress (``epochs_done``, ``progress``, ``eta_seconds``, the current
    loss); once finished, the last frame as ``result``. A session keeps its last
    ``max_jobs_per_session`` jobs, saved with its checkpoint (after eviction or a restart a
    finished job answers without its ``result``; a running one trains on)."""
    return encoded(await session.call(c.JobStatus(job_id=job_id)))


@router.delete("/sessions/{session_id}/jobs/{job_id}", responses=JOB)
async def cancel_job(session: SessionDep, job_id: str) -> Response:
    """Stop a training job where it is (a queued one before it starts); answers the job,
    ``cancelled`` with the frame where it stopped as ``result``. A finished job is left as
    it is."""
    return encoded(await session.call(c.CancelJob(job_id=job_id)))


@router.post("/sessions/{session_id}/reset", responses={**SESSION, **FRAME})
async def reset(session: SessionDep) -> Response:
    """Back to the initial weights at epoch 0; answers the frame."""
    return encoded(await session.call(ResetCommand(type="reset")))


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


@router.post("/csv", response_model=None, responses={**INVALID, 200: {"model": out.CsvOut}})
def read_csv(body: CsvRequest, settings: SettingsDep) -> dict:
    """Read a CSV file's text: its columns, row count and first rows; with ``inputs`` and
    ``targets`` (column names) also the tables for an ``inline`` dataset. A bad file is
    refused naming the line and column (field ``text``)."""
    return csvdata.parse_csv(body.text, body.inputs, body.targets, settings)


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


@router.put(
    "/sessions/{session_id}/stop",
    responses={
        **SESSION,
        **INVALID,
        **_example({"stop": {"max_epochs": 500}, "reached": None}, out.StopOut),
    },
)
async def set_stop(session: SessionDep, stop: StopCondition) -> Response:
    """When training stops by itself: at the first epoch whose test loss is below
    ``test_loss_below``, or at epoch ``max_epochs`` (``{}`` clears both). Play, train and
    step stop there; while it holds they are refused (409 on ``stop``)."""
    return encoded(await session.call(c.SetStop(stop=stop)))


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


@router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**SESSION}
)
async def delete_session(session: SessionDep, registry: RegistryDep) -> Response:
    """Stop and forget the session."""
    await registry.remove(session.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


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
