"""Replay: thinned checkpoints of a session's parameters, so that a student can scrub back
through training and see the network as it was at an earlier epoch.

``Checkpoints`` keeps a copy of W and b at recorded epochs within ``max_bytes``: every epoch at
first; when the copies would exceed the bound, every other one is dropped and from then on only
every ``stride``-th epoch is kept (like the loss history). So a long run keeps evenly spaced
checkpoints over its whole length, never more than the bound. The frame of a checkpoint is
computed when asked for (``Resident.replay_frame``), by the same code as a live frame.
"""

from __future__ import annotations

import bisect

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
