"""The shapes of the API's answers, for the OpenAPI document only (docs/contract.md).

Handlers answer pre-encoded JSON bytes (``routers.api.encoded``), so these models are never
used to validate or encode at run time: routes name them in ``responses={200: {"model": ...}}``
and generated clients and schemathesis's response checks read them. They list the fields the
contract promises and allow more (a later version may add some). A number may be ``null`` where
it overflowed (a prediction far outside the data); a trained network's never is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

Num = float | None
Vector = list[Num]
Matrix = list[Vector]


class ParamsOut(BaseModel):
    weights: list[Matrix] = Field(description="W[l][i][j] per layer, shaped like the network.")
    biases: list[Vector] = Field(description="b[l][j] per layer after the input.")


class LossOut(BaseModel):
    train: Num = Field(description="E over the training set (Eq. 1, mean over samples).")
    test: Num = Field(description="E over the test set; null without one.")


class UnitTrace(BaseModel):
    """One layer of one sample: z, a = g(z), g'(z) and, with a target, δ (per unit)."""

    z: Vector
    a: Vector
    g_prime: Vector
    delta: Vector | None = None


class BatchTrace(BaseModel):
    """One layer of a batch: one row per sample of z, a, g'(z) and (with targets) δ."""

    z: Matrix
    a: Matrix
    g_prime: Matrix
    delta: Matrix | None = None


class ProbeOut(BaseModel):
    index: int
    input: Vector
    target: Vector
    output: Vector
    error: Num
    layers: list[UnitTrace]
    gradients: ParamsOut | None = Field(
        None, description="This sample's own δ_j a_i and δ_j, shaped like W and b."
    )


class NodeStatsOut(BaseModel):
    mean_a: Vector
    mean_abs_delta: Vector


class GridUnit(BaseModel):
    lo: Num
    hi: Num
    data: str = Field(description="base64 of uint8 cells; a cell is lo + (hi - lo) * byte / 255.")


class GridOut(BaseModel):
    resolution: int
    domain: list[list[float]]
    layers: list[list[GridUnit]] = Field(description="Per layer (input first), per unit.")


class Frame(BaseModel):
    """One rendered epoch (docs/contract.md, "WebSocket")."""

    type: str = Field(description='"frame".')
    epoch: int
    status: str = Field(description="paused, running or diverged.")
    loss: LossOut
    metrics: dict[str, Num] = Field(
        description="train_accuracy, test_accuracy ({} for regression)."
    )
    weights: list[Matrix]
    biases: list[Vector]
    gradients: ParamsOut = Field(description="The epoch's mean gradients.")
    probe: ProbeOut | None
    node_stats: list[NodeStatsOut]
    grid: GridOut | None


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


class Catalog(BaseModel):
    activations: list[ActivationOut]
    losses: list[LossInfo]
    init_schemes: list[str]
    regularizations: list[str]
    datasets: list[DatasetInfoOut]
    features: list[FeatureOut]
    limits: dict[str, Any] = Field(description="The server's settings (BPP_*), by name.")


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
