"""``backprop_step``: the engine's JSON contract, one training step with its full trace.

The server exposes it unchanged as ``POST /api/backprop``. The payload names a network
(``layer_sizes``, ``activations``, ``loss`` and either ``weights``/``biases`` or ``init``),
a batch (``inputs`` (N, n_0), ``targets`` (N, K)) and a ``learning_rate`` η. The result holds
the batch error (mean of Eq. 1), every layer's z, a, g'(z) and per-sample δ (Eq. 5, 14), the
batch-mean gradients (Eq. 6, 8, 15, 18) and the parameters after one step of Eq. 7.

Any malformed field raises ``SpecError`` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.errors import SpecError
from engine.init import init_params
from engine.network import (
    NetworkSpec,
    Params,
    as_finite_array,
    descent_step,
    params_from_lists,
    trace,
)
from engine.training import check_learning_rate

DEFAULT_LIMITS = {"max_layers": 10, "max_units": 64, "max_samples": 5000}


def _require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in mapping:
        raise SpecError(f"{where}.{key}" if where else key, "is required")
    return mapping[key]


def parse_network(
    payload: Mapping[str, Any], where: str = "network", limits: Mapping[str, int] | None = None
) -> tuple[NetworkSpec, Params]:
    """A network object → (spec, params), from explicit weights/biases or an ``init`` block."""
    lim = {**DEFAULT_LIMITS, **(limits or {})}
    if not isinstance(payload, Mapping):
        raise SpecError(where, "must be an object")
    sizes = _require(payload, "layer_sizes", where)
    if not isinstance(sizes, list | tuple):
        raise SpecError(f"{where}.layer_sizes", "must be a list of integers")
    if len(sizes) > lim["max_layers"] + 1:
        raise SpecError(
            f"{where}.layer_sizes", f"at most {lim['max_layers']} layers after the input"
        )
    for l, n in enumerate(sizes):
        if isinstance(n, int) and not isinstance(n, bool) and n > lim["max_units"]:
            raise SpecError(
                f"{where}.layer_sizes[{l}]", f"at most {lim['max_units']} units per layer (got {n})"
            )
    acts = _require(payload, "activations", where)
    if not isinstance(acts, list | tuple) or not all(isinstance(a, str) for a in acts):
        raise SpecError(f"{where}.activations", "must be a list of activation names")
    loss = payload.get("loss", "sse")
    if not isinstance(loss, str):
        raise SpecError(f"{where}.loss", "must be a loss name")
    try:
        spec = NetworkSpec(tuple(sizes), tuple(acts), loss)
    except SpecError as exc:
        raise SpecError(exc.field.replace("network", where, 1), exc.message) from None
    if payload.get("weights") is not None or payload.get("biases") is not None:
        params = params_from_lists(spec, payload.get("weights"), payload.get("biases"), where)
    else:
        init = payload.get("init") or {}
        if not isinstance(init, Mapping):
            raise SpecError(
                f"{where}.init", 'must be an object like {"scheme": "xavier", "seed": 0}'
            )
        params = init_params(
            spec, init.get("scheme", "xavier"), init.get("seed", 0), init.get("range", 0.5)
        )
    return spec, params


def _float_list(params: Params) -> dict[str, Any]:
    return {"weights": [w.tolist() for w in params.W], "biases": [b.tolist() for b in params.b]}


def backprop_step(
    payload: dict[str, Any], limits: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """One forward pass, backward pass and gradient-descent update (Eq. 7) with its full trace.

    Returns ``{"loss", "layers": [{"z", "a", "g_prime", "delta"}], "gradients", "updated"}``
    where ``layers[l]`` is layer l+1 (the first hidden layer first), each array indexed
    [sample][unit]; ``delta`` is the per-sample δ (∂E_n/∂z, not divided by the batch size);
    ``gradients`` are the batch means of δ·a and δ; ``updated`` is θ − η ∂E/∂θ.
    """
    lim = {**DEFAULT_LIMITS, **(limits or {})}
    if not isinstance(payload, Mapping):
        raise SpecError("payload", "must be a JSON object")
    spec, params = parse_network(_require(payload, "network", ""), limits=lim)
    n0, K = spec.layer_sizes[0], spec.layer_sizes[-1]
    raw_inputs = _require(payload, "inputs", "")
    if isinstance(raw_inputs, list) and len(raw_inputs) > lim["max_samples"]:
        raise SpecError("inputs", f"at most {lim['max_samples']} samples (got {len(raw_inputs)})")
    X = as_finite_array(raw_inputs, "inputs")
    if X.ndim != 2 or X.shape[1] != n0 or X.shape[0] < 1:
        raise SpecError("inputs", f"must have shape [N, {n0}] with N ≥ 1 (got {list(X.shape)})")
    T = as_finite_array(_require(payload, "targets", ""), "targets")
    if T.shape != (X.shape[0], K):
        raise SpecError("targets", f"must have shape {[X.shape[0], K]} (got {list(T.shape)})")
    problem = spec.E.check_targets(T, spec.output)
    if problem:
        raise SpecError("targets", problem)
    eta = check_learning_rate("learning_rate", _require(payload, "learning_rate", ""))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        tr = trace(spec, params, X, T)
        grads: Params = tr["gradients"]
        updated = descent_step(params, grads, eta)
    loss = float(tr["errors"].mean())
    if not np.isfinite(loss) or not updated.is_finite():
        raise SpecError(
            "network.weights", "the forward or backward pass overflowed (non-finite values)"
        )
    return {
        "loss": loss,
        "layers": [{k: v.tolist() for k, v in layer.items()} for layer in tr["layers"]],
        "gradients": _float_list(grads),
        "updated": _float_list(updated),
    }
