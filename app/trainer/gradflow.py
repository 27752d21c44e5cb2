"""Gradient flow over time: per recorded epoch, each layer's mean |δ| and mean |∂E/∂w|
(``engine.gradient_flow``), so that vanishing and exploding gradients can be seen as they
develop. Kept beside the loss history (``app.trainer.history.History``) and thinned the same way:
at most ``max_points`` epochs; when full, every other one is dropped and from then on only every
``stride``-th epoch is measured. A measurement costs one backward pass over the training set,
so only epochs that will be kept are measured (``wants``).

While a session plays, its series is also sampled in time (issue 21,
``app.trainer.flow_stack.FlowSampling``): a point at most every ``stride / panel_rate``
seconds — the rate its chart is pushed at — on an epoch it keeps; the epochs between are not
measured. A train request or a step measures every epoch it keeps, and playing that stops adds
the epoch it stopped at. Every point is still its epoch's exact flow; a playing series' points
are evenly spaced in time rather than in epochs."""

from __future__ import annotations

from typing import Any


class GradientFlow:
    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self.clear()

    def clear(self) -> None:
        self.epoch: list[int] = []
        self.delta: list[list[float]] = []  # per epoch: mean |δ| of layers 1..L
        self.grad_w: list[list[float]] = []  # per epoch: mean |∂E/∂w| of W[0..L-1]
        self.stride = 1
        self.first: int | None = None

    def wants(self, epoch: int) -> bool:
        """Whether ``epoch`` would be kept (so whether it is worth measuring)."""
        first = epoch if self.first is None else self.first
        return (epoch - first) % self.stride == 0 and (not self.epoch or epoch > self.epoch[-1])

    def add(self, epoch: int, delta: list[float], grad_w: list[float]) -> None:
        if not self.wants(epoch):
            return
        if self.first is None:
            self.first = epoch
        self.epoch.append(epoch)
        self.delta.append(delta)
        self.grad_w.append(grad_w)
        if len(self.epoch) > self.max_points:
            self.epoch, self.delta, self.grad_w = (
                self.epoch[::2],
                self.delta[::2],
                self.grad_w[::2],
            )
            self.stride *= 2

    def to_json(self) -> dict[str, Any]:
        """``{"epoch": [...], "delta": [[per layer] per epoch], "grad_w": [...]}``."""
        return {"epoch": list(self.epoch), "delta": list(self.delta), "grad_w": list(self.grad_w)}

    def state(self) -> dict[str, Any]:
        return {**self.to_json(), "stride": self.stride, "first": self.first}

    def load_state(self, state: dict[str, Any] | None) -> None:
        self.clear()
        if not state:
            return
        self.epoch = [int(e) for e in state["epoch"]]
        self.delta = [[float(v) for v in row] for row in state["delta"]]
        self.grad_w = [[float(v) for v in row] for row in state["grad_w"]]
        self.stride = int(state["stride"])
        self.first = None if state["first"] is None else int(state["first"])
