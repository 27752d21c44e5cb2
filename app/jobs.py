"""Training jobs: a long ``POST /api/sessions/{id}/train`` answered at once with a job to poll.

A train request whose work exceeds ``max_sync_train_work`` (or that asks ``"job": true``) is
queued in the session's trainer like any train request, but answered right away with the job's
document (``202``, ``Location: /api/sessions/{id}/jobs/{job_id}``). The job lives beside its
session in the trainer (``app.trainer.worker``), so it works the same with trainer processes, with
``BPP_TRAINERS=0`` and on a bus: ``GET`` the job URL for its progress (and, once finished, the
last frame as ``result``), ``DELETE`` it to stop the training where it is.

Plain data only (no web framework): trainer processes import this module.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from app import encoding

QUEUED, RUNNING, DONE, CANCELLED, DIVERGED = "queued", "running", "done", "cancelled", "diverged"
FINISHED = frozenset({DONE, CANCELLED, DIVERGED})
JOB_PREFIX = b'{"type":"job"'  # how an encoded job document begins (orjson, keys in order)


def new_job_id() -> str:
    """64 bits from the OS's CSPRNG, URL-safe (11 characters)."""
    return secrets.token_urlsafe(8)


def is_job_document(data: bytes | None) -> bool:
    """Whether a trainer's answer to ``train`` is a job document (else it is the last frame)."""
    return data is not None and data.startswith(JOB_PREFIX)


def job_url(session_id: str, job_id: str) -> str:
    return f"/api/sessions/{session_id}/jobs/{job_id}"


@dataclass
class Job:
    """One train request run as a job. ``start_epoch`` is the session's epoch when its training
    began; ``result`` the encoded last frame once it is finished."""

    id: str
    session_id: str
    epochs: int
    created_at: float
    status: str = QUEUED
    start_epoch: int = 0
    epochs_done: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    result: bytes | None = None

    def state(self, now: float) -> dict[str, Any]:
        """The job as saved with its session's checkpoint (``from_state``), without its
        result; times as seconds before ``now`` (a trainer's clock does not survive it)."""
        return {
            "id": self.id,
            "epochs": self.epochs,
            "status": self.status,
            "start_epoch": self.start_epoch,
            "epochs_done": self.epochs_done,
            "age": now - self.created_at,
            "started": None if self.started_at is None else now - self.started_at,
            "finished": None if self.finished_at is None else now - self.finished_at,
        }

    @classmethod
    def from_state(cls, session_id: str, state: dict[str, Any], now: float) -> Job:
        """A job as ``state`` saved it, its times moved onto this trainer's clock ``now``."""

        def at(ago: Any) -> float | None:
            return None if ago is None else now - float(ago)

        status = str(state["status"])
        return cls(
            id=str(state["id"]),
            session_id=session_id,
            epochs=int(state["epochs"]),
            created_at=now - float(state["age"]),
            status=status if status in FINISHED or status in (QUEUED, RUNNING) else CANCELLED,
            start_epoch=int(state["start_epoch"]),
            epochs_done=int(state["epochs_done"]),
            started_at=at(state["started"]),
            finished_at=at(state["finished"]),
        )

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def start(self, epoch: int, now: float) -> None:
        self.status, self.start_epoch, self.started_at = RUNNING, epoch, now

    def finish(self, epoch: int, diverged: bool, result: bytes | None, now: float) -> None:
        """Training stopped at ``epoch``: done when every epoch ran, else cancelled (a
        ``DELETE``, a reset or the session's deletion cut it short) or diverged."""
        if self.started_at is not None:
            self.epochs_done = max(0, epoch - self.start_epoch)
        if diverged:
            self.status = DIVERGED
        else:
            self.status = DONE if self.epochs_done >= self.epochs else CANCELLED
        self.finished_at, self.result = now, result

    def document(
        self, now: float, epoch: int, loss: dict[str, Any], pending_epochs: int = 0
    ) -> bytes:
        """The job as JSON: progress while it runs, the last frame as ``result`` once done.
        ``pending_epochs`` are the epochs the running job still owes."""
        done = self.epochs_done
        if self.status == RUNNING:
            done = max(0, min(self.epochs, self.epochs - pending_epochs))
        start = self.started_at
        end = self.finished_at if self.finished_at is not None else now
        elapsed = 0.0 if start is None else max(0.0, end - start)
        eta = None
        if self.status == RUNNING and done > 0:
            eta = round(elapsed / done * (self.epochs - done), 3)
        elif self.finished:
            eta = 0.0
        return encoding.dumpb(
            {
                "type": "job",
                "id": self.id,
                "session_id": self.session_id,
                "url": job_url(self.session_id, self.id),
                "status": self.status,
                "epochs": self.epochs,
                "epochs_done": done,
                "progress": round(done / self.epochs, 6) if self.epochs else 1.0,
                "epoch": epoch,
                "loss": loss,
                "elapsed_seconds": round(elapsed, 3),
                "eta_seconds": eta,
                "result": None if self.result is None else encoding.Fragment(self.result),
            }
        )
