"""A trainer's queries: the commands answered from a session as it is, without training it or
changing it — its state, frame, status, summary, history, export and confusion matrix, a
replayed epoch, predictions, a gradient check, a job's progress, a one-sample backprop
(Eqs. 1–18 on the sample sent), a setup's check, and a push of its panels to its viewers.

Each is a handler of ``app.trainer.handlers``'s table (``Queries.table``), run by
``Handlers.take`` like every other command, with the same refusals and answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app import commands as c
from app.trainer import frames
from app.trainer.build import build
from app.trainer.lifecycle import Lifecycle
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.trains import TrainQueue
from engine import backprop_step

Handler = Callable[[Any, Any, Any], Any]  # (session id, request id, command) → answer


class Queries:
    def __init__(self, life: Lifecycle, publisher: Publisher, trains: TrainQueue) -> None:
        self.life = life
        self.out = publisher
        self.trains = trains

    def table(self) -> dict[type, Handler]:
        """The handler of each query's command type."""
        return {
            c.Backprop: self.backprop,
            c.CheckSetup: self.check_setup,
            c.Get: self.read(Resident.state_bytes),
            c.Frame: self.read(Resident.frame_bytes),
            c.Status: self.read(Resident.status_bytes),
            c.Summary: self.read(Resident.summary_bytes),
            c.History: self.read(Resident.history_bytes),
            c.Panels: self.panels,
            c.Export: self.read(Resident.export_bytes),
            c.Confusion: self.read(Resident.confusion),
            c.Replay: self.replay,
            c.Predict: self.predict,
            c.GradientCheck: self.gradient_check,
            c.JobStatus: self.job,
        }

    def read(self, encode: Callable[[Resident], bytes]) -> Handler:
        """A handler answering ``encode(resident)``."""
        return lambda sid, _rid, _cmd: encode(self.life.resident(sid))

    def panels(self, sid: str | None, _rid: Any, _cmd: c.Panels) -> None:
        """Push the session's full panels to its viewers (a viewer connected)."""
        self.out.panels.send(self.life.resident(sid), True)

    def backprop(self, _sid: Any, _rid: Any, cmd: c.Backprop) -> bytes:
        """One sample's forward and backward pass (Eqs. 1–18), no session involved."""
        return frames.dumpb(backprop_step(cmd.payload))

    def check_setup(self, _sid: Any, _rid: Any, cmd: c.CheckSetup) -> None:
        """Refuse a setup the trainer could not build (answers nothing when it could)."""
        build(cmd.body, self.life.settings)

    def replay(self, sid: str | None, _rid: Any, cmd: c.Replay) -> bytes:
        r = self.life.resident(sid)
        return r.replay_json() if cmd.epoch is None else r.replay_frame(cmd.epoch)

    def predict(self, sid: str | None, _rid: Any, cmd: c.Predict) -> bytes:
        return self.life.resident(sid).predict(cmd.inputs, cmd.targets)

    def gradient_check(self, sid: str | None, _rid: Any, cmd: c.GradientCheck) -> bytes:
        return self.life.resident(sid).gradient_check(cmd.samples, cmd.eps)

    def job(self, sid: str | None, _rid: Any, cmd: c.JobStatus) -> bytes:
        """A job's progress; its result (the last frame) once it is finished."""
        r = self.life.resident(sid)
        return self.trains.document(r, self.trains.find(r, cmd.job_id))
