"""The architecture of a network and its checks: ``NetworkSpec``.

The units per layer n_0 … n_L (input first), one activation per layer after the input (the g_j
and g_k of steps 3 and 5, from ``engine/activations.py``) and the loss E (Eq. 1, or the
cross-entropy, from ``engine/losses.py``). A spec checks itself when made: an unknown name, a
softmax in a hidden layer or an invalid loss/output pairing raises ``SpecError`` naming the
field. The parameters and the passes that follow a spec are ``engine/network.py``'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.activations import ACTIVATIONS, Activation
from engine.errors import SpecError
from engine.losses import LOSSES, Loss


@dataclass(frozen=True)
class NetworkSpec:
    """The architecture: units per layer (input first), one activation per later layer, a loss.

    Validates itself: an unknown name, a softmax in a hidden layer or an invalid loss/output
    pairing (cross_entropy needs a sigmoid or softmax output) raises ``SpecError``.
    """

    layer_sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str = "sse"
    g: tuple[Activation, ...] = field(init=False, repr=False, compare=False)
    E: Loss = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sizes, acts = tuple(self.layer_sizes), tuple(self.activations)
        object.__setattr__(self, "layer_sizes", sizes)
        object.__setattr__(self, "activations", acts)
        if len(sizes) < 2:
            raise SpecError("network.layer_sizes", "needs at least an input and an output layer")
        for l, n in enumerate(sizes):
            if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
                raise SpecError(f"network.layer_sizes[{l}]", f"must be an integer ≥ 1 (got {n!r})")
        if len(acts) != len(sizes) - 1:
            raise SpecError(
                "network.activations",
                f"needs one activation per layer after the input: {len(sizes) - 1} "
                f"(got {len(acts)})",
            )
        gs = []
        for l, name in enumerate(acts):
            if name not in ACTIVATIONS:
                raise SpecError(
                    f"network.activations[{l}]",
                    f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}",
                )
            if ACTIVATIONS[name].output_only and l != len(acts) - 1:
                raise SpecError(
                    f"network.activations[{l}]", f"{name} may only be used for the output layer"
                )
            gs.append(ACTIVATIONS[name])
        if self.loss not in LOSSES:
            raise SpecError(
                "network.loss", f"unknown loss {self.loss!r}; known: {', '.join(LOSSES)}"
            )
        loss = LOSSES[self.loss]
        out = acts[-1]
        if loss.allowed_outputs is not None and out not in loss.allowed_outputs:
            raise SpecError(
                "network.loss",
                f"loss {self.loss} cannot be paired with a {out} output; "
                f"it needs one of: {', '.join(loss.allowed_outputs)}",
            )
        if out == "softmax" and self.loss != "cross_entropy":
            raise SpecError(
                "network.loss",
                f"a softmax output needs the cross_entropy loss (got {self.loss} with softmax)",
            )
        object.__setattr__(self, "g", tuple(gs))
        object.__setattr__(self, "E", loss)

    @property
    def depth(self) -> int:
        """L, the number of weight layers (hidden layers + 1)."""
        return len(self.layer_sizes) - 1

    @property
    def output(self) -> str:
        """The name of the output activation."""
        return self.activations[-1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer_sizes": list(self.layer_sizes),
            "activations": list(self.activations),
            "loss": self.loss,
        }
