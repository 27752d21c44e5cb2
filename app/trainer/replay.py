"""Replay: thinned checkpoints of a session's parameters, so that a student can scrub back
through training and see the network as it was at an earlier epoch.

``Checkpoints`` keeps a copy of W and b at recorded epochs within ``max_bytes``: every epoch at
first; when the copies would exceed the bound, every other one is dropped and from then on only
every ``stride``-th epoch is kept (like the loss history). So a long run keeps evenly spaced
checkpoints over its whole length, never more than the bound. The frame of a checkpoint is
computed when asked for (``Resident.replay_frame``), by the same code as a live frame.

The checkpoints are part of the session's saved state (``state``/``load_state``), so they come
back after eviction, a restart or a kill -9. The saved copy is thinned the same way to at most
``max_saved_bytes`` of weights (``max_replay_checkpoint_bytes``), stored as exact float64 bytes
(base64: 4/3 of the raw size) so that a replayed frame after a restore is bit-identical.
"""

from __future__ import annotations

import base64
import bisect
from typing import Any

import numpy as np

MAX_CHECKPOINTS = 4096  # besides the byte bound: a cap on the list itself


class Checkpoints:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.clear()

    def clear(self) -> None:
        self.epochs: list[int] = []
        self.params: list[tuple[list[np.ndarray], list[np.ndarray]]] = []
        self.stride = 1
        self.first: int | None = None
        self.each = 0  # bytes of one checkpoint

    @property
    def nbytes(self) -> int:
        return self.each * len(self.epochs)

    def wants(self, epoch: int) -> bool:
        first = epoch if self.first is None else self.first
        return (epoch - first) % self.stride == 0 and (not self.epochs or epoch > self.epochs[-1])

    def add(self, epoch: int, W: list[np.ndarray], b: list[np.ndarray]) -> None:
        """Keep a copy of W and b at ``epoch`` (when the thinning keeps that epoch)."""
        if not self.wants(epoch):
            return
        self.each = sum(w.nbytes for w in W) + sum(v.nbytes for v in b)
        if self.each > self.max_bytes:
            return  # not even one fits
        if self.first is None:
            self.first = epoch
        self.epochs.append(epoch)
        self.params.append(([w.copy() for w in W], [v.copy() for v in b]))
        self.thin()

    def state(self, max_saved_bytes: int) -> dict[str, Any] | None:
        """The checkpoints to save: every ``2**k``-th kept one, for the least ``k`` whose
        weights fit in ``max_saved_bytes`` (None when there are none or not even one fits)."""
        if not self.epochs or self.each > max_saved_bytes:
            return None
        epochs, params, stride = self.epochs, self.params, self.stride
        while self.each * len(epochs) > max_saved_bytes:
            epochs, params, stride = epochs[::2], params[::2], stride * 2
        W0, b0 = params[0]
        raw = b"".join(
            np.ascontiguousarray(a, dtype="<f8").tobytes() for W, b in params for a in (*W, *b)
        )
        return {
            "epochs": list(epochs),
            "stride": stride,
            "first": self.first,
            "shapes": [list(a.shape) for a in (*W0, *b0)],
            "layers": len(W0),
            "data": base64.b64encode(raw).decode("ascii"),
        }

    def load_state(self, state: dict[str, Any] | None) -> None:
        """Take back what ``state`` saved (nothing when ``state`` is None)."""
        self.clear()
        if not state:
            return
        shapes = [tuple(int(n) for n in shape) for shape in state["shapes"]]
        layers = int(state["layers"])
        flat = np.frombuffer(base64.b64decode(state["data"]), dtype="<f8")
        epochs = [int(e) for e in state["epochs"]]
        sizes = [int(np.prod(shape)) for shape in shapes]
        if flat.size != sum(sizes) * len(epochs):
            return  # a damaged copy: replay starts afresh rather than showing wrong weights
        at = 0
        for _ in epochs:
            arrays = []
            for shape, size in zip(shapes, sizes, strict=True):
                arrays.append(flat[at : at + size].astype(np.float64).reshape(shape))
                at += size
            self.params.append((arrays[:layers], arrays[layers:]))
        self.epochs = epochs
        self.stride = int(state["stride"])
        self.first = None if state["first"] is None else int(state["first"])
        self.each = sum(sizes) * 8
        self.thin()

    def thin(self) -> None:
        """Drop every other checkpoint until they fit ``max_bytes`` and ``MAX_CHECKPOINTS``."""
        while self.nbytes > self.max_bytes or len(self.epochs) > MAX_CHECKPOINTS:
            self.epochs, self.params = self.epochs[::2], self.params[::2]
            self.stride *= 2

    def at(self, epoch: int) -> tuple[int, list[np.ndarray], list[np.ndarray]] | None:
        """The last checkpoint at or before ``epoch`` (None when there is none)."""
        k = bisect.bisect_right(self.epochs, epoch) - 1
        if k < 0:
            return None
        W, b = self.params[k]
        return self.epochs[k], W, b
