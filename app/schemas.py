"""Pydantic models at the edge of the API: request bodies and WebSocket commands.

They check types, shapes that do not depend on the server's settings, signs, and finiteness
(NaN and ±Infinity are refused everywhere). Limits that depend on the settings live in
``app/limits.py``; names (activations, losses, datasets, features, init schemes) are checked by
the engine itself, whose ``SpecError`` names the field. Arrays stay plain nested lists here and
become numpy only in ``app/trainer/build.py`` (in the trainer). Here: a session's setup
(``SessionCreate``, its training settings and live patch), the socket's commands, a trainer's
exported state; the REST API's other request bodies (train, predict, edits, gradient check,
backprop, CSV) are in ``app/api_requests.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from app.controls import SEED_MAX, SETTINGS, setting
from app.errors import FieldError

if TYPE_CHECKING:
    from app.settings import Settings

Seed = Annotated[int, Field(ge=0, le=SEED_MAX, description="Seed of every random choice.")]
Units = Annotated[int, Field(ge=1, description="Units in one layer.")]
Row = list[float]
Matrix = list[Row]


def control_field(path: str, *, patch: bool = False, **extra: Any) -> Any:
    """The pydantic ``Field`` of a request field the controls registry owns
    (``app/controls.py``): its default, bounds and description come from there. ``patch``: the
    live patch's optional field (default None, same bounds)."""
    s = setting(path)
    default = None if patch else s.default
    if isinstance(default, tuple):
        value = list(default)
        return Field(default_factory=lambda: list(value), description=s.description, **extra)
    options: dict[str, Any] = {**s.bounds(), **extra}
    return Field(default, description=s.description or None, **options)


class Strict(BaseModel):
    """Unknown fields, NaN and Infinity are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class InitIn(Strict):
    scheme: str = control_field("network.init.scheme")
    seed: Seed = 0
    range: float = control_field("network.init.range")


class NetworkIn(Strict):
    hidden_layers: list[Units] = control_field("network.hidden_layers")
    activations: list[str] | None = control_field("network.activations")
    loss: str = control_field("network.loss")
    init: InitIn = Field(default_factory=InitIn)
    weights: list[Matrix] | None = Field(None, description="W[l][i][j], shape (n_l, n_{l+1}).")
    biases: list[Row] | None = Field(None, description="b[l][j], shape (n_{l+1},).")


class DatasetIn(Strict):
    name: str = control_field("dataset.name")
    n: int = control_field("dataset.n")
    noise: float = control_field("dataset.noise")
    train_fraction: float = control_field("dataset.train_fraction")
    seed: Seed = 0
    features: list[str] | None = control_field("dataset.features")
    inputs: Matrix | None = control_field("dataset.inputs")
    targets: Matrix | None = control_field("dataset.targets")


def _training_fields(patch: bool) -> dict[str, Any]:
    """The training fields, one per ``training.*`` setting of the controls registry, in its
    order: a new live setting (an optimizer's) needs no line here. ``patch``: only the live
    ones, each optional (default None)."""
    kinds: dict[str, Any] = {"number": float, "integer": int, "seed": Seed}
    out: dict[str, Any] = {}
    for path, s in SETTINGS.items():
        if not path.startswith("training.") or (patch and not s.live):
            continue
        kind = Literal[s.choices] if s.choices else kinds[s.type]
        if s.type == "seed":
            out[s.field] = (kind | None, None) if patch else (kind, s.default)
        else:
            out[s.field] = (kind | None if patch else kind, control_field(path, patch=patch))
    return out


class _Training(Strict):
    def check_limits(self, settings: Settings, prefix: str = "training") -> None:
        """The server's limits on these settings — each field's ``limit`` in the controls
        registry, a setting of ``app/settings.py`` — checked where the fields are: a refusal
        (``FieldError``) names the field, the limit and the setting, e.g.
        ``training.learning_rate: 50.0 exceeds the limit of 10.0 (max_learning_rate)``."""
        for name, value in self:
            s = SETTINGS.get(f"training.{name}")
            if value is None or s is None or s.limit is None:
                continue
            limit = getattr(settings, s.limit)
            if value > limit:
                raise FieldError(
                    f"{prefix}.{name}", f"{value} exceeds the limit of {limit} ({s.limit})"
                )


TrainingIn = create_model(
    "TrainingIn",
    __base__=_Training,
    __doc__="Training settings (the controls registry's ``training.*`` fields).",
    __module__=__name__,
    **_training_fields(patch=False),
)


class _LivePatch(_Training):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"learning_rate": 0.1, "batch_size": 1}]}
    )


TrainingPatch = create_model(
    "TrainingPatch",
    __base__=_LivePatch,
    __doc__="Training settings that may change live; omitted fields keep their value.",
    __module__=__name__,
    **_training_fields(patch=True),
)


class StopCondition(Strict):
    """When training stops by itself (play, train and step alike): at the first epoch whose
    test loss is below ``test_loss_below``, or at epoch ``max_epochs``. Both optional."""

    test_loss_below: float | None = Field(None, gt=0, description="Stop once test loss < this.")
    max_epochs: int | None = Field(None, ge=1, le=10**12, description="Stop at this epoch.")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"test_loss_below": 0.02, "max_epochs": 500}]}
    )


class SessionCreate(Strict):
    """A session: one network, one dataset, training settings. Every field is optional."""

    network: NetworkIn = Field(default_factory=NetworkIn)
    dataset: DatasetIn = Field(default_factory=DatasetIn)
    training: TrainingIn = Field(default_factory=TrainingIn)
    stop: StopCondition | None = Field(None, description="When training stops by itself.")
    state: TrainerStateIn | None = Field(
        None, description="Trainer state from an export (epoch, shuffling, momentum)."
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {},
                {
                    "network": {"hidden_layers": [4, 2], "activations": ["tanh"] * 3},
                    "dataset": {"name": "xor", "n": 400, "noise": 0.1},
                    "training": {"learning_rate": 0.03, "batch_size": 10},
                },
            ]
        }
    )


# --- WebSocket commands -------------------------------------------------------------------


class PlayCommand(Strict):
    type: Literal["play"]


class PauseCommand(Strict):
    type: Literal["pause"]


class StepCommand(Strict):
    type: Literal["step"]
    epochs: int = Field(1, ge=1)


class StepSampleCommand(Strict):
    type: Literal["step_sample"]
    index: int | None = Field(None, ge=0, description="Training sample; default the probe.")


class ResetCommand(Strict):
    type: Literal["reset"]


class SetCommand(Strict):
    type: Literal["set"]
    training: TrainingPatch


class ProbeCommand(Strict):
    type: Literal["probe"]
    index: int = Field(ge=0)


Command = Annotated[
    PlayCommand
    | PauseCommand
    | StepCommand
    | StepSampleCommand
    | ResetCommand
    | SetCommand
    | ProbeCommand,
    Field(discriminator="type"),
]


# --- Export / import of the trainer's state ---------------------------------------------------


class RngStateIn(Strict):
    """numpy's PCG64 state; the 128-bit integers travel as decimal strings (safe in JS)."""

    bit_generator: Literal["PCG64"] = "PCG64"
    state: str = Field(pattern=r"^[0-9]{1,40}$")
    inc: str = Field(pattern=r"^[0-9]{1,40}$")
    has_uint32: int = Field(0, ge=0, le=1)
    uinteger: int = Field(0, ge=0, le=2**32 - 1)


class ParamsIn(Strict):
    weights: list[Matrix]
    biases: list[Row]


class TrainerStateIn(Strict):
    """Where training stands, so that an exported session continues bit-for-bit."""

    epoch: int = Field(0, ge=0, le=2**53, description="Epochs trained (a JS-safe integer).")
    samples_seen: int = Field(0, ge=0, le=2**53)
    probe_index: int = Field(0, ge=0, le=2**31 - 1)
    rng: RngStateIn | None = None
    velocity: ParamsIn | None = None


SessionCreate.model_rebuild()


def drop_arrays(body: dict[str, Any]) -> dict[str, Any]:
    """A session body without its arrays (initial weights and biases, inline data), in place:
    what pages and dashboards show of a setup."""
    for key in ("weights", "biases"):
        body["network"].pop(key, None)
    for key in ("inputs", "targets"):
        body["dataset"].pop(key, None)
    return body


def shown_setup(setup: dict[str, Any]) -> dict[str, Any]:
    """A setup with every default filled in (the activations too) and without its arrays: the
    page's defaults, and what a dashboard compares with a summary's ``setup`` field by field."""
    body = SessionCreate.model_validate(setup).model_dump(mode="json", exclude={"state"})
    network = body["network"]
    network["activations"] = network["activations"] or ["tanh"] * (
        len(network["hidden_layers"]) + 1
    )
    return drop_arrays(body)
