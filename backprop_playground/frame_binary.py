"""Reading a binary frame (docs/contract.md, "Binary frames", version 1) into the JSON form's
dict, so that a client sees one frame shape whichever form the server sent.

The layout is ``app.trainer.frame_binary``'s (its module docstring); this reader depends on
nothing but numpy and refuses anything else clearly (``FrameFormatError``).
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from typing import Any

import numpy as np

MAGIC = b"BPF"
VERSIONS = (1,)
KIND_FRAME = 1
STATUSES = ("paused", "running", "diverged")
F_TEST_LOSS, F_GRID, F_NODE_STATS, F_REPLAY, F_LEARNING_RATE, F_KEEP = 1, 2, 4, 8, 16, 32
PROBE_FIELDS = (
    "input", "target", "output", "error", "z", "a", "g_prime", "delta", "gradients", "updated",
)  # fmt: skip
LAYER_KEYS = ("z", "a", "g_prime", "delta")
HEADER = struct.Struct("<3sBBBHHBBBx")
GRID_HEAD = struct.Struct("<HBx")

__all__ = ["FrameFormatError", "decode_frame", "is_binary_frame"]


class FrameFormatError(ValueError):
    """Bytes that are no binary frame this client can read (another magic, a newer version,
    cut short)."""


def is_binary_frame(data: bytes) -> bool:
    return data[:3] == MAGIC


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if self.at + n > len(self.data):
            raise FrameFormatError(
                f"binary frame cut short: {n} bytes wanted at {self.at} of {len(self.data)}"
            )
        out = self.data[self.at : self.at + n]
        self.at += n
        return out

    def array(self, dtype: str, n: int) -> np.ndarray:
        size = np.dtype(dtype).itemsize
        return np.frombuffer(self.take(size * n), dtype=dtype).astype(np.float64)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def decode_frame(data: bytes, previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A binary frame → the JSON form's frame dict (floats rounded to float32 where the
    binary form carries float32; grid units as base64 bytes with their lo, hi). A frame that
    says "keep" takes its grid and node statistics from ``previous``, the frame before it on
    the same stream."""
    if len(data) < HEADER.size or data[:3] != MAGIC:
        raise FrameFormatError("not a binary frame (its first bytes are not 'BPF')")
    version = data[3]
    if version not in VERSIONS:
        raise FrameFormatError(
            f"binary frame version {version} is not one this client reads ({list(VERSIONS)}); "
            "ask the stream for format=json or update the client"
        )
    r = _Reader(data)
    _m, _v, kind, status, flags, mask, n_sizes, n_metrics, names_len = HEADER.unpack(
        r.take(HEADER.size)
    )
    if kind != KIND_FRAME:
        raise FrameFormatError(f"binary message kind {kind} is unknown")
    if status >= len(STATUSES):
        raise FrameFormatError(f"status code {status} is unknown")
    sizes = [int(x) for x in np.frombuffer(r.take(2 * n_sizes), dtype="<u2")]
    names = r.take(names_len).decode("ascii").split(",") if names_len else []
    if len(names) != n_metrics:
        raise FrameFormatError("metric names and count disagree")
    sc = r.array("<f8", 6 + n_metrics)
    L = len(sizes) - 1
    shapes = [(sizes[l], sizes[l + 1]) for l in range(L)]

    def mats(dtype: str = "<f4") -> list[list]:
        return [r.array(dtype, a * c).reshape(a, c).tolist() for a, c in shapes]

    def vecs(dtype: str = "<f4") -> list[list]:
        return [r.array(dtype, sizes[l + 1]).tolist() for l in range(L)]

    def has(name: str) -> bool:
        return bool(mask & (1 << PROBE_FIELDS.index(name)))

    frame: dict[str, Any] = {
        "type": "frame",
        "epoch": int(sc[0]),
        "status": STATUSES[status],
        "loss": {"train": _num(sc[1]), "test": _num(sc[2]) if flags & F_TEST_LOSS else None},
        "metrics": {k: float(v) for k, v in zip(names, sc[6:], strict=True)},
    }
    frame["weights"], frame["biases"] = mats("<f8"), vecs("<f8")  # the exact (f64) block
    probe: dict[str, Any] = {"index": int(sc[3])}
    for key, n in (("input", sizes[0]), ("target", sizes[-1]), ("output", sizes[-1])):
        if has(key):
            probe[key] = r.array("<f8", n).tolist()
    if has("updated"):
        probe["learning_rate"] = float(sc[5])
        updated = {"weights": mats("<f8"), "biases": vecs("<f8")}
    frame["gradients"] = {"weights": mats(), "biases": vecs()}  # the float32 block
    if has("error"):
        probe["error"] = _num(sc[4])
    probe["layers"] = [
        {k: r.array("<f4", sizes[l + 1]).tolist() for k in LAYER_KEYS if has(k)} for l in range(L)
    ]
    if has("gradients"):
        probe["gradients"] = {"weights": mats(), "biases": vecs()}
    if has("updated"):
        probe["updated"] = updated
    frame["probe"] = probe
    frame["node_stats"] = (
        [
            {"mean_a": r.array("<f4", n).tolist(), "mean_abs_delta": r.array("<f4", n).tolist()}
            for n in sizes[1:]
        ]
        if flags & F_NODE_STATS
        else []
    )
    frame["grid"] = _grid(r, sizes) if flags & F_GRID else None
    if flags & F_KEEP:
        frame["node_stats"] = [] if previous is None else previous.get("node_stats", [])
        frame["grid"] = None if previous is None else previous.get("grid")
    if flags & F_REPLAY:
        frame["replay"] = True
    if r.at != len(data):
        raise FrameFormatError(f"{len(data) - r.at} bytes left over after the frame")
    return frame


def _grid(r: _Reader, sizes: list[int]) -> dict[str, Any]:
    cells, dims = GRID_HEAD.unpack(r.take(GRID_HEAD.size))
    domain = r.array("<f8", 2 * dims).reshape(dims, 2).tolist()
    U = sum(sizes)
    lo, hi = r.array("<f4", U).tolist(), r.array("<f4", U).tolist()
    (zlen,) = struct.unpack("<I", r.take(4))
    try:
        raw = zlib.decompress(r.take(zlen))
    except zlib.error as exc:
        raise FrameFormatError(f"the grid's bytes do not inflate ({exc})") from None
    G = cells * cells if dims == 2 else cells
    if len(raw) != U * G:
        raise FrameFormatError(f"the grid holds {len(raw)} bytes, not {U} units × {G} cells")
    q = np.cumsum(np.frombuffer(raw, dtype=np.uint8).reshape(U, G), axis=1, dtype=np.uint8)
    units = [
        {"lo": lo[j], "hi": hi[j], "data": base64.b64encode(q[j].tobytes()).decode("ascii")}
        for j in range(U)
    ]
    layers, start = [], 0
    for n in sizes:
        layers.append(units[start : start + n])
        start += n
    return {"resolution": cells, "domain": domain, "layers": layers}
