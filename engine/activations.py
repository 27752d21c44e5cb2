"""Activation functions g and their derivatives g' (derivation steps 3 and 5; Eq. 5, 14).

Each entry of ``ACTIVATIONS`` is one small {g, g'} pair. ``g(z)`` maps a pre-activation array
of any shape (usually ``(N, n_l)``) to ``a = g(z)`` of the same shape; ``g_prime(z, a)`` returns
g'(z) elementwise and may use the already-computed ``a`` (sigmoid' = a(1 − a)), which is both
cheaper and numerically safer. All functions are stable for |z| up to 1e3 (no overflow warnings).

A new activation is one entry in ``ACTIVATIONS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """One activation g with its derivative g'.

    ``latex`` and ``latex_prime`` are the formulas of g(z) and g'(z) as shown on the page;
    ``output_only`` marks functions that couple the units of a layer (softmax) and so may only
    close the network; ``range`` is the interval of a = g(z), used to scale colours;
    ``prime_from_a`` marks a g' that reads only a (the fast path then need not keep z).
    """

    name: str
    g: Callable[[Array], Array]
    g_prime: Callable[[Array, Array], Array]
    latex: str
    latex_prime: str
    range: tuple[float, float]
    output_only: bool = False
    prime_from_a: bool = False  # g'(z) is computed from a alone (z may be passed as None)
    g_prime_out: Callable[[Array, Array, Array], Array] | None = None

    def g_prime_into(self, z: Array, a: Array, out: Array) -> Array:
        """g'(z) written into ``out``: by ``g_prime_out`` (the same operations as ``g_prime``,
        in place) when the entry has one, else computed by ``g_prime`` and copied."""
        if self.g_prime_out is not None:
            return self.g_prime_out(z, a, out)
        out[...] = self.g_prime(z, a)
        return out

    def g_into(self, z: Array, out: Array) -> Array:
        """a = g(z) written into ``out`` (a preallocated buffer of the fast path): in place when
        g is a numpy ufunc (tanh), else computed by ``g`` and copied, so the values are g's."""
        if isinstance(self.g, np.ufunc):
            into: Array = self.g(z, out=out)
            return into
        out[...] = self.g(z)
        return out


def _sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^{−z}), computed as ½(1 + tanh(z/2)) so that no exp overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _softplus(z: Array) -> Array:
    """log(1 + e^z), computed as max(z, 0) + log1p(e^{−|z|}) so that no exp overflows."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _softmax(z: Array) -> Array:
    """softmax(z)_k = e^{z_k} / Σ_m e^{z_m} over the last axis, shifted by max z for stability."""
    e: Array = np.exp(z - z.max(axis=-1, keepdims=True))
    total: Array = e.sum(axis=-1, keepdims=True)
    return e / total


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(
        "linear",
        g=lambda z: z,
        g_prime=lambda z, a: np.ones_like(z),
        latex=r"g(z) = z",
        latex_prime=r"g'(z) = 1",
        range=(-1.0, 1.0),
    ),
    "sigmoid": Activation(
        "sigmoid",
        g=_sigmoid,
        g_prime=lambda z, a: a * (1.0 - a),
        prime_from_a=True,
        latex=r"g(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
        latex_prime=r"g'(z) = \sigma(z)\,(1 - \sigma(z)) = a\,(1 - a)",
        range=(0.0, 1.0),
    ),
    "tanh": Activation(
        "tanh",
        g=np.tanh,
        g_prime=lambda z, a: 1.0 - a * a,
        g_prime_out=lambda z, a, out: np.subtract(1.0, np.multiply(a, a, out=out), out=out),
        prime_from_a=True,
        latex=r"g(z) = \tanh z",
        latex_prime=r"g'(z) = 1 - \tanh^2 z = 1 - a^2",
        range=(-1.0, 1.0),
    ),
    "relu": Activation(
        "relu",
        g=lambda z: np.maximum(z, 0.0),
        g_prime=lambda z, a: (z > 0.0).astype(z.dtype),
        latex=r"g(z) = \max(0, z)",
        latex_prime=r"g'(z) = \begin{cases} 1 & z > 0 \\ 0 & z \le 0 \end{cases}",
        range=(0.0, 1.0),
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        g=lambda z: np.where(z > 0.0, z, LEAKY_SLOPE * z),
        g_prime=lambda z, a: np.where(z > 0.0, 1.0, LEAKY_SLOPE),
        latex=r"g(z) = \begin{cases} z & z > 0 \\ 0.01\,z & z \le 0 \end{cases}",
        latex_prime=r"g'(z) = \begin{cases} 1 & z > 0 \\ 0.01 & z \le 0 \end{cases}",
        range=(-1.0, 1.0),
    ),
    "softplus": Activation(
        "softplus",
        g=_softplus,
        g_prime=lambda z, a: _sigmoid(z),
        latex=r"g(z) = \log(1 + e^{z})",
        latex_prime=r"g'(z) = \sigma(z) = \frac{1}{1 + e^{-z}}",
        range=(0.0, 1.0),
    ),
    "softmax": Activation(
        "softmax",
        g=_softmax,
        # The diagonal of the softmax Jacobian, ∂a_k/∂z_k. softmax is allowed only with the
        # cross-entropy loss, whose output error signal is δ_k = a_k − t_k (see losses.py), so
        # the off-diagonal terms never need to be formed.
        g_prime=lambda z, a: a * (1.0 - a),
        prime_from_a=True,
        latex=r"g(z_k) = \frac{e^{z_k}}{\sum_m e^{z_m}}",
        latex_prime=r"\frac{\partial a_k}{\partial z_k} = a_k\,(1 - a_k)",
        range=(0.0, 1.0),
        output_only=True,
    ),
}
