"""What a frame shows besides the snapshot: per-unit statistics and activations over a grid.

Both are computed with the readable functions of ``network.py`` and, like them, work for one
network (``W[l]`` of shape (n_l, n_{l+1})) or a stack of S networks of one shape (``W[l]`` of
shape (S, n_l, n_{l+1}), ``b[l]`` of shape (S, n_{l+1})): a stack gives every array a leading
axis S, computed in one numpy call per layer for all the networks together.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from engine.network import ForwardCache, NetworkSpec, Params, backward_deltas, forward

Array = NDArray[np.float64]


def node_stats(
    spec: NetworkSpec,
    W: list[Array],
    b: list[Array],
    X: Array | None,
    T: Array,
    cache: ForwardCache | None = None,
) -> list[tuple[Array, Array]]:
    """Per layer after the input, ``(mean_a, mean_abs_delta)``: the mean over the training set
    of a_j and of |δ_j| (δ by Eq. 5 and Eq. 14), each of shape (n_l,) or (S, n_l) for a stack.

    X (N, n_0) or (S, N, n_0), T (N, K) or (S, N, K); ``cache`` is the forward pass over X at
    these parameters when the caller has it (a snapshot's ``train_cache``); with a cache, X may
    be None."""
    params = Params(list(W), list(b))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        if cache is None:
            if X is None:
                raise ValueError("node_stats needs the inputs X or their forward pass (cache)")
            cache = forward(spec, params, X)
        delta = backward_deltas(spec, params, cache, T)
        inv_n = 1.0 / max(T.shape[-2], 1)
        return [
            (a.sum(axis=-2) * inv_n, np.abs(d).sum(axis=-2) * inv_n)
            for a, d in zip(cache.a[1:], delta, strict=True)
        ]


def grid_activations(
    spec: NetworkSpec, W: list[Array], b: list[Array], X_grid: Array
) -> list[Array]:
    """The activation a of every layer, input first, at grid inputs ``X_grid`` (G, n_0) (steps
    1–5): each (G, n_l), or (S, G, n_l) for a stack (the input layer broadcast to the stack)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        a = forward(spec, Params(list(W), list(b)), X_grid).a
    if a[-1].ndim > a[0].ndim:
        a[0] = np.broadcast_to(a[0], a[-1].shape[:-1] + a[0].shape[-1:])
    return a


def gradient_flow(
    node: list[tuple[Array, Array]], grad_W: list[Array]
) -> tuple[list[float], list[float]]:
    """How strongly the error signal reaches each layer: per layer after the input, the mean
    over its units of the training set's mean |δ_j| (``node_stats``; Eq. 5, 14) and the mean
    over its incoming weights of |∂E/∂w_ij| (Eq. 6/15, as ``grad_W`` holds them, e.g. an
    epoch's mean gradients). A vanishing gradient shows as values falling by orders of
    magnitude towards the input; an exploding one as values growing."""
    delta = [float(np.mean(d)) for _, d in node]
    grad_w = [float(np.mean(np.abs(g))) for g in grad_W]
    return delta, grad_w
