"""Error functions E and the output error signal δ_k they produce (Eq. 1 and Eq. 5).

``E(z, a, t, output)`` returns the per-sample error, shape ``(N,)``, for output
pre-activations ``z``, outputs ``a`` and targets ``t`` of shape ``(N, K)``; ``output`` is the
name of the output activation. ``delta_out(z, a, t, g_prime)`` returns
δ_k = ∂E_n/∂z_k for every sample, shape ``(N, K)``. Any leading axes (a stack of S networks:
``(S, N, K)``) pass through: the units are always the last axis.

- ``sse``: E = ½ Σ_k (a_k − t_k)² (Eq. 1), δ_k = (a_k − t_k) g'_k(z_k) (Eq. 5).
- ``cross_entropy``: binary with sigmoid outputs, E = −Σ_k [t_k log a_k + (1 − t_k) log(1 − a_k)];
  categorical with a softmax output, E = −Σ_k t_k log a_k. In both cases the g' of the output
  cancels against the derivative of the log and δ_k = a_k − t_k.

A new loss is one entry in ``LOSSES``; ``allowed_outputs`` lists the output activations it may
be paired with (None: any elementwise activation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from engine.activations import Activation

Array = NDArray[np.float64]


@dataclass(frozen=True)
class Loss:
    """One error function E with the output error signal δ_k it induces."""

    name: str
    E: Callable[[Array, Array, Array, str], Array]
    delta_out: Callable[[Array, Array, Array, Callable[[Array, Array], Array]], Array]
    latex: str
    latex_delta: str
    allowed_outputs: tuple[str, ...] | None
    check_targets: Callable[[Array, str], str | None] = lambda T, output: None
    delta_into: Callable[..., Array] | None = None
    E_into: Callable[..., Array] | None = None

    def delta_out_into(
        self, z: Array, a: Array, t: Array, g: Activation, out: Array, tmp: Array
    ) -> Array:
        """``delta_out`` written into ``out`` for the fast path (``g`` the output ``Activation``,
        ``tmp`` a buffer like ``out``): by ``delta_into`` (the same operations in place) when
        the entry has one, else computed by ``delta_out`` and copied."""
        if self.delta_into is not None:
            return self.delta_into(z, a, t, g, out, tmp)
        out[...] = self.delta_out(z, a, t, g.g_prime)
        return out

    def error_into(
        self, z: Array, a: Array, t: Array, output: str, tmp: Array, out: Array
    ) -> Array:
        """``E`` written into ``out`` (one value per sample) for the fast path (``tmp`` a buffer
        like ``a``): by ``E_into`` (the same values, without temporaries) when the entry has
        one, else computed by ``E`` and copied."""
        if self.E_into is not None:
            return self.E_into(z, a, t, output, tmp, out)
        out[...] = self.E(z, a, t, output)
        return out


def _sse_E(z: Array, a: Array, t: Array, output: str) -> Array:
    """Eq. 1: E = ½ Σ_k (a_k − t_k)², one value per sample."""
    d = a - t
    dd: Array = np.einsum("...k,...k->...", d, d)
    return 0.5 * dd


def _sse_E_into(z: Array, a: Array, t: Array, output: str, tmp: Array, out: Array) -> Array:
    """``_sse_E`` into ``out`` through ``tmp``; for K = 1 the einsum is the single product d·d,
    so it is written as that product (the same value, without einsum's set-up)."""
    d = np.subtract(a, t, out=tmp)
    if d.shape[-1] == 1:
        np.multiply(d[..., 0], d[..., 0], out=out)
    else:
        np.einsum("...k,...k->...", d, d, out=out)
    return np.multiply(out, 0.5, out=out)


def _sse_delta(z: Array, a: Array, t: Array, g_prime: Callable[[Array, Array], Array]) -> Array:
    """Eq. 5: δ_k = (a_k − t_k) g'_k(z_k)."""
    d = a - t
    d *= g_prime(z, a)
    return d


def _sse_delta_into(z: Array, a: Array, t: Array, g: Activation, out: Array, tmp: Array) -> Array:
    """``_sse_delta`` in place: out = a − t, then out *= g'(z) (written into tmp)."""
    np.subtract(a, t, out=out)
    return np.multiply(out, g.g_prime_into(z, a, tmp), out=out)


def _log_sigmoid(z: Array) -> Array:
    """log σ(z) = −log(1 + e^{−z}), stable for large |z|."""
    return -(np.maximum(-z, 0.0) + np.log1p(np.exp(-np.abs(z))))


def _cross_entropy_E(z: Array, a: Array, t: Array, output: str) -> Array:
    """Cross-entropy per sample, computed from z (log-sum-exp form) so that log 0 never occurs.

    With sigmoid outputs (binary, per unit):
    E = −Σ_k [t_k log σ(z_k) + (1 − t_k) log σ(−z_k)].
    With a softmax output: E = −Σ_k t_k log softmax(z)_k.
    """
    if output == "softmax":
        shifted = z - z.max(axis=-1, keepdims=True)
        log_a = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        t_log_a: Array = np.einsum("...k,...k->...", t, log_a)
        return -t_log_a
    per_unit = t * _log_sigmoid(z) + (1.0 - t) * _log_sigmoid(-z)
    per_sample: Array = per_unit.sum(axis=-1)
    return -per_sample


def _cross_entropy_delta(
    z: Array, a: Array, t: Array, g_prime: Callable[[Array, Array], Array]
) -> Array:
    """δ_k = a_k − t_k: for sigmoid + binary and softmax + categorical cross-entropy, g'_k(z_k)
    cancels the 1/(a_k(1 − a_k)) of ∂E/∂a_k."""
    return a - t


def _cross_entropy_delta_into(
    z: Array, a: Array, t: Array, g: Activation, out: Array, tmp: Array
) -> Array:
    """``_cross_entropy_delta`` in place: out = a − t."""
    return np.subtract(a, t, out=out)


def _cross_entropy_targets(T: Array, output: str) -> str | None:
    """Cross-entropy is the error of probabilities: each t_k must lie in [0, 1], and with a
    softmax output each row must sum to 1 (then ∂E/∂z_k = a_k Σ_m t_m − t_k = a_k − t_k)."""
    if (T < 0).any() or (T > 1).any():
        return "cross_entropy needs targets in [0, 1]"
    if output == "softmax" and not np.allclose(T.sum(axis=-1), 1.0, rtol=0, atol=1e-9):
        return "with a softmax output each target row must sum to 1 (a probability distribution)"
    return None


LOSSES: dict[str, Loss] = {
    "sse": Loss(
        "sse",
        E=_sse_E,
        delta_out=_sse_delta,
        delta_into=_sse_delta_into,
        E_into=_sse_E_into,
        latex=r"E = \frac{1}{2} \sum_{k=1}^{K} (a_k - t_k)^2",
        latex_delta=r"\delta_k = (a_k - t_k)\, g_k'(z_k)",
        allowed_outputs=None,
    ),
    "cross_entropy": Loss(
        "cross_entropy",
        E=_cross_entropy_E,
        delta_out=_cross_entropy_delta,
        latex=r"E = -\sum_{k=1}^{K} \left[t_k \log a_k + (1 - t_k) \log (1 - a_k)\right]",
        latex_delta=r"\delta_k = a_k - t_k",
        allowed_outputs=("sigmoid", "softmax"),
        check_targets=_cross_entropy_targets,
        delta_into=_cross_entropy_delta_into,
    ),
}
