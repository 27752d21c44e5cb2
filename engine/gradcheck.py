"""Gradient check: the backward pass's gradients against central finite differences.

For every parameter θ the numeric derivative of the batch error E (the mean of Eq. 1 over the
batch) is the fourth-order central difference

    ∂E/∂θ ≈ (−E(θ + 2ε) + 8 E(θ + ε) − 8 E(θ − ε) + E(θ − 2ε)) / 12ε,

whose truncation error is O(ε⁴) rather than the O(ε²) of the two-point formula, so that float64
agreement to 1e-6 relative error is reachable even for small gradients. The relative error is

    |analytic − numeric| / max(|analytic| + |numeric|, floor),

where the floor (1e-4 by default) keeps parameters whose gradient is essentially zero from
dividing rounding noise (about 1e-12 in float64) by nothing: below it the comparison is in effect
absolute. A wrong formula still shows: a gradient of 1e-5 computed 2× too large gives 0.1.
The check reports the largest relative error over all weights and biases.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.network import NetworkSpec, Params, backward, forward, mean_error

Array = NDArray[np.float64]


def numeric_gradients(
    spec: NetworkSpec, params: Params, X: Array, T: Array, eps: float = 1e-4
) -> Params:
    """Central finite differences (five-point stencil) of the batch error with respect to every
    weight and bias."""
    p = params.copy()
    out = Params([np.zeros_like(w) for w in p.W], [np.zeros_like(b) for b in p.b])
    for arrays, grads in ((p.W, out.W), (p.b, out.b)):
        for theta, g in zip(arrays, grads, strict=True):
            flat, gflat = theta.reshape(-1), g.reshape(-1)
            for idx in range(flat.size):
                old = flat[idx]
                e = []
                for step in (2.0, 1.0, -1.0, -2.0):
                    flat[idx] = old + step * eps
                    e.append(mean_error(spec, p, X, T))
                flat[idx] = old
                gflat[idx] = (-e[0] + 8.0 * e[1] - 8.0 * e[2] + e[3]) / (12.0 * eps)
    return out


def relative_error(analytic: Array, numeric: Array, floor: float = 1e-4) -> Array:
    """Elementwise |a − n| / max(|a| + |n|, floor)."""
    scale: Array = np.maximum(np.abs(analytic) + np.abs(numeric), floor)
    return np.abs(analytic - numeric) / scale


def gradient_check(
    spec: NetworkSpec, params: Params, X: Array, T: Array, eps: float = 1e-4, floor: float = 1e-4
) -> dict[str, Any]:
    """Compare the analytic gradients (Eq. 6, 8, 15, 18) with central differences.

    Returns ``{"max_rel_error", "max_abs_error", "parameters", "analytic": Params,
    "numeric": Params, "rel_error": {"weights": [...], "biases": [...]}}``.
    """
    X = np.asarray(X, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    _, analytic = backward(spec, params, forward(spec, params, X), T)
    numeric = numeric_gradients(spec, params, X, T, eps)
    rel_W = [relative_error(a, n, floor) for a, n in zip(analytic.W, numeric.W, strict=True)]
    rel_b = [relative_error(a, n, floor) for a, n in zip(analytic.b, numeric.b, strict=True)]
    abs_all = [
        np.abs(a - n) for a, n in zip(analytic.W + analytic.b, numeric.W + numeric.b, strict=True)
    ]
    return {
        "max_rel_error": float(max(r.max() for r in rel_W + rel_b)),
        "max_abs_error": float(max(e.max() for e in abs_all)),
        "parameters": int(sum(w.size for w in params.W) + sum(b.size for b in params.b)),
        "analytic": analytic,
        "numeric": numeric,
        "rel_error": {"weights": rel_W, "biases": rel_b},
    }
