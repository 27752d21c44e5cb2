"""The shapes of the API's answers, for the OpenAPI document only (docs/contract.md).

Handlers answer pre-encoded JSON bytes (``routers.api_answers.encoded``), so these models are never
used to validate or encode at run time: routes name them in ``responses={200: {"model": ...}}``
and generated clients and schemathesis's response checks read them. They list the fields the
contract promises and allow more (a later version may add some). A number may be ``null`` where
it overflowed (a prediction far outside the data); a trained network's never is. The
frame's shape and its parts are in ``app.web.responses_frame``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.web.responses_frame import BatchTrace, Frame, LossOut, Matrix, Num, ParamsOut, Vector


class DataPart(BaseModel):
    points: Matrix = Field(description="Raw points, before features.")
    targets: Matrix = Field(description="Targets as trained on (encoded for the output).")


class DataOut(BaseModel):
    task: str
    feature_names: list[str]
    domain: list[list[float]]
    train: DataPart
    test: DataPart


class SessionState(BaseModel):
    id: str
    config: dict[str, Any] = Field(description="The create body, filled with defaults.")
    status: str = Field(description="paused, running or diverged.")
    epoch: int
    layer_sizes: list[int]
    frame: Frame
    data: DataOut


class HistoryOut(BaseModel):
    epoch: list[int]
    train: Vector
    test: Vector


class PredictOut(BaseModel):
    outputs: Matrix
    layers: list[BatchTrace]
    loss: Num = Field(None, description="With targets: E of the batch.")
    gradients: ParamsOut | None = Field(None, description="With targets: the batch means.")


class GradientCheckOut(BaseModel):
    max_rel_error: Num
    max_abs_error: Num
    parameters: int
    samples: int
    eps: float
    analytic: ParamsOut
    numeric: ParamsOut
    rel_error: ParamsOut


class BackpropOut(BaseModel):
    """``engine.backprop_step``'s answer."""

    loss: Num
    layers: list[BatchTrace]
    gradients: ParamsOut
    updated: ParamsOut


class ActivationOut(BaseModel):
    name: str
    latex: str
    latex_prime: str
    output_only: bool


class LossInfo(BaseModel):
    name: str
    latex: str
    latex_delta: str
    allowed_outputs: list[str] | None


class DatasetInfoOut(BaseModel):
    name: str
    task: str
    dims: int | None
    description: str
    params: list[str]


class FeatureOut(BaseModel):
    name: str
    latex: str


class ControlSettingOut(BaseModel):
    path: str = Field(description="The request field, dotted into a POST /api/sessions body.")
    field: str
    label: str
    type: str = Field(description="number, integer, choice, names, units, table or seed.")
    default: Any
    ge: float | None = None
    le: float | None = None
    gt: float | None = None
    lt: float | None = None
    choices: list[str] | None = None
    presets: list[float] | None = Field(None, description="The values the page offers.")
    live: bool = Field(description="Also a field of PATCH /api/sessions/{id} and `set`.")
    limit: str | None = Field(None, description="The server setting that bounds it further.")


class ControlOut(BaseModel):
    """One control of the registry (``app/controls.py``)."""

    name: str = Field(description="The lock name (lessons' ``locks``).")
    label: str
    help: str
    kind: str = Field(description="live, rebuild or command.")
    group: str
    symbol: str | None
    settings: list[ControlSettingOut]
    commands: list[str] = Field(description="Socket message types it covers.")
    routes: list[str] = Field(description="REST routes on a session it covers.")
    aliases: list[str] = Field(description="Older lock names that mean this control.")
    compare: str = Field(description="How a lock compares two values, in words.")


class Catalog(BaseModel):
    activations: list[ActivationOut]
    losses: list[LossInfo]
    init_schemes: list[str]
    regularizations: list[str]
    datasets: list[DatasetInfoOut]
    features: list[FeatureOut]
    limits: dict[str, Any] = Field(description="The server's settings (BPP_*), by name.")
    controls: list[ControlOut] = Field(description="Every control, defined once.")


class StoreHealth(BaseModel):
    queued: int
    failures: int
    writer_alive: bool


class MemoryHealth(BaseModel):
    sessions_mb: float = Field(description="Estimated memory of the sessions known here.")
    max_memory_mb: int
    max_memory_mb_per_client: int
    web_rss_mb: float | None = Field(description="This web process's resident memory.")


class Health(BaseModel):
    status: str
    sessions: int
    resident: int
    trainers: int
    store: StoreHealth
    memory: MemoryHealth


class ErrorItem(BaseModel):
    """One refusal: where (``loc``: ``body``, ``path``, ``query`` or ``header`` first, then the
    field's parts), the same as a dotted ``field``, a message that says what to send, and a
    machine-readable ``type`` (pydantic's, or e.g. ``limit``, ``forbidden``, ``unauthorized``)."""

    loc: list[str | int]
    field: str
    msg: str
    type: str


class ErrorOut(BaseModel):
    """Every 4xx and 5xx answer of the API (``app/errors.py``, ``app/web/middleware.py``)."""

    detail: list[ErrorItem]


class JobOut(BaseModel):
    """A training job (``app/jobs.py``): progress while it runs, the last frame once done."""

    type: str = Field(description='"job".')
    id: str
    session_id: str
    url: str = Field(description="Where to poll it (GET) or cancel it (DELETE).")
    status: str = Field(description="queued, running, done, cancelled or diverged.")
    epochs: int
    epochs_done: int
    progress: float = Field(description="epochs_done / epochs, 0 to 1.")
    epoch: int = Field(description="The session's epoch now.")
    loss: LossOut
    elapsed_seconds: float
    eta_seconds: float | None = Field(description="null until an epoch is done.")
    result: Frame | None = Field(description="The last frame, once finished.")


class ReplayOut(BaseModel):
    """The epochs whose weights are kept for replay, thinned every ``stride`` epochs."""

    epochs: list[int]
    stride: int
    bytes: int = Field(description="What the kept checkpoints take.")
    max_bytes: int = Field(description="max_replay_bytes.")


class StopRule(BaseModel):
    test_loss_below: float | None = None
    max_epochs: int | None = None


class StopOut(BaseModel):
    """The stop condition (null: none) and, when it holds now, why."""

    stop: StopRule | None
    reached: str | None = Field(description="Why training stops here now, or null.")


class ConfusionOut(BaseModel):
    """Confusion matrices at the current weights: rows the true class, columns the predicted
    one (the engine's accuracy rule)."""

    epoch: int
    classes: list[str]
    train: list[list[int]]
    test: list[list[int]] | None = Field(description="null without a test set.")


class CsvOut(BaseModel):
    """A CSV file read (``app/web/csvdata.py``); ``inputs`` and ``targets`` when columns were
    chosen."""

    columns: list[str]
    rows: int
    preview: Matrix = Field(description="The first rows.")
    inputs: Matrix | None = None
    targets: Matrix | None = None
