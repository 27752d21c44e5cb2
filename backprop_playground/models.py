"""What the server answers, as numpy arrays named as in the derivation.

Per layer after the input (layer 1 first): ``z`` (net input, z_j = b_j + Σ_i a_i w_ij), ``a``
(activation, a_j = g_j(z_j)), ``g_prime`` (g′(z_j)) and ``delta`` (δ_j = ∂E/∂z_j, Eq. 5 and
14). ``W[l]`` has shape (n_l, n_{l+1}): ``W[l][i, j]`` is w_ij from unit i of layer l to unit j
of layer l+1; ``b[l]`` has shape (n_{l+1},). Every object keeps the server's JSON as ``raw``
for anything not wrapped here.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Frame",
    "Grid",
    "History",
    "Job",
    "Layer",
    "Message",
    "Probe",
    "SampleStep",
    "Status",
    "Trace",
    "arrays",
    "decode_message",
]


def array(values: Any) -> np.ndarray:
    """JSON numbers (null → NaN) as a float64 array."""
    return np.asarray(values, dtype=np.float64)


def arrays(values: list) -> list[np.ndarray]:
    """A per-layer list of nested lists → a list of float64 arrays."""
    return [array(v) for v in values]


@dataclass(frozen=True)
class Layer:
    """One layer's signals (layer 1 is the first after the input). For a batch every array
    has a leading sample axis: (N, n_l); for one sample (a frame's probe) shape (n_l,).
    ``delta`` is None when no targets were given."""

    z: np.ndarray
    a: np.ndarray
    g_prime: np.ndarray
    delta: np.ndarray | None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Layer:
        delta = d.get("delta")
        return cls(
            array(d["z"]),
            array(d["a"]),
            array(d["g_prime"]),
            None if delta is None else array(delta),
        )


def _layers(values: list[dict[str, Any]]) -> list[Layer]:
    return [Layer.from_json(d) for d in values]


@dataclass(frozen=True)
class Trace:
    """A forward (and, with targets, backward) pass: ``POST /api/backprop`` and a session's
    ``predict``. ``outputs`` are the a_k of the output layer, (N, K); ``loss`` is E (Eq. 1)
    averaged over the batch; ``grad_W``/``grad_b`` are ∂E/∂w and ∂E/∂b (Eq. 6, 8, 15, 18;
    batch means); ``W``/``b`` after the update (Eq. 7) for ``backprop`` only."""

    layers: list[Layer]
    outputs: np.ndarray
    loss: float | None
    grad_W: list[np.ndarray] | None
    grad_b: list[np.ndarray] | None
    W: list[np.ndarray] | None
    b: list[np.ndarray] | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Trace:
        layers = _layers(d["layers"])
        outputs = array(d["outputs"]) if "outputs" in d else layers[-1].a
        gradients, updated = d.get("gradients"), d.get("updated")
        return cls(
            layers=layers,
            outputs=outputs,
            loss=d.get("loss"),
            grad_W=None if gradients is None else arrays(gradients["weights"]),
            grad_b=None if gradients is None else arrays(gradients["biases"]),
            W=None if updated is None else arrays(updated["weights"]),
            b=None if updated is None else arrays(updated["biases"]),
            raw=d,
        )

    @property
    def z(self) -> list[np.ndarray]:
        return [layer.z for layer in self.layers]

    @property
    def a(self) -> list[np.ndarray]:
        return [layer.a for layer in self.layers]

    @property
    def g_prime(self) -> list[np.ndarray]:
        return [layer.g_prime for layer in self.layers]

    @property
    def delta(self) -> list[np.ndarray | None]:
        return [layer.delta for layer in self.layers]


@dataclass(frozen=True)
class Probe:
    """The probe sample of a frame: its input a_i, target t_k, output a_k, error E_n and each
    layer's z, a, g_prime, delta, with its own gradients δ_j a_i (``grad_W``) and δ_j, and (a
    server of API 1.1 on) Eq. 7's parameters after one step on it at ``learning_rate``,
    W − η δ_j a_i (``updated_W``) and b − η δ_j (None from an older server)."""

    index: int
    input: np.ndarray
    target: np.ndarray
    output: np.ndarray
    error: float
    layers: list[Layer]
    grad_W: list[np.ndarray] | None
    grad_b: list[np.ndarray] | None
    learning_rate: float | None = None
    updated_W: list[np.ndarray] | None = None
    updated_b: list[np.ndarray] | None = None

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Probe:
        gradients, updated, eta = d.get("gradients"), d.get("updated"), d.get("learning_rate")
        return cls(
            index=int(d["index"]),
            input=array(d["input"]),
            target=array(d["target"]),
            output=array(d["output"]),
            error=float(d["error"]),
            layers=_layers(d["layers"]),
            grad_W=None if gradients is None else arrays(gradients["weights"]),
            grad_b=None if gradients is None else arrays(gradients["biases"]),
            learning_rate=None if eta is None else float(eta),
            updated_W=None if updated is None else arrays(updated["weights"]),
            updated_b=None if updated is None else arrays(updated["biases"]),
        )


@dataclass(frozen=True)
class Grid:
    """Every unit's activation a over a grid of the input plane (layer 0 = the input
    features, the last = the outputs): ``a[l]`` has shape (R, R, n_l) for 2-D data (row 0 at
    the lowest x2, x1 rising along a row) and (R, n_l) for 1-D data. The server sends each
    unit quantised to 8 bits between its lo and hi; these are the decoded values."""

    resolution: int
    domain: list[tuple[float, float]]
    a: list[np.ndarray]

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Grid:
        R = int(d["resolution"])
        domain = [(float(lo), float(hi)) for lo, hi in d["domain"]]
        shape = (R, R) if len(domain) == 2 else (R,)
        layers = []
        for units in d["layers"]:
            columns = [decode_cells(u["lo"], u["hi"], u["data"]) for u in units]
            layers.append(np.stack(columns, axis=-1).reshape(*shape, len(columns)))
        return cls(R, domain, layers)


def decode_cells(lo: float, hi: float, data: str) -> np.ndarray:
    """base64 uint8 cells → lo + (hi − lo) · byte / 255."""
    raw = np.frombuffer(base64.b64decode(data), dtype=np.uint8).astype(np.float64)
    return lo + (hi - lo) * raw / 255.0


@dataclass(frozen=True)
class Frame:
    """One epoch of a session (the WebSocket ``frame``, and what train, reset and edits
    answer): losses, W and b, the epoch's mean gradients, the probe's trace, per-unit mean a and
    mean |δ| over the training set (``mean_a[l]``, ``mean_abs_delta[l]`` for layer l + 1), and
    the grid of activations (None for data of more than 2 dimensions)."""

    epoch: int
    status: str
    loss_train: float
    loss_test: float | None
    metrics: dict[str, float]
    W: list[np.ndarray]
    b: list[np.ndarray]
    grad_W: list[np.ndarray]
    grad_b: list[np.ndarray]
    probe: Probe | None
    mean_a: list[np.ndarray]
    mean_abs_delta: list[np.ndarray]
    grid: Grid | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Frame:
        gradients = d.get("gradients") or {"weights": [], "biases": []}
        stats = d.get("node_stats") or []
        probe, grid = d.get("probe"), d.get("grid")
        return cls(
            epoch=int(d["epoch"]),
            status=d["status"],
            loss_train=d["loss"]["train"],
            loss_test=d["loss"].get("test"),
            metrics=dict(d.get("metrics") or {}),
            W=arrays(d["weights"]),
            b=arrays(d["biases"]),
            grad_W=arrays(gradients["weights"]),
            grad_b=arrays(gradients["biases"]),
            probe=None if probe is None else Probe.from_json(probe),
            mean_a=[array(s["mean_a"]) for s in stats],
            mean_abs_delta=[array(s["mean_abs_delta"]) for s in stats],
            grid=None if grid is None else Grid.from_json(grid),
            raw=d,
        )


@dataclass(frozen=True)
class Status:
    """The WebSocket ``status``: paused, running, diverged or restoring, at ``epoch``."""

    status: str
    epoch: int
    epochs_per_second: float
    message: str | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Status:
        return cls(
            d["status"],
            int(d["epoch"]),
            float(d.get("epochs_per_second", 0.0)),
            d.get("message"),
            raw=d,
        )


@dataclass(frozen=True)
class SampleStep:
    """The WebSocket ``sample_step``: one forward, backward and update on sample ``index``;
    ``trace`` has its z, a, g_prime, delta, gradients and the updated W and b, ``W_before`` /
    ``b_before`` the parameters before the step."""

    index: int
    input: np.ndarray
    target: np.ndarray
    learning_rate: float
    trace: Trace
    W_before: list[np.ndarray]
    b_before: list[np.ndarray]
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SampleStep:
        return cls(
            index=int(d["index"]),
            input=array(d["input"]),
            target=array(d["target"]),
            learning_rate=float(d["learning_rate"]),
            trace=Trace.from_json(d),
            W_before=arrays(d["before"]["weights"]),
            b_before=arrays(d["before"]["biases"]),
            raw=d,
        )


@dataclass(frozen=True)
class History:
    """The loss curve: ``epoch``, ``train`` and ``test`` loss per recorded epoch (test NaN
    without test data)."""

    epoch: np.ndarray
    train: np.ndarray
    test: np.ndarray

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> History:
        return cls(np.asarray(d["epoch"], dtype=np.int64), array(d["train"]), array(d["test"]))


Message = Frame | Status | SampleStep | History


def decode_message(d: dict[str, Any]) -> Message | None:
    """A stream message (not ``error``) as its class; None for a type this client does not
    know (a newer server's addition), and for the page's other panels (API 1.1:
    ``gradient_flow``, ``confusion``, ``replay_range``), which the client reads over REST
    (``history``, ``confusion``, ``replay``) when asked."""
    kind = d.get("type")
    if kind == "frame":
        return Frame.from_json(d)
    if kind == "status":
        return Status.from_json(d)
    if kind == "sample_step":
        return SampleStep.from_json(d)
    if kind == "history":
        return History.from_json(d)
    return None


@dataclass(frozen=True)
class Job:
    """A training job as last read: ``status`` is queued, running, done, cancelled or
    diverged; ``result`` the last frame once it is finished."""

    id: str
    session_id: str
    url: str
    status: str
    epochs: int
    epochs_done: int
    progress: float
    epoch: int
    loss_train: float | None
    loss_test: float | None
    elapsed_seconds: float
    eta_seconds: float | None
    result: Frame | None
    raw: dict[str, Any] = field(repr=False)

    FINISHED = frozenset({"done", "cancelled", "diverged"})

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Job:
        loss = d.get("loss") or {}
        result = d.get("result")
        return cls(
            id=d["id"],
            session_id=d["session_id"],
            url=d["url"],
            status=d["status"],
            epochs=int(d["epochs"]),
            epochs_done=int(d["epochs_done"]),
            progress=float(d["progress"]),
            epoch=int(d["epoch"]),
            loss_train=loss.get("train"),
            loss_test=loss.get("test"),
            elapsed_seconds=float(d["elapsed_seconds"]),
            eta_seconds=d.get("eta_seconds"),
            result=None if result is None else Frame.from_json(result),
            raw=d,
        )
