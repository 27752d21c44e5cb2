"""The fast path: one epoch of mini-batch descent for a stack of S networks of one shape.

This is the engine's one fused implementation of a training epoch. It computes exactly what the
readable functions of ``network.py`` compute — ``forward`` (steps 1–5), ``backward_deltas``
(Eq. 5, 14), ``gradients`` (Eq. 6/15, 8/18) and the descent step (Eq. 7, with momentum and an
L1/L2 penalty) — and ``tests/test_engine_fast.py`` pins it to them to 1e-12. It differs only in
how the work is laid out:

- **Bias rows.** Each layer's parameters live in one array ``Waug[l]`` of shape
  (S, n_l + 1, n_{l+1}): the weights w_ij in the first n_l rows, the biases b_j in the last, and
  the gradients and velocities alike, so that a step (Eq. 7, momentum) is one numpy call per
  layer. ``W`` and ``b`` are views of these arrays, so a trainer's ``params`` can be views into
  the stack. (Activations stay contiguous: elementwise functions run on whole SIMD rows.)
- **Preallocated buffers.** Shuffled data, z, a, δ and gradients of every batch are written into
  buffers made once (``out=``), so a batch costs a fixed list of numpy calls.
- **η folded into δ.** δ is linear in the output δ, so the output δ is scaled by c = η/n (one
  number per network) and every layer's [a, 1]ᵀ(cδ) is already the step of Eq. 7.
- **A stack axis.** Everything carries a leading axis of S networks (S = 1 for one trainer).
  Each network keeps its own η, momentum μ and penalty; networks whose settings differ from the
  rest are handled with ``where=`` masks, never with arithmetic that would change their values.
  numpy's stacked matrix products compute every slice as the same BLAS call that one network
  alone gets, so a network's numbers do not depend on which stack it is trained in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.network import NetworkSpec

Array = np.ndarray


def augmented_zeros(spec: NetworkSpec, S: int) -> list[Array]:
    """One (S, n_l + 1, n_{l+1}) array per layer: weights in the first n_l rows, bias last."""
    n = spec.layer_sizes
    return [np.zeros((S, n[l] + 1, n[l + 1])) for l in range(spec.depth)]


def fused_forward(spec: NetworkSpec, Waug: list[Array], X: Array) -> tuple[list, list]:
    """Steps 1–5 over inputs X of shape (S, M, n_0): z = a W + b, a = g(z), as ``forward``
    computes them; returns fresh ``z[l]`` (S, M, n_{l+1}) and ``a[l]`` (input first)."""
    a = X
    z_all, a_all = [], [X]
    for l, w in enumerate(Waug):
        z = np.matmul(a, w[:, :-1])
        z += w[:, -1:]
        a = spec.g[l].g_into(z, np.empty(z.shape))
        z_all.append(z)
        a_all.append(a)
    return z_all, a_all


@dataclass
class StepSettings:
    """The settings of every network in a stack as (S, 1, 1) arrays and masks, made once per
    change of settings. ``c`` is the factor folded into the output δ: η/n, or 1/n for η = 0
    (then nothing is updated but the epoch's mean gradient is still measured)."""

    eta: Array
    c_full: Array
    c_last: Array
    last_ratio: Array  # c_full / c_last: the last, smaller batch's weight in the epoch's sum
    inv: Array  # 1 / (c_full N): from the epoch's sum of c-scaled gradients to their mean
    mu: Array
    lam: Array
    update: Array  # η > 0
    momentum: Array  # update and μ ≠ 0
    plain: Array  # update and μ = 0
    l1: Array
    l2: Array
    penalty: Array  # update and (l1 or l2) with λ > 0

    @classmethod
    def make(cls, configs: list, N: int, B: int) -> StepSettings:
        col = lambda values, dtype=np.float64: np.array(values, dtype=dtype).reshape(-1, 1, 1)  # noqa: E731
        eta = col([c.learning_rate for c in configs])
        update = eta > 0
        base = np.where(update, eta, 1.0)
        n_last = N - (N - 1) // B * B
        c_full, c_last = base / B, base / n_last
        mu = col([c.momentum for c in configs])
        lam = col([c.regularization_rate for c in configs])
        kind = [c.regularization for c in configs]
        active = update & (lam > 0)
        return cls(
            eta=eta,
            c_full=c_full,
            c_last=c_last,
            last_ratio=c_full / c_last,
            inv=1.0 / (c_full * N),
            mu=mu,
            lam=lam,
            update=update,
            momentum=update & (mu != 0),
            plain=update & (mu == 0),
            l1=active & col([k == "l1" for k in kind], bool),
            l2=active & col([k == "l2" for k in kind], bool),
            penalty=active & col([k in ("l1", "l2") for k in kind], bool),
        )


def _mask(m: Array) -> Array | bool | None:
    """``where=`` argument for a mask: True when it holds everywhere, None when nowhere."""
    if m.all():
        return True
    return m if m.any() else None


class FusedStack:
    """Buffers for S networks of one shape trained on data of one size, and the fused epoch.

    ``Waug``/``Vaug`` hold the parameters and momentum velocities (``W``, ``b``, ``VW``, ``Vb``
    are views of them); ``X_all`` (S, N_all, n_0) and ``T_all`` (S, N_all, K) hold every
    network's training rows followed by its test rows. The owner fills these; ``train_epoch``
    runs one epoch on them.
    """

    def __init__(self, spec: NetworkSpec, S: int, N: int, N_all: int, batch_size: int) -> None:
        n, L = spec.layer_sizes, spec.depth
        self.spec, self.S, self.N, self.N_all, self.L = spec, S, N, N_all, L
        self.B = B = min(batch_size, N)
        self.Waug = augmented_zeros(spec, S)
        self.Vaug = augmented_zeros(spec, S)
        self.W = [w[:, :-1] for w in self.Waug]
        self.b = [w[:, -1] for w in self.Waug]
        self.VW = [v[:, :-1] for v in self.Vaug]
        self.Vb = [v[:, -1] for v in self.Vaug]
        self.WT = [w.swapaxes(-1, -2) for w in self.W]
        self.b_rows = [w[:, -1:] for w in self.Waug]  # (S, 1, n_{l+1}): b for every sample
        self.X_all = np.empty((S, N_all, n[0]))
        self.T_all = np.empty((S, N_all, n[-1]))
        self.GW = [np.empty_like(w) for w in self.Waug]
        self.SUM = [np.empty_like(w) for w in self.Waug]
        self.TMP = [np.empty_like(w) for w in self.Waug]
        self.PEN = [np.empty_like(w) for w in self.W]
        self.GWw = [g[:, :-1] for g in self.GW]  # the weight rows (penalised; biases are not)
        self.GWb = [g[:, -1:] for g in self.GW]  # (S, 1, n_{l+1})
        self.G = [np.empty((S, B, n[l + 1])) for l in range(L)]  # g'(z)
        self.ones = np.ones((S, 1, B))  # Σ_n as a matrix product: 1ᵀ δ
        self.D = [np.empty((S, B, n[l + 1])) for l in range(L)]
        self.shuffled = B < N
        if self.shuffled:
            self.order = np.empty((S, N), dtype=np.intp)
            self.offsets = (np.arange(S, dtype=np.intp) * N_all)[:, None]
            self.X_sh = np.empty((S, N, n[0]))
            self.T_sh = np.empty((S, N, n[-1]))
            Z = [np.empty((S, B, n[l + 1])) for l in range(L)]
            A = [np.empty((S, B, n[l + 1])) for l in range(L)]
            self.batches = [
                self._views(x.shape[1], True, x, self.T_sh[:, s : s + B], Z, A)
                for s in range(0, N, B)
                for x in [self.X_sh[:, s : s + B]]
            ]

    def _views(self, m: int, forward: bool, x: Array, t: Array, Z: list, A: list) -> tuple:
        """Everything one batch of m samples reads and writes: ``A[l]`` is layer l's activation
        (``A[0]`` the input rows x), ``out[l]`` = ``A[l+1]`` = g(z[l]), ``AT[l]`` the transposes
        for the gradients, ``D[l]`` the δ buffers."""
        Z = [z[:, :m] for z in Z]
        A = [x] + [a[:, :m] for a in A]
        out = A[1:]
        AT = [a.swapaxes(-1, -2) for a in A[:-1]]
        D = [d[:, :m] for d in self.D]
        G = [x[:, :m] for x in self.G]
        return m, forward, t, Z, A, out, AT, D, G, self.ones[..., :m]

    def shuffle(self, orders: Array) -> None:
        """Gather every network's training rows in its own order (``orders``: (S, N))."""
        np.add(orders, self.offsets, out=self.order)
        idx = self.order.reshape(-1)
        X, T = self.X_all, self.T_all
        np.take(X.reshape(-1, X.shape[-1]), idx, axis=0, out=self.X_sh.reshape(-1, X.shape[-1]))
        np.take(T.reshape(-1, T.shape[-1]), idx, axis=0, out=self.T_sh.reshape(-1, T.shape[-1]))

    def train_epoch(self, s: StepSettings, full_forward: tuple | None = None) -> list[Array]:
        """One epoch over the (shuffled) batches, updating ``Waug``/``Vaug`` in place; returns
        the epoch's mean data gradients as fresh (S, n_l + 1, n_{l+1}) arrays (bias row last).

        With one full batch, ``full_forward`` is ``fused_forward`` over ``X_all`` at the current
        parameters (the snapshot's, when still valid) and its training rows are the batch."""
        if self.shuffled:
            batches = self.batches
        else:
            N = self.N
            Z, A = full_forward
            batches = [self._views(N, False, A[0][:, :N], self.T_all[:, :N], Z, A[1:])]
        B, L, spec = self.B, self.L, self.spec
        g, loss = spec.g, spec.E
        Waug, Vaug, W, WT, b_rows = self.Waug, self.Vaug, self.W, self.WT, self.b_rows
        GW, GWw, GWb, SUM, TMP, PEN = self.GW, self.GWw, self.GWb, self.SUM, self.TMP, self.PEN
        update, momentum, plain = _mask(s.update), _mask(s.momentum), _mask(s.plain)
        penalty, l1, l2 = _mask(s.penalty), _mask(s.l1), _mask(s.l2)
        matmul, multiply, subtract, add = np.matmul, np.multiply, np.subtract, np.add
        first = True
        for m, forward, t, Z, A, out, AT, D, G, ones in batches:
            if forward:  # steps 1–5: z = a W + b, a = g(z)
                for l in range(L):
                    z = matmul(A[l], W[l], out=Z[l])
                    add(z, b_rows[l], out=z)
                    g[l].g_into(z, out[l])
            c = s.c_full if m == B else s.c_last
            # Eq. 5 at the output, scaled by c; then Eq. 14 down the layers
            multiply(loss.delta_out(Z[-1], out[-1], t, g[-1].g_prime), c, out=D[-1])
            for l in range(L - 2, -1, -1):
                matmul(D[l + 1], WT[l + 1], out=D[l])
                multiply(D[l], g[l].g_prime_into(Z[l], out[l], G[l]), out=D[l])
            for l in range(L):
                gw = GW[l]
                matmul(AT[l], D[l], out=GWw[l])  # c Σ_n δ_j a_i (Eq. 6/15)
                matmul(ones, D[l], out=GWb[l])  # c Σ_n δ_j (Eq. 8/18)
                if first:
                    np.copyto(SUM[l], gw)
                elif m == B:
                    add(SUM[l], gw, out=SUM[l])
                else:
                    add(SUM[l], multiply(gw, s.last_ratio, out=TMP[l]), out=SUM[l])
                if update is None:
                    continue
                if penalty is not None:  # + η λ sign(w) (L1) or η λ w (L2), weights only
                    pen, w = PEN[l], self.W[l]
                    if l2 is not None:
                        np.copyto(pen, w, where=l2)
                    if l1 is not None:
                        np.sign(w, out=pen, where=l1)
                    multiply(pen, s.lam, out=pen, where=penalty)
                    multiply(pen, s.eta, out=pen, where=penalty)
                    add(GWw[l], pen, out=GWw[l], where=penalty)
                if momentum is not None:  # v ← μ v − η ∂E/∂θ, θ ← θ + v
                    v = Vaug[l]
                    multiply(v, s.mu, out=v, where=momentum)
                    subtract(v, gw, out=v, where=momentum)
                    add(Waug[l], v, out=Waug[l], where=momentum)
                if plain is not None:  # Eq. 7: θ ← θ − η ∂E/∂θ
                    subtract(Waug[l], gw, out=Waug[l], where=plain)
            first = False
        return [multiply(total, s.inv) for total in SUM]
