"""Commands for a trainer: one pydantic model per command, validated once at the edge (the
REST handlers, the WebSocket's ``parse_command``, the registry) and carried as the same type to
the trainer, which dispatches on the type (``app.trainer.handlers``).

The WebSocket's own commands (``app.schemas``: ``play``, ``pause``, ``step``, ``step_sample``,
``reset``, ``set``, ``probe``) travel as they are; the others are the web process's. A command
reaches the trainer as the model itself, with the request id and the session id beside it in an
``Envelope``: in a thread of the web process the very object, through a trainer process's pipe
pickled by multiprocessing (no second validation); only the Redis bus carries its JSON bytes
(``encode`` / ``decode``), decoded by the trainer's end of the bus before the trainer sees it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from app.schemas import (
    PauseCommand,
    PlayCommand,
    ProbeCommand,
    ResetCommand,
    SessionCreate,
    SetCommand,
    StepCommand,
    StepSampleCommand,
    StopCondition,
    TrainingPatch,
)


class Op(BaseModel):
    """A command of the web process's own (the WebSocket's are ``app.schemas.*Command``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# -- the trainer itself --------------------------------------------------------------------------
class Close(Op):
    type: Literal["close"] = "close"


class Ping(Op):
    type: Literal["ping"] = "ping"


class CheckSetup(Op):
    """Build a setup to check it (a lesson's): the engine names what it refuses."""

    type: Literal["check_setup"] = "check_setup"
    body: SessionCreate


class Backprop(Op):
    """``engine.backprop_step`` on a payload the edge validated (``BackpropRequest``)."""

    type: Literal["backprop"] = "backprop"
    payload: dict[str, Any]


# -- a session's life ------------------------------------------------------------------------
class Create(Op):
    type: Literal["create"] = "create"
    client: str
    body: SessionCreate


class Delete(Op):
    type: Literal["delete"] = "delete"


class Evict(Op):
    type: Literal["evict"] = "evict"


class Disown(Op):
    type: Literal["disown"] = "disown"


class Restore(Op):
    type: Literal["restore"] = "restore"
    viewers: int = 0
    summary_viewers: int = 0
    binary_viewers: int = 0  # of ``viewers``: those that read binary frames
    play: bool = False
    takeover: bool = False


class Watch(Op):
    type: Literal["watch"] = "watch"
    viewers: int
    summary_viewers: int
    binary_viewers: int = 0  # of ``viewers``: those that read binary frames
    source: str = "web"


# -- reads -------------------------------------------------------------------------------------
class Get(Op):
    type: Literal["get"] = "get"


class Frame(Op):
    type: Literal["frame"] = "frame"


class Status(Op):
    type: Literal["status"] = "status"


class Summary(Op):
    type: Literal["summary"] = "summary"


class History(Op):
    type: Literal["history"] = "history"


class Panels(Op):
    """Push the session's panels (history, gradient flow, confusion, replay range) to its
    viewers: a viewer connected."""

    type: Literal["panels"] = "panels"


class Export(Op):
    type: Literal["export"] = "export"


class Confusion(Op):
    type: Literal["confusion"] = "confusion"


class Replay(Op):
    """The kept replay epochs, or (``epoch`` given) the frame back then."""

    type: Literal["replay"] = "replay"
    epoch: int | None = None


class Predict(Op):
    type: Literal["predict"] = "predict"
    inputs: list[list[float]]
    targets: list[list[float]] | None = None


class GradientCheck(Op):
    type: Literal["gradient_check"] = "gradient_check"
    samples: int | None = None
    eps: float


class JobStatus(Op):
    type: Literal["job"] = "job"
    job_id: str


class CancelJob(Op):
    type: Literal["cancel_job"] = "cancel_job"
    job_id: str


# -- changes -----------------------------------------------------------------------------------
class Train(Op):
    """REST train: as a job when ``job`` is true (or None and the work is large)."""

    type: Literal["train"] = "train"
    epochs: int
    job: bool | None = False


class Patch(Op):
    """REST ``PATCH``: the socket's ``set``, answering the session's state."""

    type: Literal["patch"] = "patch"
    training: TrainingPatch


class Edit(Op):
    type: Literal["edit"] = "edit"
    kind: Literal["weight", "bias"]
    layer: int
    j: int
    value: float
    i: int | None = None


class SetStop(Op):
    type: Literal["set_stop"] = "set_stop"
    stop: StopCondition


# -- activities (issue 18): a network question on the student's own network -------------------
class Quantity(Op):
    """The expected value of a network question: ``engine.questions.expected_value`` on the
    session's parameters now, for training sample ``sample`` (None: the probe sample) and η
    ``eta`` (None: the session's learning rate). Answers ``{"value", "sample", "eta"}``."""

    type: Literal["quantity"] = "quantity"
    name: str
    layer: int | None = None
    unit: int | None = None
    source: int | None = None
    sample: int | None = None
    eta: float | None = None


class Conceal(Op):
    """Leave ``fields`` (``engine.questions.hidden_fields``) out of the session's frames and
    reads; with ``frozen`` (the open question's label) refuse every change of the network;
    with ``hold_probe`` also a change of the probe sample. Empty: lift it."""

    type: Literal["conceal"] = "conceal"
    fields: list[str] = []
    frozen: str | None = None
    hold_probe: bool = False


# -- shares across trainers (``app.seam.usage``, ``app.trainer.elsewhere``) ----------------------
class Shares(Op):
    """What the other trainers train: the heaviest weight (``app.trainer.shares``) of a
    session runnable on any of them (0: none), told by the web process when it changes."""

    type: Literal["shares"] = "shares"
    heaviest_elsewhere: float = Field(0.0, ge=0, le=1)


class UsageReport(BaseModel):
    """A trainer's report to the web process (the other way: ``("usage", bytes)`` on its
    channel): the heaviest weight of a session runnable there (0: none)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    heaviest: float = Field(ge=0, le=1)


TrainerCommand = (
    PlayCommand
    | PauseCommand
    | StepCommand
    | StepSampleCommand
    | ResetCommand
    | SetCommand
    | ProbeCommand
    | Close
    | Ping
    | Backprop
    | CheckSetup
    | Create
    | Delete
    | Evict
    | Disown
    | Restore
    | Watch
    | Get
    | Frame
    | Status
    | Summary
    | History
    | Panels
    | Export
    | Confusion
    | Replay
    | Predict
    | GradientCheck
    | JobStatus
    | CancelJob
    | Train
    | Patch
    | Edit
    | SetStop
    | Quantity
    | Conceal
    | Shares
)
_adapter: TypeAdapter[TrainerCommand] = TypeAdapter(
    Annotated[TrainerCommand, Field(discriminator="type")]
)


class Envelope(NamedTuple):
    """A command on its way to a trainer: ``request_id`` None when no answer is wanted."""

    request_id: Any
    session_id: str | None
    command: TrainerCommand


def encode(command: TrainerCommand) -> bytes:
    return _adapter.dump_json(command)


def decode(data: bytes | str) -> TrainerCommand:
    return _adapter.validate_json(data)
