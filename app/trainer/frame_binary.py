"""The binary frame's encoder (the format: ``app/frame_format.py``, docs/contract.md "Binary
frames"): the JSON frame's numbers in a third of the bytes, encoded for a stack of
same-shaped sessions at once.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from app.frame_format import (
    F_GRID,
    F_KEEP,
    F_LEARNING_RATE,
    F_NODE_STATS,
    F_REPLAY,
    F_TEST_LOSS,
    GRID_HEAD,
    HEADER,
    KIND_FRAME,
    LAYER_KEYS,
    MAGIC,
    PROBE_FIELDS,
    STATUSES,
    VERSION,
)
from app.trainer.deflate import deflate
from engine import NetworkSpec, Params, Snapshot
from engine.datasets import Dataset
from engine.stacked import probe_traces, stacked_params

__all__ = ["MAGIC", "PROBE_FIELDS", "VERSION", "Member", "encode_stack", "probe_mask"]


@dataclass
class Member:
    """One session of a stack: its snapshot and status, η (None: no ``updated``), the probe
    fields it conceals, and whether it is a replayed frame."""

    snap: Snapshot
    status: str
    learning_rate: float | None = None
    conceal: frozenset[str] = frozenset()
    replay: bool = False
    keep: bool = False  # leave the grid and node statistics out (F_KEEP)
    # the probe sample (its index, input row and encoded target) and the network's spec: with
    # them the probe traces are computed stacked (``engine.stacked.probe_traces``); without,
    # each snapshot's own ``probe`` is read
    spec: NetworkSpec | None = None
    probe_index: int = 0
    probe_x: np.ndarray | None = None
    probe_t: np.ndarray | None = None


def _probes(members: Sequence[Member], W: list[np.ndarray], b: list[np.ndarray]) -> dict:
    """The members' probe traces as stacked arrays, keyed like ``Snapshot.probe``: computed
    for the whole stack by ``probe_traces`` when every member names its probe sample, else
    stacked from each snapshot's own trace."""
    spec = members[0].spec
    if spec is not None and all(m.probe_x is not None for m in members):
        X = np.stack([m.probe_x for m in members])  # type: ignore[misc]
        T = np.stack([m.probe_t for m in members])  # type: ignore[misc]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            p = probe_traces(spec, W, b, X, T)
        return {
            "index": np.array([m.probe_index for m in members], dtype=np.float64),
            "input": p.input,
            "target": p.target,
            "output": p.output,
            "error": p.error,
            "layers": p.layers,
            "gradients": p.gradients,
        }
    probes = [m.snap.probe for m in members]
    L = len(W)
    grads = probes[0].get("gradients")
    return {
        "index": np.array([p["index"] for p in probes], dtype=np.float64),
        **{k: _stack([p[k] for p in probes]) for k in ("input", "target", "output")},
        "error": np.array([p["error"] for p in probes], dtype=np.float64),
        "layers": [
            {k: _stack([p["layers"][l][k] for p in probes]) for k in LAYER_KEYS} for l in range(L)
        ],
        "gradients": None
        if grads is None
        else Params(
            [_stack([p["gradients"].W[l] for p in probes]) for l in range(L)],
            [_stack([p["gradients"].b[l] for p in probes]) for l in range(L)],
        ),
    }


def probe_mask(conceal: frozenset[str] | set[str], has_gradients: bool, has_eta: bool) -> int:
    """The ``probe`` header bits: every field not concealed (``gradients``/``updated`` only
    when the engine gave the probe's gradients, ``updated`` only with η)."""
    mask = 0
    for bit, name in enumerate(PROBE_FIELDS):
        if name in conceal:
            continue
        if name == "gradients" and not has_gradients:
            continue
        if name == "updated" and not (has_gradients and has_eta):
            continue
        mask |= 1 << bit
    return mask


def _flat(arrays: Sequence[np.ndarray], S: int) -> np.ndarray:
    """Stacked arrays (S, …) as one (S, k) block."""
    return np.concatenate([a.reshape(S, -1) for a in arrays], axis=1)


def _stack(rows: Sequence[np.ndarray]) -> np.ndarray:
    return np.stack([np.asarray(r, dtype=np.float64) for r in rows])


def encode_stack(
    members: Sequence[Member],
    dataset: Dataset,
    node_stats: list[tuple[np.ndarray, np.ndarray]] | None,
    grid: list[np.ndarray] | None,
) -> list[bytes]:
    """Binary frames of S same-shaped sessions that share a dataset's grid domain, one per
    member, in order. ``node_stats[l]`` is (mean a, mean |δ|) of layer l+1, each (S, n_{l+1});
    ``grid[l]`` is layer l's activation over the grid, (S, G, n_l) (``engine.stacked
    .FrameStats``), or (F, G, n_l) for just the F members that carry a grid (not ``keep``),
    in order. Every number is computed for the stack in one numpy call per array kind;
    only the header and zlib run per session. The members must agree on concealed fields
    and on having η (the trainer groups them so)."""
    S = len(members)
    snaps = [m.snap for m in members]
    first = snaps[0]
    L = len(first.W)
    sizes = [first.W[0].shape[0], *(w.shape[1] for w in first.W)]
    blocks = stacked_params(snaps)  # one gather when the snapshots are one stack's epoch
    if blocks is not None:
        W, b, gW, gb = blocks
    else:
        W = [_stack([s.W[l] for s in snaps]) for l in range(L)]
        b = [_stack([s.b[l] for s in snaps]) for l in range(L)]
        gW = [_stack([s.grad_W[l] for s in snaps]) for l in range(L)]
        gb = [_stack([s.grad_b[l] for s in snaps]) for l in range(L)]
    probe = _probes(members, W, b)
    has_grads = probe["gradients"] is not None
    has_eta = members[0].learning_rate is not None
    mask = probe_mask(members[0].conceal, has_grads, has_eta)
    exact: list[np.ndarray] = [*W, *b]  # float64: what a viewer edits and recomputes from
    for bit, key in enumerate(("input", "target", "output")):
        if mask & (1 << bit):
            exact.append(probe[key])
    parts: list[np.ndarray] = [*gW, *gb]  # float32
    for l in range(L):
        for key in LAYER_KEYS:
            if mask & (1 << PROBE_FIELDS.index(key)):
                parts.append(probe["layers"][l][key])
    grad_bit, updated_bit = 1 << PROBE_FIELDS.index("gradients"), 1 << PROBE_FIELDS.index("updated")
    if has_grads and mask & (grad_bit | updated_bit):
        pW, pb = probe["gradients"].W, probe["gradients"].b
        if mask & grad_bit:
            parts += [*pW, *pb]
        if mask & updated_bit:
            eta = np.array([float(m.learning_rate) for m in members])  # type: ignore[arg-type]
            with np.errstate(over="ignore", invalid="ignore"):  # Eq. 7: θ − η ∂E_n/∂θ
                exact += [w - eta[:, None, None] * g for w, g in zip(W, pW, strict=True)]
                exact += [v - eta[:, None] * g for v, g in zip(b, pb, strict=True)]
    n_stats = 0
    if node_stats is not None:
        for mean_a, mean_d in node_stats:
            parts += [mean_a, mean_d]
            n_stats += mean_a.shape[1] + mean_d.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        block = _flat(parts, S).astype("<f4")
    block64 = _flat(exact, S).astype("<f8")
    full = [i for i, m in enumerate(members) if not m.keep]

    metric_names = list(first.metrics)
    names = ",".join(metric_names).encode("ascii")
    scalars = np.array(
        [
            [
                s.epoch,
                s.loss_train,
                np.nan if s.loss_test is None else s.loss_test,
                probe["index"][i],
                probe["error"][i] if mask & (1 << PROBE_FIELDS.index("error")) else np.nan,
                np.nan if m.learning_rate is None else m.learning_rate,
                *(s.metrics.get(k, np.nan) for k in metric_names),
            ]
            for i, (s, m) in enumerate(zip(snaps, members, strict=True))
        ],
        dtype="<f8",
    )
    sizes_bytes = np.asarray(sizes, dtype="<u2").tobytes()

    grid_parts: dict[int, list[bytes]] = {}
    if grid is not None and full:
        whole = len(grid[0]) == S and len(full) < S  # rows for all: take the full ones
        pick = [a[np.asarray(full)] for a in grid] if whole else grid
        grid_parts = dict(zip(full, _grid_parts(dataset, pick, len(full)), strict=True))
    out = []
    for i, (s, m) in enumerate(zip(snaps, members, strict=True)):
        flags = (F_TEST_LOSS if s.loss_test is not None else 0) | (F_REPLAY if m.replay else 0)
        flags |= F_LEARNING_RATE if m.learning_rate is not None else 0
        if m.keep:
            flags |= F_KEEP
        else:
            flags |= F_NODE_STATS if node_stats is not None else 0
            flags |= F_GRID if i in grid_parts else 0
        status = STATUSES.index(m.status)
        head = HEADER.pack(
            MAGIC, VERSION, KIND_FRAME, status, flags, mask, len(sizes), len(metric_names),
            len(names),
        )  # fmt: skip
        row = block[i, : block.shape[1] - n_stats] if m.keep else block[i]
        chunks = [head, sizes_bytes, names, scalars[i].tobytes(), block64[i].tobytes()]
        chunks.append(row.tobytes())
        if i in grid_parts:
            chunks += grid_parts[i]
        out.append(b"".join(chunks))
    return out


def _grid_parts(dataset: Dataset, grid: list[np.ndarray], S: int) -> list[list[bytes]]:
    """Each member's grid section: the quantisation of ``frames.encode_layers`` (lo, hi per
    unit; 255 (a − lo)/(hi − lo) rounded), stacked over the members, then filtered and
    deflated per member (``deflate``: ISA-L's deflate where installed, about 3× zlib's)."""
    q, lo, hi = quantise_stack(grid)
    d = np.empty_like(q)  # the difference filter, mod 256 (uint8 arithmetic wraps)
    d[:, :, 0] = q[:, :, 0]
    np.subtract(q[:, :, 1:], q[:, :, :-1], out=d[:, :, 1:])
    G = q.shape[2]
    dims = len(dataset.domain)
    cells = int(round(G**0.5)) if dims == 2 else G
    domain = np.asarray([[float(a), float(z)] for a, z in dataset.domain], dtype="<f8")
    head = GRID_HEAD.pack(cells, dims) + domain.tobytes()
    lo32, hi32 = lo.astype("<f4"), hi.astype("<f4")
    out = []
    for i in range(S):
        z = deflate(d[i].tobytes())
        out.append([head, lo32[i].tobytes(), hi32[i].tobytes(), struct.pack("<I", len(z)), z])
    return out


def quantise_stack(grid: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stack's grids quantised as ``frames.encode_layers`` does each session's: ``grid[l]``
    is (S, G, n_l); answers q (S, U, G) uint8 with each unit's cells contiguous,
    q = min(255, round(255 (a − lo)/(hi − lo))) (0 where hi = lo), and lo, hi (S, U).
    Every operation runs in place on one float64 copy, in the readable form's order, so the
    bytes are the same (``tests/test_frames_binary.py`` pins them)."""
    A = np.concatenate([a.transpose(0, 2, 1) for a in grid], axis=1)  # (S, U, G), our copy
    lo, hi = A.min(axis=2), A.max(axis=2)  # (S, U); NaN or ±inf here if any cell is
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        A = np.nan_to_num(A)  # only after an explicit edit to huge weights
        lo, hi = A.min(axis=2), A.max(axis=2)
    with np.errstate(over="ignore", invalid="ignore"):  # spans near the float range's (edits)
        span = hi - lo
        scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
        A -= lo[:, :, None]  # 0 ≤ A·scale ≤ 255 (+ rounding)
        A *= scale[:, :, None]
        np.rint(A, out=A)
        np.minimum(A, 255.0, out=A)
        return A.astype(np.uint8), lo, hi
