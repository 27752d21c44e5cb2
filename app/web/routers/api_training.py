"""Training a session over REST: ``train`` (answered at once, or run as a job when long), the
jobs' progress and cancelling, and the stop condition (docs/contract.md, "REST")."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Response, status

from app import commands as c
from app import limits
from app.api_requests import TrainRequest
from app.jobs import is_job_document, job_url
from app.schemas import StopCondition
from app.web import responses as out
from app.web.contract import SESSION, errors
from app.web.deps import SessionDep, SettingsDep
from app.web.routers.api_answers import FRAME, INVALID, Responses, _example, encoded

router = APIRouter(prefix="/api", tags=["api"])

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
