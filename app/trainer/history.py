"""A session's loss curve in its trainer: one point per epoch, thinned to a bound (the
``history`` panel, ``GET /api/sessions/{id}/history`` and the checkpoint carry it)."""

from __future__ import annotations

from typing import Any


class History:
    """The loss curve, one point per epoch, thinned to at most ``max_points``: when full, every
    other point is dropped and only every ``stride``-th epoch is recorded from then on."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self.clear()

    def clear(self) -> None:
        self.epoch: list[int] = []
        self.train: list[float] = []
        self.test: list[float | None] = []
        self.stride = 1
        self.first: int | None = None

    def add(self, epoch: int, train: float, test: float | None) -> None:
        if self.first is None:
            self.first = epoch
        if (epoch - self.first) % self.stride:
            return
        self.epoch.append(epoch)
        self.train.append(train)
        self.test.append(test)
        if len(self.epoch) > self.max_points:
            self.epoch, self.train, self.test = self.epoch[::2], self.train[::2], self.test[::2]
            self.stride *= 2

    def to_json(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "train": list(self.train), "test": list(self.test)}

    def state(self) -> dict[str, Any]:
        """Everything needed to continue the curve exactly (``load_state``)."""
        return {**self.to_json(), "stride": self.stride, "first": self.first}

    def load_state(self, state: dict[str, Any]) -> None:
        self.epoch = [int(e) for e in state["epoch"]]
        self.train = [float(v) for v in state["train"]]
        self.test = [None if v is None else float(v) for v in state["test"]]
        self.stride = int(state["stride"])
        self.first = None if state["first"] is None else int(state["first"])
