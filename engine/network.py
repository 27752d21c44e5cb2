"""The network: its parameters, the forward pass and the backward pass (its specification,
``NetworkSpec``, the architecture and its checks, is ``engine/spec.py``).

Shapes follow the derivation. Layer l (0 = input) has n_l units. ``W[l]`` has shape
(n_l, n_{l+1}) and ``W[l][i, j]`` is w_ij, the weight from unit i of layer l to unit j of layer
l+1; ``b[l]`` has shape (n_{l+1},). Everything is vectorised over a batch of N samples, so
activations are (N, n_l) arrays and a sample's quantities are one row.

Every function here is also vectorised over a *stack* of S networks of one shape (S sessions
trained together, see ``engine/stacked.py``): a leading stack axis gives ``W[l]`` of shape
(S, n_l, n_{l+1}), ``b[l]`` of shape (S, n_{l+1}) and activations of shape (S, N, n_l); X and T
may be (S, N, ·) or a shared (N, ·) that broadcasts against the stack. The code is written for
any leading shape: the batch axis is always -2 and the unit axis -1 (``swapaxes(-1, -2)`` for
the transpose, sums over ``axis=-2`` for the batch), so one plain network is simply the case
without a stack axis, through the same lines.

- ``forward`` implements derivation steps 1–5: z = b + a W, a = g(z), layer by layer.
- ``backward`` implements Eq. 5 (δ at the output), Eq. 14 (δ at each hidden layer) and the
  gradients of Eq. 6/15 (∂E/∂w = δ a) and Eq. 8/18 (∂E/∂b = δ).

A batch's error and gradients are the *mean* over its samples of the per-sample E (Eq. 1) and
its gradients, so the learning rate does not scale with the batch size; for one sample this is
Eq. 1 exactly. The δ arrays are per sample (δ_n = ∂E_n/∂z), not divided by N.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.errors import SpecError
from engine.spec import NetworkSpec

__all__ = [
    "ForwardCache",
    "NetworkSpec",  # from engine/spec.py, importable from here as before
    "Params",
    "as_finite_array",
    "backward",
    "backward_deltas",
    "descent_step",
    "forward",
    "gradients",
    "mean_error",
    "output_delta",
    "params_from_lists",
    "per_sample_error",
    "trace",
]

Array = NDArray[np.float64]


@dataclass
class Params:
    """θ = {W, b}: ``W[l]`` of shape (n_l, n_{l+1}) and ``b[l]`` of shape (n_{l+1},), or with a
    leading stack axis (S, n_l, n_{l+1}) and (S, n_{l+1}) for S networks of one shape."""

    W: list[Array]
    b: list[Array]

    def copy(self) -> Params:
        return Params([w.copy() for w in self.W], [b.copy() for b in self.b])

    def is_finite(self) -> bool:
        return all(np.isfinite(w).all() for w in self.W) and all(
            np.isfinite(b).all() for b in self.b
        )

    def to_lists(self) -> dict[str, Any]:
        return {"weights": [w.tolist() for w in self.W], "biases": [b.tolist() for b in self.b]}


def params_from_lists(
    spec: NetworkSpec, weights: object, biases: object, prefix: str = "network"
) -> Params:
    """Build ``Params`` from nested lists, checking every shape against ``spec``."""
    L = spec.depth
    if not isinstance(weights, list | tuple) or len(weights) != L:
        raise SpecError(
            f"{prefix}.weights", f"needs {L} weight matrices (one per layer after the input)"
        )
    if not isinstance(biases, list | tuple) or len(biases) != L:
        raise SpecError(
            f"{prefix}.biases", f"needs {L} bias vectors (one per layer after the input)"
        )
    W, b = [], []
    for l in range(L):
        shape = (spec.layer_sizes[l], spec.layer_sizes[l + 1])
        W.append(as_finite_array(weights[l], f"{prefix}.weights[{l}]", shape))
        b.append(as_finite_array(biases[l], f"{prefix}.biases[{l}]", shape[1:]))
    return Params(W, b)


def as_finite_array(value: object, field_name: str, shape: tuple[int, ...] | None = None) -> Array:
    """Convert nested lists to a float64 array, refusing ragged, non-numeric or non-finite data."""
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise SpecError(field_name, f"must be a rectangular array of numbers ({exc})") from None
    if shape is not None and arr.shape != tuple(shape):
        raise SpecError(field_name, f"must have shape {list(shape)} (got {list(arr.shape)})")
    if not np.isfinite(arr).all():
        raise SpecError(field_name, "must contain only finite numbers (no NaN or Infinity)")
    return arr


@dataclass
class ForwardCache:
    """What the forward pass keeps for the backward pass: ``z[l]`` is the pre-activation of layer
    l+1, shape (N, n_{l+1}) (or (S, N, n_{l+1}) for a stack); ``a[l]`` is layer l's activation,
    with ``a[0]`` the input X."""

    z: list[Array]
    a: list[Array]


def forward(spec: NetworkSpec, params: Params, X: Array) -> ForwardCache:
    """Derivation steps 1–5: z_j = b_j + Σ_i a_i w_ij and a_j = g_j(z_j), layer by layer.

    X has shape (N, n_0) (or (S, N, n_0)); returns the z and a of every layer. The bias b_j is
    added to every sample's row: ``b[..., None, :]`` puts a batch axis in front of the units.
    """
    a = [X]
    z = []
    for W, b, act in zip(params.W, params.b, spec.g, strict=True):
        zl = a[-1] @ W
        zl += b[..., None, :]
        z.append(zl)
        a.append(act.g(zl))
    return ForwardCache(z, a)


def per_sample_error(spec: NetworkSpec, cache: ForwardCache, T: Array) -> Array:
    """Eq. 1 (or the cross-entropy) for every sample: shape (N,) (or (S, N))."""
    return spec.E.E(cache.z[-1], cache.a[-1], T, spec.output)


def output_delta(spec: NetworkSpec, cache: ForwardCache, T: Array) -> Array:
    """Eq. 5: δ_k = (a_k − t_k) g'_k(z_k) for SSE (δ_k = a_k − t_k for cross-entropy), (N, K)
    (or (S, N, K))."""
    return spec.E.delta_out(cache.z[-1], cache.a[-1], T, spec.g[-1].g_prime)


def backward_deltas(
    spec: NetworkSpec,
    params: Params,
    cache: ForwardCache,
    T: Array,
    scale: float | Array = 1.0,
) -> list[Array]:
    """The per-sample error signals of every layer after the input, δ_n = ∂E_n/∂z.

    The output layer's δ by Eq. 5; each hidden layer's by Eq. 14, δ_j = g'_j(z_j) Σ_k δ_k w_jk,
    i.e. δ^(l) = g'(z^(l)) ⊙ (δ^(l+1) W^(l+1)ᵀ) for the whole batch. Every δ is linear in the
    output δ, so ``scale`` (applied once, at the output) multiplies all of them; for a stack it
    may be one number per network, shape (S,).
    """
    L = spec.depth
    g, z, a, W = spec.g, cache.z, cache.a, params.W
    delta: list[Array] = [None] * L  # type: ignore[list-item]
    d = output_delta(spec, cache, T)
    if isinstance(scale, np.ndarray):
        d *= scale[..., None, None]
    elif scale != 1.0:
        d *= scale
    delta[L - 1] = d
    for l in range(L - 2, -1, -1):
        d = d @ W[l + 1].swapaxes(-1, -2)  # Σ_k δ_k w_jk
        d *= g[l].g_prime(z[l], a[l + 1])  # Eq. 14
        delta[l] = d
    return delta


def gradients(cache: ForwardCache, delta: list[Array]) -> Params:
    """Batch-mean gradients: ∂E/∂w_ij = δ_j a_i (Eq. 6/15) and ∂E/∂b_j = δ_j (Eq. 8/18).

    Summed over the batch (axis -2) as a^(l)ᵀ δ^(l+1) and divided by N; for a batch of one this
    is the sample's own ∂E_n/∂w_ij = δ_j a_i, the outer product of a_i and δ_j.
    """
    inv_n = 1.0 / delta[0].shape[-2]
    gW = [(a.swapaxes(-1, -2) @ d) * inv_n for a, d in zip(cache.a, delta, strict=False)]
    gb = [d.sum(axis=-2) * inv_n for d in delta]
    return Params(gW, gb)


def backward(
    spec: NetworkSpec, params: Params, cache: ForwardCache, T: Array
) -> tuple[list[Array], Params]:
    """The backward pass: per-sample δ of every layer (Eq. 5, 14) and batch-mean gradients
    (Eq. 6, 8, 15, 18)."""
    delta = backward_deltas(spec, params, cache, T)
    return delta, gradients(cache, delta)


def descent_step(params: Params, grads: Params, eta: float | Array) -> Params:
    """Eq. 7 for every parameter: θ ← θ − η ∂E/∂θ (a new Params; ``params`` is unchanged).

    For a stack ``eta`` may be one learning rate per network, shape (S,)."""
    eta_W: float | Array
    eta_b: float | Array
    if isinstance(eta, np.ndarray):
        eta_W, eta_b = eta[..., None, None], eta[..., None]
    else:
        eta_W = eta_b = eta
    return Params(
        [w - eta_W * g for w, g in zip(params.W, grads.W, strict=True)],
        [b - eta_b * g for b, g in zip(params.b, grads.b, strict=True)],
    )


def mean_error(spec: NetworkSpec, params: Params, X: Array, T: Array) -> float | Array:
    """The batch error: the mean over samples of Eq. 1 (or the cross-entropy); one float, or
    shape (S,) for a stack."""
    cache = forward(spec, params, X)
    errors = per_sample_error(spec, cache, T).mean(axis=-1)
    return float(errors) if errors.ndim == 0 else errors


def trace(spec: NetworkSpec, params: Params, X: Array, T: Array | None) -> dict[str, Any]:
    """Every intermediate quantity for a batch, as plain arrays: per layer after the input its
    z, a, g'(z) and (if targets are given) δ; plus the per-sample errors and the gradients."""
    cache = forward(spec, params, X)
    layers = []
    delta = backward_deltas(spec, params, cache, T) if T is not None else None
    for l in range(spec.depth):
        layer = {
            "z": cache.z[l],
            "a": cache.a[l + 1],
            "g_prime": spec.g[l].g_prime(cache.z[l], cache.a[l + 1]),
        }
        if delta is not None:
            layer["delta"] = delta[l]
        layers.append(layer)
    out = {"cache": cache, "layers": layers}
    if delta is not None and T is not None:
        out["errors"] = per_sample_error(spec, cache, T)
        out["gradients"] = gradients(cache, delta)
    return out
