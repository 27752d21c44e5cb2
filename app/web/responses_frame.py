"""The shape of a frame (one rendered epoch) and of its parts, for the OpenAPI document only
(``app.web.responses``; docs/contract.md, "WebSocket"): loss, parameters, gradients, the probe's
trace of one sample, the nodes' statistics, the heatmap grid. A number may be ``null`` where it
overflowed.
"""

from __future__ import annotations

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
    learning_rate: Num | None = Field(None, description="The η of ``updated`` (API 1.1).")
    updated: ParamsOut | None = Field(
        None,
        description="Eq. 7 for this one sample: W − η δ_j a_i and b − η δ_j, what POST "
        "/api/backprop answers for the same parameters and sample (API 1.1).",
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
