"""The settings of gradient descent and their checks: ``TrainingConfig``.

η (the learning rate of Eq. 7), the batch size (1 = online/stochastic, N or more = full batch),
the momentum μ of v ← μ v − η ∂E/∂θ, the L1 or L2 penalty on the weights and its rate λ, and the
seed of the shuffling. ``TrainingConfig`` checks itself when made and names the offending field
(``training.<name>``); the bounds are the named limits below. ``engine/training.py``'s
``Trainer`` holds one, and ``engine/fused.py``'s ``StepSettings`` reads a stack's.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from engine.errors import SpecError, check_learning_rate

REGULARIZATIONS = ("none", "l1", "l2")
MAX_MOMENTUM = 0.999  # μ < 1, or the velocity never decays
MAX_REGULARIZATION_RATE = 10.0


@dataclass(frozen=True)
class TrainingConfig:
    """The knobs of gradient descent; ``validate`` names the offending field on bad values."""

    learning_rate: float = 0.03
    batch_size: int = 10
    momentum: float = 0.0
    regularization: str = "none"
    regularization_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def number(name: str, lo: float, hi: float, lo_open: bool = False) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
                raise SpecError(f"training.{name}", f"must be a number (got {v!r})")
            if not np.isfinite(v) or v < lo or v > hi or (lo_open and v == lo):
                bracket = "(" if lo_open else "["
                raise SpecError(f"training.{name}", f"must be in {bracket}{lo}, {hi}] (got {v!r})")

        check_learning_rate("training.learning_rate", self.learning_rate)
        number("momentum", 0.0, MAX_MOMENTUM)
        number("regularization_rate", 0.0, MAX_REGULARIZATION_RATE)
        for name in ("batch_size", "seed"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | np.integer)
                or v < (name == "batch_size")
            ):
                floor = 1 if name == "batch_size" else 0
                raise SpecError(f"training.{name}", f"must be an integer ≥ {floor} (got {v!r})")
        if self.regularization not in REGULARIZATIONS:
            raise SpecError(
                "training.regularization",
                f"unknown regularization {self.regularization!r}; "
                f"known: {', '.join(REGULARIZATIONS)}",
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
