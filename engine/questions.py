"""Numeric questions about one student's own network, checked by the engine.

A question names a quantity of the derivation for one unit (or one weight) and one training
sample; the expected value is read off ``trace`` on a batch of that one sample, with the
parameters of the moment the student answers — the same forward pass (steps 1–5), δ (Eq. 5,
Eq. 14), gradients (Eq. 6/15, 8/18) and update (Eq. 7) the engine trains with, not a second
implementation.

Addressing follows the network's shapes: ``layer`` is 1 … L (the first layer after the input is
1, the output is L); ``unit`` (j, or k at the output) counts from 0 within that layer; a weight
w_ij of ``layer`` joins unit ``source`` (i) of layer − 1 to ``unit`` (j) of ``layer``.

- ``z``           z_j = b_j + Σ_i a_i w_ij                      (derivation steps 2 and 4)
- ``a``           a_j = g_j(z_j)                                (steps 3 and 5)
- ``delta``       δ_k = (a_k − t_k) g'_k(z_k) at the output (Eq. 5),
                  δ_j = g'_j(z_j) Σ_k δ_k w_jk in a hidden layer (Eq. 14)
- ``dE_dw``       ∂E/∂w_ij = δ_j a_i                            (Eq. 6, Eq. 15)
- ``dE_db``       ∂E/∂b_j = δ_j                                 (Eq. 8, Eq. 18)
- ``w_updated``   w_ij − η ∂E/∂w_ij after one step on the sample (Eq. 7)
- ``b_updated``   b_j − η ∂E/∂b_j                               (Eq. 7)
- ``E``           the sample's error, E = ½ Σ_k (a_k − t_k)²    (Eq. 1)

``hidden_fields`` names what a student's page must not receive while the question is open: the
quantity itself and what gives it away at once (a_j gives z_j through g⁻¹, ∂E/∂w_ij = δ_j a_i
gives δ_j, the updated weight gives the gradient).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from engine.errors import SpecError
from engine.network import NetworkSpec, Params, descent_step, trace

QUANTITIES: dict[str, str] = {
    "z": "z_j, the weighted sum into a unit (steps 2 and 4)",
    "a": "a_j = g_j(z_j), a unit's activation (steps 3 and 5)",
    "delta": "δ, a unit's error signal (Eq. 5 at the output, Eq. 14 in a hidden layer)",
    "dE_dw": "∂E/∂w_ij = δ_j a_i (Eq. 6, Eq. 15)",
    "dE_db": "∂E/∂b_j = δ_j (Eq. 8, Eq. 18)",
    "w_updated": "w_ij after one gradient-descent step on the sample (Eq. 7)",
    "b_updated": "b_j after one gradient-descent step on the sample (Eq. 7)",
    "E": "the sample's error E = ½ Σ_k (a_k − t_k)² (Eq. 1)",
}

WEIGHT_QUANTITIES = frozenset({"dE_dw", "w_updated"})
NEEDS_ETA = frozenset({"w_updated", "b_updated"})

# The probe-trace fields a page must not receive while a question on the key is open.
GIVES_AWAY: dict[str, frozenset[str]] = {
    "z": frozenset({"z", "a", "g_prime"}),
    "a": frozenset({"a", "z", "g_prime"}),
    "delta": frozenset({"delta", "gradients", "updated"}),
    "dE_dw": frozenset({"delta", "gradients", "updated"}),
    "dE_db": frozenset({"delta", "gradients", "updated"}),
    "w_updated": frozenset({"delta", "gradients", "updated"}),
    "b_updated": frozenset({"delta", "gradients", "updated"}),
    "E": frozenset({"error", "loss"}),
}


@dataclass(frozen=True)
class Quantity:
    """Which number a question asks for: a named quantity at one unit or weight."""

    name: str
    layer: int | None = None
    unit: int | None = None
    source: int | None = None

    def check(self, spec: NetworkSpec, field: str = "quantity") -> None:
        """Raise ``SpecError`` naming the field when this quantity does not exist in ``spec``."""
        if self.name not in QUANTITIES:
            names = ", ".join(QUANTITIES)
            raise SpecError(f"{field}.name", f"must be one of {names} (got {self.name!r})")
        if self.name == "E":
            return
        L = spec.depth
        if not isinstance(self.layer, int) or not 1 <= self.layer <= L:
            raise SpecError(f"{field}.layer", f"must be a layer from 1 to {L} (got {self.layer!r})")
        n = spec.layer_sizes[self.layer]
        if not isinstance(self.unit, int) or not 0 <= self.unit < n:
            raise SpecError(
                f"{field}.unit", f"layer {self.layer} has units 0 to {n - 1} (got {self.unit!r})"
            )
        if self.name in WEIGHT_QUANTITIES:
            m = spec.layer_sizes[self.layer - 1]
            if not isinstance(self.source, int) or not 0 <= self.source < m:
                raise SpecError(
                    f"{field}.source",
                    f"layer {self.layer - 1} has units 0 to {m - 1} (got {self.source!r})",
                )


def expected_value(
    spec: NetworkSpec,
    params: Params,
    x: np.ndarray,
    t: np.ndarray,
    quantity: Quantity,
    eta: float | None = None,
) -> float:
    """The value of ``quantity`` for one sample (input row ``x``, target row ``t``) under
    ``params``: one forward and backward pass (``trace``) and, for an update, Eq. 7."""
    quantity.check(spec)
    X = np.asarray(x, dtype=float).reshape(1, -1)
    T = np.asarray(t, dtype=float).reshape(1, -1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        tr = trace(spec, params, X, T)
    if quantity.name == "E":
        return float(tr["errors"][0])
    l, j = quantity.layer - 1, quantity.unit  # type: ignore[operator]
    if quantity.name in ("z", "a", "delta"):
        return float(tr["layers"][l][quantity.name][0, j])
    grads: Params = tr["gradients"]
    if quantity.name == "dE_dw":
        return float(grads.W[l][quantity.source, j])
    if quantity.name == "dE_db":
        return float(grads.b[l][j])
    if eta is None:
        raise SpecError("question.learning_rate", "an update needs the step's learning rate η")
    updated = descent_step(params, grads, eta)
    if quantity.name == "w_updated":
        return float(updated.W[l][quantity.source, j])
    return float(updated.b[l][j])


_MINUS = str.maketrans({"−": "-", "–": "-", "\u00a0": "", " ": "", "\u202f": ""})
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def parse_answer(text: str, field: str = "answer") -> float:
    """A student's typed number: a decimal point or a decimal comma, a typographic minus,
    spaces ignored, an optional exponent (``-0,25``, ``−0.25``, ``2.5e-1``)."""
    if not isinstance(text, str | int | float) or isinstance(text, bool):
        raise SpecError(field, "must be a number")
    s = str(text).translate(_MINUS)
    if not _NUMBER.match(s):
        raise SpecError(field, f"must be a number such as 0.25 or 0,25 (got {str(text)[:40]!r})")
    value = float(s.replace(",", "."))
    if not math.isfinite(value):
        raise SpecError(field, "must be a finite number")
    return value


def is_close(answer: float, expected: float, rel_tol: float, abs_tol: float = 1e-9) -> bool:
    """Whether an answer matches: within ``rel_tol`` of the expected value, or within
    ``abs_tol`` of it where the expected value is (near) zero."""
    return abs(answer - expected) <= max(rel_tol * abs(expected), abs_tol)


def hidden_fields(names: list[str] | set[str] | frozenset[str]) -> frozenset[str]:
    """The probe-trace fields to leave out of a page's frames while questions on ``names``
    are open: each quantity and what gives it away at once."""
    out: set[str] = set()
    for name in names:
        out |= GIVES_AWAY.get(name, frozenset({name}))
    return frozenset(out)
