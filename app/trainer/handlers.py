"""A trainer's command intake and handling: ``Handlers.take`` receives the commands waiting on
the trainer's ``Channel`` (each an ``app.commands.Envelope`` holding the typed model), runs the
handler for each command's type (``Handlers.table``, never a string) and answers it.

A handler answers encoded bytes or None — or ``DEFERRED`` when the answer comes later (a train
request, answered by ``app.trainer.trains`` when its epochs are done); a refusal (``FieldError``,
``SpecError``) is answered as one, and a bug as a 500 that leaves the trainer and its other
sessions running. The sessions' lives (create, restore, evict, delete, disown) and who watches
them are ``app.trainer.lifecycle``'s; the queries, which answer from a session without changing
it, ``app.trainer.queries``'s; when to take commands is the loop's (``app.trainer.worker``).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from app import commands as c
from app import schemas
from app.errors import FieldError
from app.trainer import frames
from app.trainer.channels import Channel
from app.trainer.concealment import Concealment
from app.trainer.lifecycle import Lifecycle
from app.trainer.publisher import Publisher
from app.trainer.queries import Handler, Queries
from app.trainer.resident import Resident
from app.trainer.scheduler import Scheduler
from app.trainer.trains import TrainQueue
from engine import SpecError
from engine.questions import Quantity

log = logging.getLogger(__name__)

DEFERRED = object()  # a command whose reply is sent later (a train request)


class Handlers:
    def __init__(
        self,
        life: Lifecycle,
        publisher: Publisher,
        scheduler: Scheduler,
        trains: TrainQueue,
    ) -> None:
        self.life = life
        self.out = publisher
        self.scheduler = scheduler
        self.trains = trains
        self.table: dict[type, Handler] = {
            **Queries(life, publisher, trains).table(),
            c.Close: life.close,
            c.Ping: life.ping,
            c.Create: life.create,
            c.Delete: life.delete,
            c.Evict: life.evict,
            c.Disown: life.disown,
            c.Restore: life.restore,
            c.Watch: life.watch,
            c.CancelJob: self.cancel_job,
            schemas.PlayCommand: self.play,
            schemas.PauseCommand: self.pause,
            schemas.StepCommand: self.step,
            c.Train: self.train,
            schemas.StepSampleCommand: self.step_sample,
            schemas.ResetCommand: self.reset,
            schemas.SetCommand: self.set,
            c.Patch: self.patch,
            schemas.ProbeCommand: self.probe,
            c.Edit: self.edit,
            c.SetStop: self.set_stop,
            c.Quantity: self.quantity,
            c.Conceal: self.conceal,
            c.Shares: self.shares,
        }

    # -- intake -------------------------------------------------------------------------------
    def take(self, channel: Channel, timeout: float, limit: int) -> int:
        """Receive and answer up to ``limit`` commands, the first waiting up to ``timeout``
        seconds, the others only if already there; stop once told to close. How many."""
        taken = 0
        message = channel.recv(timeout)
        while message is not None:
            self.handle(message)
            taken += 1
            if self.life.closed or taken >= limit:
                break
            message = channel.recv(0.0)
        return taken

    def handle(self, message: c.Envelope) -> None:
        """Run one command and answer it (unless its answer is deferred)."""
        try:
            request_id, session_id, command = message  # a typed command (``Channel.recv``)
        except (TypeError, ValueError):
            log.error("trainer: malformed message %r", message)
            return
        reply = self.out.reply
        try:
            result = self.table[type(command)](session_id, request_id, command)
        except FieldError as exc:
            reply(request_id, False, (exc.field, exc.message, exc.status_code, exc.kind))
        except SpecError as exc:
            reply(request_id, False, (exc.field, exc.message, 422, "spec_error"))
        except Exception:  # a bug must not take the trainer or its other sessions down
            log.exception("trainer: %s failed on session %s", command.type, session_id)
            reply(request_id, False, ("message", "the trainer failed on this command", 500, "bug"))
        else:
            if result is not DEFERRED:
                reply(request_id, True, result)

    def resident(self, session_id: str | None) -> Resident:
        return self.life.resident(session_id)

    # -- jobs -------------------------------------------------------------------------------
    def cancel_job(self, sid: str | None, _rid: Any, cmd: c.CancelJob) -> bytes:
        return self.trains.cancel(self.resident(sid), cmd.job_id)

    # -- training -----------------------------------------------------------------------------
    def play(self, sid: str | None, _rid: Any, _cmd: schemas.PlayCommand) -> None:
        r = self.resident(sid)
        r.concealment.check_thawed("type")
        self.scheduler.play(r)
        self.out.send_status(r)

    def pause(self, sid: str | None, _rid: Any, _cmd: schemas.PauseCommand) -> None:
        self.scheduler.pause(self.resident(sid))

    def step(self, sid: str | None, rid: Any, cmd: schemas.StepCommand) -> Any:
        """The socket's ``step``: ``train`` never as a job."""
        return self.train(sid, rid, c.Train(epochs=cmd.epochs, job=False))

    def train(self, sid: str | None, rid: Any, cmd: c.Train) -> Any:
        r = self.resident(sid)
        r.concealment.check_thawed("epochs")
        answer = self.trains.train(r, rid, cmd.epochs, cmd.job)
        return DEFERRED if answer is None else answer

    def step_sample(self, sid: str | None, _rid: Any, cmd: schemas.StepSampleCommand) -> bytes:
        r = self.resident(sid)
        r.concealment.check_thawed("index")
        self.scheduler.pause(r)
        if self.trains.queued(r):
            raise FieldError("index", "the session is training; try again when it is done", 409)
        message = r.step_sample(cmd.index)
        self.out.publish(r, "sample_step", message)
        self.out.send_frame(r)
        self.out.panels.mark_stale(r)
        self.out.save(r)
        return message

    def reset(self, sid: str | None, _rid: Any, _cmd: schemas.ResetCommand) -> bytes:
        r = self.resident(sid)
        r.concealment.check_thawed("type")
        self.scheduler.pause(r)
        self.trains.answer_all(r)
        r.reset()
        if r.viewers:
            self.out.panels.send(r, True)
        self.out.send_status(r)
        self.out.save(r)
        return self.out.send_frame(r)

    # -- settings and the network -------------------------------------------------------------
    def set_training(self, sid: str | None, patch: schemas.TrainingPatch) -> bytes | None:
        """Change the training settings live (the socket's ``set`` and REST ``PATCH`` alike):
        the patch's fields replace the engine trainer's (η, batch size, momentum,
        regularisation; ``TrainingConfig`` checks them again), its weights and velocity stay. A
        paused session's viewers see the new frame (returned, None while it plays)."""
        r = self.resident(sid)
        r.concealment.check_thawed("training")
        changes = patch.model_dump(exclude_none=True)
        r.trainer.set_config(replace(r.trainer.config, **changes))
        frame = None if r.running else self.out.send_frame(r)
        if frame is not None:
            self.out.panels.mark_stale(r)
        self.out.send_status(r)
        self.out.save(r)
        return frame

    def set(self, sid: str | None, _rid: Any, cmd: schemas.SetCommand) -> None:
        self.set_training(sid, cmd.training)

    def patch(self, sid: str | None, _rid: Any, cmd: c.Patch) -> bytes:
        """``set``, answering the session's state."""
        frame = self.set_training(sid, cmd.training)
        return self.resident(sid).state_bytes(frame)

    def set_stop(self, sid: str | None, _rid: Any, cmd: c.SetStop) -> bytes:
        """Replace the stop condition; answers ``{"stop", "reached"}``."""
        r = self.resident(sid)
        r.set_stop(cmd.stop.model_dump())
        self.out.save(r)
        return frames.dumpb(r.stop_json())

    def probe(self, sid: str | None, _rid: Any, cmd: schemas.ProbeCommand) -> None:
        r = self.resident(sid)
        r.concealment.check_probe()
        r.set_probe(cmd.index)
        self.out.send_frame(r)
        self.out.save(r)

    def edit(self, sid: str | None, _rid: Any, cmd: c.Edit) -> bytes:
        r = self.resident(sid)
        r.concealment.check_thawed("value")
        r.edit(cmd.kind, cmd.layer, cmd.j, cmd.value, cmd.i)
        self.out.panels.mark_stale(r)
        self.out.save(r)
        return self.out.send_frame(r)

    # -- activities (issue 18) ----------------------------------------------------------------
    def quantity(self, sid: str | None, _rid: Any, cmd: c.Quantity) -> bytes:
        """A network question's expected value on the session's network now."""
        q = Quantity(cmd.name, cmd.layer, cmd.unit, cmd.source)
        return frames.dumpb(self.resident(sid).quantity(q, cmd.sample, cmd.eta))

    def conceal(self, sid: str | None, _rid: Any, cmd: c.Conceal) -> bytes:
        """Hide ``fields`` from the session's frames and reads, freeze it while ``frozen``
        (empty: lift both); its viewers get a frame as it is now shown, and it is saved."""
        r = self.resident(sid)
        new = Concealment(frozenset(cmd.fields), cmd.frozen, cmd.hold_probe)
        if new == r.concealment:  # told again (a page read its activity): nothing changes
            return frames.dumpb(new.state())
        r.concealment = new
        if r.concealment.frozen is not None:
            self.scheduler.pause(r)
            self.trains.answer_all(r)
        self.out.send_status(r)
        self.out.save(r)
        self.out.send_frame(r)
        return frames.dumpb(r.concealment.state())

    def shares(self, _sid: Any, _rid: Any, cmd: c.Shares) -> None:
        """What the other trainers train (``app.trainer.elsewhere``); told, never asked."""
        if self.scheduler.elsewhere is not None:
            self.scheduler.elsewhere.told(cmd.heaviest_elsewhere)
