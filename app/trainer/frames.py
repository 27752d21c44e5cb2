"""Frame encoding: the only place where the engine's numpy arrays become JSON.

A frame is one rendered epoch (docs/contract.md, "WebSocket"): losses, metrics, W and b, the
epoch's mean gradients (Eq. 6/8/15/18), the probe sample's z, a, g'(z) and δ per layer (steps
1–5, Eq. 5, Eq. 14), per-unit statistics over the training set, and for 1-D and 2-D data every
unit's activation over a grid of the input plane, each unit as base64 uint8 with its (lo, hi).
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from app.encoding import Fragment, dumpb, dumps  # noqa: F401  (frames.dumpb: the trainer's)
from engine import NetworkSpec, Params, Snapshot, descent_step, forward
from engine.datasets import Dataset

__all__ = [
    "PANEL_KINDS",
    "Fragment",
    "dumpb",
    "dumps",
    "frame",
    "grid_json",
    "panel_message",
    "sample_step_json",
    "summary",
]


def floats(x: Any) -> Any:
    """A numpy array (or scalar) as nested lists of Python floats."""
    return np.asarray(x, dtype=np.float64).tolist()


def params_json(W: list[np.ndarray], b: list[np.ndarray]) -> dict[str, list]:
    return {"weights": [w.tolist() for w in W], "biases": [v.tolist() for v in b]}


def encode_layers(layers: list[np.ndarray]) -> list[list[dict[str, Any]]]:
    """Every column (unit) of every layer as ``{"lo", "hi", "data"}``: data is base64 of the
    bytes round(255 (v - lo) / (hi - lo)) (all 0 for a constant unit), quantised in one pass
    over all units."""
    A = np.concatenate(layers, axis=1) if len(layers) > 1 else layers[0]
    if not np.isfinite(A).all():  # only after an explicit edit to huge weights
        A = np.nan_to_num(A)
    lo, hi = A.min(axis=0), A.max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):  # spans near the float range's (edits)
        span = hi - lo
        scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
        data = np.clip(np.rint((A - lo) * scale), 0, 255).astype(np.uint8).T.copy()
    b64 = base64.b64encode
    los, his = lo.tolist(), hi.tolist()
    units = [
        {"lo": los[j], "hi": his[j], "data": b64(data[j]).decode("ascii")}
        for j in range(A.shape[1])
    ]
    out, start = [], 0
    for layer in layers:
        out.append(units[start : start + layer.shape[1]])
        start += layer.shape[1]
    return out


def grid_points(domain: list[tuple[float, float]], resolution: int) -> np.ndarray:
    """Cell centres over the raw input domain: (R, 1) for 1-D data; (R*R, 2) for 2-D data,
    row-major with row 0 at the lowest x2 and x1 rising along a row. (The frames give 1-D data
    R = resolution², as many cells as a 2-D grid, so that its curve is smooth.)"""
    axes = [lo + (np.arange(resolution) + 0.5) * ((hi - lo) / resolution) for lo, hi in domain]
    if len(axes) == 1:
        return axes[0][:, None]
    x1, x2 = np.meshgrid(axes[0], axes[1])  # x2 varies along rows
    return np.stack([x1.ravel(), x2.ravel()], axis=1)


def grid_inputs(dataset: Dataset, resolution: int) -> np.ndarray | None:
    """The network inputs a_i at every grid cell (the cell centres through the features);
    None unless the raw data are 1-D or 2-D. Constant for a session: computed once."""
    if dataset.dims not in (1, 2):
        return None
    domain = [(float(lo), float(hi)) for lo, hi in dataset.domain]
    cells = resolution if dataset.dims == 2 else resolution * resolution
    return dataset.featurize(grid_points(domain, cells))


def grid_json(dataset: Dataset, layers: list[np.ndarray] | None) -> dict[str, Any] | None:
    """The heatmap grid of a frame: every unit's activation a over the input plane (layer 0 =
    the input features a_i, last = the outputs a_k), from ``engine.grid_activations`` at
    ``grid_inputs(dataset, resolution)``; None without a grid (data of more than 2 dims)."""
    if layers is None:
        return None
    domain = [[float(lo), float(hi)] for lo, hi in dataset.domain]
    G = layers[0].shape[0]
    cells = int(round(G**0.5)) if len(domain) == 2 else G
    return {"resolution": cells, "domain": domain, "layers": encode_layers(layers)}


def node_stats_json(stats: list[tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    """``engine.node_stats`` per layer after the input: mean a_j and mean |δ_j|."""
    return [{"mean_a": m.tolist(), "mean_abs_delta": d.tolist()} for m, d in stats]


def probe_json(
    probe: dict,
    params: Params | None = None,
    learning_rate: float | None = None,
    conceal: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The probe sample's trace: z, a, g'(z), δ per layer and, when the engine gave them, the
    sample's own gradients δ_j a_i and δ_j (Eq. 6/15, 8/18) shaped like W and b. Given the
    frame's ``params`` and η, also ``updated``: Eq. 7 for this one sample, θ − η ∂E_n/∂θ
    (``engine.descent_step``, the update ``backprop_step`` answers), so that a viewer shows the
    new value of any weight without asking for it. Fields named in ``conceal`` (of
    ``frame_binary.PROBE_FIELDS``: input, target, output, error, z, a, g_prime, delta,
    gradients, updated) are left out."""
    out = {
        "index": int(probe["index"]),
        "input": floats(probe["input"]),
        "target": floats(probe["target"]),
        "output": floats(probe["output"]),
        "error": float(probe["error"]),
        "layers": [
            {k: floats(layer[k]) for k in ("z", "a", "g_prime", "delta") if k in layer}
            for layer in probe["layers"]
        ],
    }
    grads = probe.get("gradients")
    if grads is not None:
        out["gradients"] = params_json(grads.W, grads.b)
        if params is not None and learning_rate is not None:
            with np.errstate(over="ignore", invalid="ignore"):
                updated = descent_step(params, grads, float(learning_rate))
            out["learning_rate"] = float(learning_rate)
            out["updated"] = params_json(updated.W, updated.b)
    if conceal:
        for key in conceal:
            out.pop(key, None)
        for layer in out["layers"]:
            for key in conceal:
                layer.pop(key, None)
        if "updated" in conceal:
            out.pop("learning_rate", None)
    return out


def frame(
    snap: Snapshot,
    status: str,
    dataset: Dataset,
    stats: list[tuple[np.ndarray, np.ndarray]],
    grid: list[np.ndarray] | None,
    learning_rate: float | None = None,
    conceal: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The frame of one snapshot (docs/contract.md). ``stats`` and ``grid`` are the engine's
    ``node_stats`` and ``grid_activations`` at the snapshot's parameters (computed stacked for
    a trainer's same-shaped sessions); with ``learning_rate`` the probe carries Eq. 7's
    ``updated`` parameters (``probe_json``)."""
    return {
        "type": "frame",
        "epoch": int(snap.epoch),
        "status": status,
        "loss": {"train": float(snap.loss_train), "test": _opt_float(snap.loss_test)},
        "metrics": {k: float(v) for k, v in snap.metrics.items()},
        **params_json(snap.W, snap.b),
        "gradients": params_json(snap.grad_W, snap.grad_b),
        "probe": probe_json(snap.probe, Params(snap.W, snap.b), learning_rate, conceal),
        "node_stats": node_stats_json(stats),
        "grid": grid_json(dataset, grid),
    }


def thumbnail(
    spec: NetworkSpec, params: Params, dataset: Dataset, X: np.ndarray | None
) -> dict[str, Any] | None:
    """A small picture of what the network predicts over the input plane: the first output
    unit's a_k (for a softmax output, the index of the largest a_k) at every cell of ``X``
    (``grid_inputs`` at a small resolution), as base64 uint8 with its (lo, hi); None unless the
    raw data are 1-D or 2-D."""
    if X is None:
        return None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        out = forward(spec, params, X).a[-1]
    values = out.argmax(axis=1).astype(np.float64) if spec.output == "softmax" else out[:, 0]
    cells = X.shape[0] if dataset.dims == 1 else int(round(X.shape[0] ** 0.5))
    picture = encode_layers([values[:, None]])[0][0]
    return {"resolution": cells, "dims": int(dataset.dims), **picture}


def summary(
    session_id: str,
    snap: Snapshot,
    status: str,
    spec: NetworkSpec,
    dataset: Dataset,
    grid_X: np.ndarray | None,
    setup: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``summary`` message: what a dashboard that watches many sessions shows for one —
    epoch, losses, metrics, status, a decision-boundary thumbnail, and its settings now."""
    return {
        "type": "summary",
        "id": session_id,
        "epoch": int(snap.epoch),
        "status": status,
        "loss": {"train": float(snap.loss_train), "test": _opt_float(snap.loss_test)},
        "metrics": {k: float(v) for k, v in snap.metrics.items()},
        "thumbnail": thumbnail(spec, Params(snap.W, snap.b), dataset, grid_X),
        "setup": setup,
    }


PANEL_KINDS = ("history", "gradient_flow", "confusion", "replay_range")


def panel_message(kind: str, body: bytes) -> bytes:
    """One of the stream's panel messages (docs/contract.md, "WebSocket"): ``body``, the
    encoded JSON object a REST read answers (``GET …/history``, ``…/confusion``,
    ``…/replay``; ``gradient_flow`` is the history's ``gradient_flow``), with ``"type": kind``
    in front — spliced as bytes, so that nothing is decoded again."""
    if kind not in PANEL_KINDS:
        raise ValueError(f"not a panel message kind: {kind!r}")
    head = b'{"type":"' + kind.encode() + b'"'
    return head + (b"}" if body.strip() == b"{}" else b"," + body.lstrip()[1:])


def sample_step_json(result: dict) -> dict[str, Any]:
    """The ``sample_step`` message: Trainer.step_sample's result for one sample."""
    return {
        "type": "sample_step",
        "index": int(result["index"]),
        "input": floats(result["input"]),
        "target": floats(result["target"]),
        "learning_rate": float(result["learning_rate"]),
        "loss": float(result["loss"]),
        "layers": [{k: floats(v) for k, v in layer.items()} for layer in result["layers"]],
        "gradients": params_json(result["gradients"].W, result["gradients"].b),
        "before": params_json(result["before"].W, result["before"].b),
        "updated": params_json(result["updated"].W, result["updated"].b),
    }


def _opt_float(x: float | None) -> float | None:
    return None if x is None else float(x)
