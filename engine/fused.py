"""The fast path: one epoch of mini-batch descent for a stack of S networks of one shape.

This is the engine's one fused implementation of a training epoch. It computes exactly what the
readable functions of ``network.py`` compute — ``forward`` (steps 1–5), ``backward_deltas``
(Eq. 5, 14), ``gradients`` (Eq. 6/15, 8/18) and the descent step (Eq. 7, with momentum and an
L1/L2 penalty) — and ``tests/test_engine_fast.py`` pins it to them to 1e-12. It differs only in
how the work is laid out, so that a batch costs as few numpy calls as a hand-written loop:

- **Bias rows, one flat θ.** Layer l's parameters are one array ``Waug[l]`` of shape
  (S, n_l + 1, n_{l+1}): the weights w_ij in the first n_l rows, the biases b_j in the last. All
  layers are views into one (S, P) array ``theta`` (and the velocities into ``velocity``, the
  gradients into ``GW``), so a step (Eq. 7, momentum) is one numpy call for every layer at once.
- **A ones unit.** A hidden layer's activations are kept as (S, n_l + 1, M): row j holds a_j of
  every sample, the last row is 1. Each network's slice [a, 1] is then one operand that gives
  z = [a, 1] Waug (the bias included) and [a, 1]ᵀ δ (the bias gradient Σ_n δ_j included) as
  one matrix product each. The output layer, whose activation may couple units (softmax),
  keeps the layout of ``forward``, (S, M, K).
- **Preallocated buffers.** Shuffled data, z, a, δ and gradients of every batch are written into
  buffers made once (``out=``); tanh is applied in place (its g' needs only a, so z is not kept).
- **η folded into δ.** δ is linear in the output δ, so the output δ is scaled by c = η/n (one
  number per network) and every layer's [a, 1]ᵀ(cδ) is already the step of Eq. 7.
- **A stack axis.** Everything carries a leading axis of S networks (S = 1 for one trainer).
  Each network keeps its own η, momentum μ and penalty; networks whose settings differ from the
  rest are handled with ``where=`` masks, never with arithmetic that would change their values.
  numpy's stacked matrix products compute every slice as the same BLAS call that one network
  alone gets, so a network's numbers do not depend on which stack it is trained in.

The buffers (θ's layout, a pass's, a batch's, the data's) are made once in
``engine/fused_buffers.py``; this module computes in them: ``run_forward`` (steps 1–5),
``StepSettings`` (every network's η, μ and penalty) and ``FusedStack.train_epoch``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from engine.fused_buffers import FusedBuffers, Mask, Pass, new_pass
from engine.network import NetworkSpec

if TYPE_CHECKING:
    from engine.training import TrainingConfig

Array = NDArray[np.float64]


def run_forward(spec: NetworkSpec, Waug: list[Array], WaugT: list[Array], p: Pass) -> None:
    """Steps 1–5 into the buffers of ``p``: z = [a, 1] Waug (z = a W + b), a = g(z)."""
    matmul, g, cols = np.matmul, spec.g, p.cols
    for l, (z, a) in enumerate(zip(p.z_el, p.a_el, strict=True)):
        if z is None:  # tanh: a overwrites z
            matmul(WaugT[l], cols[l], out=(a))
            g[l].g_into(a, a)
        else:
            matmul(WaugT[l], cols[l], out=(z))
            g[l].g_into(z, a)
    matmul(cols[-1].swapaxes(-1, -2), Waug[-1], out=p.Zo)
    g[-1].g_into(p.Zo, p.Ao)


def with_ones(X: Array) -> Array:
    """Inputs X (S, M, n_0) as [X, 1] (S, M, n_0 + 1): the data operand of every pass."""
    out = np.ones(X.shape[:-1] + (X.shape[-1] + 1,))
    out[..., :-1] = X
    return out


def fused_forward(
    spec: NetworkSpec, Waug: list[Array], X: Array
) -> tuple[list[Array], list[Array]]:
    """Steps 1–5 over inputs X of shape (S, M, n_0) as the fast path computes them, with
    ``Waug[l]`` (S, n_l + 1, n_{l+1}); returns ``z[l]`` (S, M, n_{l+1}) and ``a[l]`` (input
    first) in the layout of ``forward``."""
    p = new_pass(spec, with_ones(X).swapaxes(-1, -2))
    run_forward(spec, Waug, [w.swapaxes(-1, -2) for w in Waug], p)
    return p.z, p.a


Where = Mask | bool | None


def _mask(m: Mask) -> Where:
    """``where=`` argument for a mask: True when it holds everywhere, None when nowhere."""
    if m.all():
        return True
    return m if m.any() else None


@dataclass
class StepSettings:
    """The settings of every network in a stack as (S, 1) arrays and masks (the penalty's also
    over the P entries of θ: weights only), made once per change of settings. ``c`` is the
    factor folded into the output δ: η/n, or 1/n for η = 0 (then nothing is updated but the
    epoch's mean gradient is still measured). The masks are kept as ``where=`` arguments
    (``_mask``): True where a rule holds for every network, None where for none."""

    eta: Array
    c_full: Array  # (S, 1, 1): scales the output δ of a full batch
    c_last: Array
    last_ratio: Array  # c_full / c_last: the last, smaller batch's weight in the epoch's sum
    inv: Array  # 1 / (c_full N): from the epoch's sum of c-scaled gradients to their mean
    mu: Array
    lam: Array
    update: Where  # η > 0
    momentum: Where  # update and μ ≠ 0
    plain: Where  # update and μ = 0
    l1: Where  # (S, P): L1-penalised entries
    l2: Where
    penalty: Where

    @classmethod
    def make(cls, configs: Sequence[TrainingConfig], N: int, B: int, weights: Mask) -> StepSettings:
        def col(values: Sequence[object], dtype: DTypeLike = np.float64) -> NDArray[Any]:
            return np.array(values, dtype=dtype).reshape(-1, 1)

        eta = col([c.learning_rate for c in configs])
        update = eta > 0
        base = np.where(update, eta, 1.0)
        n_last = N - (N - 1) // B * B
        c_full, c_last = base / B, base / n_last
        mu = col([c.momentum for c in configs])
        lam = col([c.regularization_rate for c in configs])
        kind = [c.regularization for c in configs]
        active = update & (lam > 0) & weights
        return cls(
            eta=eta,
            c_full=c_full[:, :, None],
            c_last=c_last[:, :, None],
            last_ratio=c_full / c_last,
            inv=1.0 / (c_full * N),
            mu=mu,
            lam=lam,
            update=_mask(update),
            momentum=_mask(update & (mu != 0)),
            plain=_mask(update & (mu == 0)),
            l1=_mask(active & col([k == "l1" for k in kind], bool)),
            l2=_mask(active & col([k == "l2" for k in kind], bool)),
            penalty=_mask(active & col([k in ("l1", "l2") for k in kind], bool)),
        )


class FusedStack(FusedBuffers):
    """Buffers for S networks of one shape trained on data of one size, and the fused epoch.

    The buffers are ``FusedBuffers``'s (``engine/fused_buffers.py``). The owner fills them
    (``set_data``); ``forward_all`` runs steps 1–5 over every row, and ``train_epoch`` runs one
    epoch on them.
    """

    def forward_all(self) -> Pass:
        """A forward pass over every network's training and test inputs, into the buffers of a
        pass in ``spare`` (one that its owner no longer needs) or fresh ones."""
        spare = self.spare
        p = spare.pop() if spare else new_pass(self.spec, self.X_all.swapaxes(-1, -2))
        run_forward(self.spec, self.Waug, self.WaugT, p)
        return p

    def train_epoch(self, s: StepSettings, full: Pass | None = None) -> Array:
        """One epoch over the (shuffled) batches, updating ``theta``/``velocity`` in place;
        returns the epoch's mean data gradients as a fresh (S, P) array (layers as in θ).

        With one full batch, ``full`` is ``forward_all`` at the current parameters (the
        snapshot's, when still valid) and its training columns are the batch."""
        if not self.reuse:
            batches = self.batches
        else:
            if full is None:
                raise ValueError("a full batch starts from the snapshot's pass: pass `full`")
            batches = [self.full_batch]
            self.full_batch.p = full.head(self.N)
        B, L, spec = self.B, self.L, self.spec
        g, gout, loss = spec.g, spec.g[-1], spec.E
        Waug, WaugT, W = self.Waug, self.WaugT, self.W
        theta, V, GW, SUM, TMP, PEN, ring = (
            self.theta, self.velocity, self.GW, self.SUM, self.TMP, self.PEN, self.ring
        )  # fmt: skip
        update, momentum, plain, penalty, l1, l2 = (
            s.update, s.momentum, s.plain, s.penalty, s.l1, s.l2
        )  # fmt: skip
        matmul, multiply, subtract, add = np.matmul, np.multiply, np.subtract, np.add
        hidden = range(L - 2, -1, -1)
        first = True
        for bt in batches:
            m, p, D_el, G_el, DT = bt.m, bt.p, bt.D_el, bt.G_el, bt.DT
            if p is None:
                raise ValueError("a batch without its pass")
            cols, z_el, a_el = p.cols, p.z_el, p.a_el
            if bt.forward:  # steps 1–5
                run_forward(spec, Waug, WaugT, p)
            c = s.c_full if m == B else s.c_last
            # Eq. 5 at the output, scaled by c; then Eq. 14 down the layers
            loss.delta_out_into(p.Zo, p.Ao, bt.t, gout, bt.Do, bt.Go)
            multiply(bt.Do, c, out=bt.Do)
            for l in hidden:
                matmul(W[l + 1], DT[l + 1], out=DT[l])
                multiply(
                    D_el[l],
                    g[l].g_prime_into(
                        cast(Array, z_el[l]),  # None only where g' reads a alone (in place)
                        a_el[l],
                        G_el[l],
                    ),
                    out=D_el[l],
                )
            for col, d, out in zip(cols, bt.Dn, bt.grad, strict=True):
                matmul(col, d, out=out)  # c Σ_n δ_j [a_i, 1] (Eq. 6/15, 8/18)
            gw = bt.flat
            if ring is None and not first:
                if m == B:
                    add(SUM, GW, out=SUM)
                else:
                    add(SUM, multiply(GW, s.last_ratio, out=TMP), out=SUM)
            first = False
            if update is None:
                continue
            if penalty is not None:  # + η λ sign(w) (L1) or η λ w (L2), weights only
                if l2 is not None:
                    np.copyto(PEN, theta, where=l2)
                if l1 is not None:
                    np.sign(theta, out=PEN, where=l1)
                multiply(PEN, s.lam, out=PEN, where=penalty)
                multiply(PEN, s.eta, out=PEN, where=penalty)
                np.copyto(TMP, gw)
                add(TMP, PEN, out=TMP, where=penalty)
                gw = TMP
            if momentum is not None:  # v ← μ v − η ∂E/∂θ, θ ← θ + v
                multiply(V, s.mu, out=V, where=momentum)
                subtract(V, gw, out=V, where=momentum)
                add(theta, V, out=theta, where=momentum)
            if plain is not None:  # Eq. 7: θ ← θ − η ∂E/∂θ
                subtract(theta, gw, out=theta, where=plain)
        mean: Array
        if ring is None:
            mean = multiply(SUM, s.inv)
            return mean
        if m != B:  # the last, smaller batch
            multiply(ring[-1], s.last_ratio, out=ring[-1])
        total = ring[0] if len(ring) == 1 else add.reduce(ring, axis=0, out=SUM)
        mean = multiply(total, s.inv)
        return mean
