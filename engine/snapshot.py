"""What a trainer records after an epoch: its ``Snapshot``, and the probe sample's trace.

A ``Snapshot`` holds the epoch, the train and test error (Eq. 1, as a batch mean) and accuracy,
and — read off the epoch's shared ``EpochRecord`` only when first asked for — W and b, the
epoch's mean gradients (Eq. 6/15, 8/18) and the trace of one chosen probe sample: its z, a,
g'(z) and δ per layer (Eq. 5, 14) and its own gradients δ_j a_i (``probe_trace``).
``stacked_params`` gathers the parameters and gradients of S snapshots of one epoch at once.
``engine/trainer_stack.py`` makes them; ``engine/training.py``'s ``Trainer`` returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.fused_buffers import Pass
from engine.network import (
    ForwardCache,
    NetworkSpec,
    Params,
    backward_deltas,
    gradients,
    per_sample_error,
)

Array = NDArray[np.float64]


class EpochRecord:
    """What the S snapshots of one stacked epoch share: a copy of every network's parameters
    ``theta`` (S, P), the epoch's mean gradients (S, P) (None: not measured), both laid out as
    ``layout`` says (``engine/fused.py``), and ``fwd``, the forward pass over training and test
    rows at those parameters. Made once per epoch and never written again.

    ``fwd`` is lent by the stack's ``FusedStack``: when the last snapshot of the epoch is gone,
    the record hands it back to ``spare``, and a later epoch writes its forward pass into the
    same buffers. So nothing read off ``fwd`` may outlive the record (``Snapshot.train_cache``
    copies)."""

    __slots__ = ("spec", "N", "layout", "theta", "grads", "fwd", "spare")

    def __init__(
        self,
        spec: NetworkSpec,
        N: int,
        layout: list[tuple[int, int, int]],
        theta: Array,
        grads: Array | None,
        fwd: Pass,
        spare: list[Pass],
    ) -> None:
        self.spec, self.N, self.layout, self.theta, self.grads = spec, N, layout, theta, grads
        self.fwd, self.spare = fwd, spare

    def __del__(self) -> None:
        self.spare.append(self.fwd)

    def layers(self, flat: Array, s: int) -> list[Array]:
        """Network s's (n_l + 1, n_{l+1}) blocks of ``flat``: weights, then the bias row."""
        row = flat[s]
        return [row[o : o + r * c].reshape(r, c) for o, r, c in self.layout]


class Snapshot:
    """One epoch's record. ``probe`` is the probe sample's trace as plain arrays.

    ``epoch``, ``status``, ``loss_train``, ``loss_test``, ``metrics`` and ``samples_seen`` are
    plain values. ``W``, ``b``, ``grad_W`` and ``grad_b`` (the epoch's mean gradients, or for a
    snapshot taken without training the full-batch mean gradient) are read off the epoch's
    ``EpochRecord`` when first asked for, and so is ``train_cache``, the forward pass over the
    training set at these parameters (copied out of the record). ``probe`` takes the probe's z
    and a rows from that forward pass and computes its g'(z), δ (Eq. 5, 14) and its own
    gradients δ_j a_i (Eq. 6/15) the first time it is read, so that snapshots nobody looks at
    cost nothing more.
    """

    __slots__ = (
        "epoch", "status", "loss_train", "loss_test", "metrics", "samples_seen",
        "_rec", "_s", "_X", "_T", "_probe_index", "_W", "_b", "_grads", "_cache", "_probe",
    )  # fmt: skip
    _W: list[Array] | None
    _b: list[Array] | None
    _grads: tuple[list[Array], list[Array]] | None
    _cache: ForwardCache | None
    _probe: dict[str, Any] | None

    def __init__(
        self,
        epoch: int,
        status: str,
        loss_train: float,
        loss_test: float | None,
        metrics: dict[str, Any],
        samples_seen: int,
        record: EpochRecord,
        s: int,
        X: Array,
        T: Array,
        probe_index: int,
    ) -> None:
        self.epoch, self.status, self.samples_seen = epoch, status, samples_seen
        self.loss_train, self.loss_test, self.metrics = loss_train, loss_test, metrics
        self._rec, self._s, self._X, self._T, self._probe_index = record, s, X, T, probe_index
        self._W = self._b = self._grads = self._cache = self._probe = None

    def __repr__(self) -> str:
        return (
            f"Snapshot(epoch={self.epoch}, status={self.status!r}, "
            f"loss_train={self.loss_train!r}, loss_test={self.loss_test!r})"
        )

    def with_status(self, status: str) -> Snapshot:
        """The same snapshot with another status."""
        out = object.__new__(Snapshot)
        for name in Snapshot.__slots__:
            setattr(out, name, getattr(self, name))
        out.status = status
        return out

    @property
    def W(self) -> list[Array]:
        if self._W is None:
            self._W = [w[:-1] for w in self._rec.layers(self._rec.theta, self._s)]
        return self._W

    @property
    def b(self) -> list[Array]:
        if self._b is None:
            self._b = [w[-1] for w in self._rec.layers(self._rec.theta, self._s)]
        return self._b

    @property
    def params(self) -> Params:
        return Params(self.W, self.b)

    def _gradients(self) -> tuple[list[Array], list[Array]]:
        if self._grads is None:
            grads = self._rec.grads
            if grads is None:  # the full-batch mean gradient (Eq. 6/15, 8/18)
                cache, spec = self.train_cache, self._rec.spec
                g = gradients(cache, backward_deltas(spec, self.params, cache, self._T))
                self._grads = g.W, g.b
            else:
                blocks = self._rec.layers(grads, self._s)
                self._grads = [x[:-1] for x in blocks], [x[-1] for x in blocks]
        return self._grads

    @property
    def grad_W(self) -> list[Array]:
        return self._gradients()[0]

    @property
    def grad_b(self) -> list[Array]:
        return self._gradients()[1]

    @property
    def train_cache(self) -> ForwardCache:
        if self._cache is None:
            s, N, fwd = self._s, self._rec.N, self._rec.fwd
            z = [x[s, :N].copy() for x in fwd.z]
            a = [x[s, :N].copy() for x in fwd.a[1:]]
            self._cache = ForwardCache(z, [self._X, *a])
        return self._cache

    @property
    def probe(self) -> dict[str, Any]:
        if self._probe is None:
            self._probe = probe_trace(
                self._rec.spec, self.train_cache, self.params, self._T, self._probe_index
            )
        return self._probe


def probe_trace(
    spec: NetworkSpec, cache: ForwardCache, params: Params, T: Array, i: int
) -> dict[str, Any]:
    """The trace of training sample i read off a forward pass over the whole training set: its
    row of every z and a, then g'(z), δ (Eq. 5, 14) and its own gradients
    ∂E_n/∂w_ij = δ_j a_i, ∂E_n/∂b_j = δ_j (Eq. 6/15, 8/18): ``backward_deltas`` and ``gradients``
    on a batch of one, with the parameters of the same moment."""
    one = ForwardCache([z[i : i + 1] for z in cache.z], [a[i : i + 1] for a in cache.a])
    t = T[i : i + 1]
    delta = backward_deltas(spec, params, one, t)
    z, a = one.z, one.a
    return {
        "index": i,
        "input": a[0][0],
        "target": t[0],
        "output": a[-1][0],
        "error": float(per_sample_error(spec, one, t)[0]),
        "layers": [
            {
                "z": z[l][0],
                "a": a[l + 1][0],
                "g_prime": spec.g[l].g_prime(z[l], a[l + 1])[0],
                "delta": delta[l][0],
            }
            for l in range(spec.depth)
        ],
        "gradients": gradients(one, delta),
    }


def stacked_params(
    snaps: Sequence[Snapshot],
) -> tuple[list[Array], list[Array], list[Array], list[Array]] | None:
    """W, b, and the epoch's mean gradients ∂E/∂W, ∂E/∂b of S snapshots stacked along axis 0
    — W[l] (S, n_l, n_{l+1}), b[l] (S, n_{l+1}) — in one gather per kind when they all come
    from one epoch of one stack (the parameters and gradients of all of them are rows of one
    ``EpochRecord``); else None (then each snapshot's own arrays are stacked). The values are
    the snapshots' own (``Snapshot.W``, ``b``, ``grad_W``, ``grad_b``), copied."""
    first = snaps[0]._rec
    if first.grads is None or any(s._rec is not first for s in snaps):
        return None
    rows = np.fromiter((s._s for s in snaps), dtype=np.intp, count=len(snaps))
    out: tuple[list[Array], list[Array], list[Array], list[Array]] = ([], [], [], [])
    S = len(snaps)
    for flat, (Ws, bs) in ((first.theta, out[:2]), (first.grads, out[2:])):
        taken = flat[rows]
        for o, r, c in first.layout:
            block = taken[:, o : o + r * c].reshape(S, r, c)
            Ws.append(block[:, :-1])
            bs.append(block[:, -1])
    return out
