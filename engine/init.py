"""Weight initialisation schemes. Each takes the spec, a seeded generator and a range.

- ``xavier`` (Glorot uniform): w ~ U(−r, r), r = √(6 / (n_l + n_{l+1})).
- ``he``: w ~ N(0, 2 / n_l), suited to relu layers.
- ``uniform``: w ~ U(−range, range).
- ``zeros``: every weight 0 — every hidden unit then computes the same thing and receives the
  same δ, so they never become different (the symmetry problem).

Biases start at 0 in every scheme. The same spec, scheme and seed give bit-identical weights.
A new scheme is one entry in ``INIT_SCHEMES``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from engine.errors import SpecError
from engine.network import NetworkSpec, Params

Array = NDArray[np.float64]


def _xavier(n_in: int, n_out: int, rng: np.random.Generator, r: float) -> Array:
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def _he(n_in: int, n_out: int, rng: np.random.Generator, r: float) -> Array:
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


def _uniform(n_in: int, n_out: int, rng: np.random.Generator, r: float) -> Array:
    return rng.uniform(-r, r, size=(n_in, n_out))


def _zeros(n_in: int, n_out: int, rng: np.random.Generator, r: float) -> Array:
    return np.zeros((n_in, n_out))


INIT_SCHEMES: dict[str, Callable[[int, int, np.random.Generator, float], Array]] = {
    "xavier": _xavier,
    "he": _he,
    "uniform": _uniform,
    "zeros": _zeros,
}

MAX_UNIFORM_RANGE = 100.0


def init_params(
    spec: NetworkSpec, scheme: str = "xavier", seed: int = 0, range: float = 0.5
) -> Params:
    """Fresh parameters for ``spec`` drawn by ``scheme`` from ``np.random.default_rng(seed)``."""
    if scheme not in INIT_SCHEMES:
        raise SpecError(
            "network.init.scheme", f"unknown scheme {scheme!r}; known: {', '.join(INIT_SCHEMES)}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError("network.init.seed", f"must be an integer ≥ 0 (got {seed!r})")
    r = float(range)
    if not np.isfinite(r) or r <= 0 or r > MAX_UNIFORM_RANGE:
        raise SpecError(
            "network.init.range", f"must be in (0, {MAX_UNIFORM_RANGE}] (got {range!r})"
        )
    rng = np.random.default_rng(seed)
    fn = INIT_SCHEMES[scheme]
    sizes = spec.layer_sizes
    W = [fn(sizes[l], sizes[l + 1], rng, r) for l in builtins.range(spec.depth)]
    b = [np.zeros(sizes[l + 1]) for l in builtins.range(spec.depth)]
    return Params(W, b)
