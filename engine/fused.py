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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import DTypeLike, NDArray

from engine.activations import Activation
from engine.network import NetworkSpec

if TYPE_CHECKING:
    from engine.training_config import TrainingConfig

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]

RING_ENTRIES = 8192  # the most gradient entries per network kept for one epoch's sum


def param_layout(spec: NetworkSpec) -> list[tuple[int, int, int]]:
    """(offset, rows, columns) of each layer's (n_l + 1, n_{l+1}) block in a flat θ row."""
    n, out, offset = spec.layer_sizes, [], 0
    for l in range(spec.depth):
        out.append((offset, n[l] + 1, n[l + 1]))
        offset += (n[l] + 1) * n[l + 1]
    return out


def layer_views(flat: Array, layout: list[tuple[int, int, int]]) -> list[Array]:
    """Views (S, n_l + 1, n_{l+1}) of every layer's block of ``flat`` (S, P)."""
    S = flat.shape[0]
    return [flat[:, o : o + r * c].reshape(S, r, c) for o, r, c in layout]


def weight_mask(spec: NetworkSpec) -> Mask:
    """(P,) booleans: True at the weights of a flat θ row, False at the biases."""
    mask = np.ones(param_layout(spec)[-1][0] + (spec.layer_sizes[-2] + 1) * spec.layer_sizes[-1])
    for o, r, c in param_layout(spec):
        mask[o + (r - 1) * c : o + r * c] = 0
    return mask.astype(bool)


def _in_place(g: Activation) -> bool:
    """Whether layer activation g may overwrite z with a: g is a numpy ufunc and g' needs only a."""
    return isinstance(g.g, np.ufunc) and g.prime_from_a


def unit_buffer(k: int, S: int, M: int, ones: bool = False) -> tuple[Array, Array]:
    """A hidden layer's k units over M samples of S networks, (S, k [+ 1], M): its view of the
    k units and the buffer; with ``ones`` the last unit is 1 (the bias input).

    Every network's (k, M) block is contiguous with strides that do not depend on S: BLAS may
    compute a matrix-vector product in another order for another leading dimension, and a
    network's numbers must not depend on its stack."""
    buf = np.empty((S, k + ones, M))
    if ones:
        buf[:, k] = 1.0
    return buf[:, :k], buf


def natural(x: Array) -> Array:
    """A ``unit_buffer`` (view) as (S, M, k), the layout of ``forward``."""
    return x.swapaxes(1, 2)


@dataclass
class Pass:
    """One forward pass over M samples of S networks (steps 1–5).

    ``cols[l]`` (S, n_l + 1, M) is the input [a, 1] of layer l (``cols[0]`` the data); hidden
    layer l's z and a are ``z_el[l]`` and ``a_el[l]`` (``unit_buffer`` views; ``z_el[l]`` is
    None where g was applied in place); the output's are ``Zo``, ``Ao`` (S, M, K). ``z``, ``a``
    are the same values in the layout of ``forward`` (``a[0]`` the input): (S, M, n_l) views."""

    cols: list[Array]
    z_el: list[Array | None]
    a_el: list[Array]
    Zo: Array
    Ao: Array
    _head: Pass | None = field(default=None, repr=False)

    def head(self, n: int) -> Pass:
        """The same pass over its first n samples only (views, made once)."""
        if self._head is None or self._head.Zo.shape[1] != n:
            self._head = Pass(
                [c[..., :n] for c in self.cols],
                [None if z is None else z[..., :n] for z in self.z_el],
                [a[..., :n] for a in self.a_el],
                self.Zo[:, :n],
                self.Ao[:, :n],
            )
        return self._head

    @property
    def z(self) -> list[Array]:
        return [natural(_kept(z)) for z in self.z_el] + [self.Zo]

    @property
    def a(self) -> list[Array]:
        return [self.cols[0][:, :-1].swapaxes(-1, -2), *map(natural, self.a_el), self.Ao]


def _kept(z: Array | None) -> Array:
    """A hidden layer's z of a pass that kept it (``new_pass`` with ``keep_z``)."""
    if z is None:
        raise ValueError("this pass applied g in place and did not keep z (keep_z=False)")
    return z


def new_pass(spec: NetworkSpec, col0: Array, keep_z: bool = True) -> Pass:
    """Fresh buffers for a forward pass over ``col0`` (S, n_0 + 1, M), not yet computed; z is
    kept for every layer unless ``keep_z`` is False (then not where g is applied in place)."""
    S, _, M = col0.shape
    n, L = spec.layer_sizes, spec.depth
    cols: list[Array] = [col0]
    z_el: list[Array | None] = []
    a_el: list[Array] = []
    for l in range(L - 1):
        k = n[l + 1]
        a, buf = unit_buffer(k, S, M, ones=True)
        cols.append(buf)
        a_el.append(a)
        z_el.append(unit_buffer(k, S, M)[0] if keep_z or not _in_place(spec.g[l]) else None)
    Zo = np.empty((S, M, n[-1]))
    return Pass(cols, z_el, a_el, Zo, np.empty_like(Zo))


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


@dataclass
class Batch:
    """The views one batch of m samples reads and writes (see ``FusedStack``)."""

    m: int
    forward: bool  # False: z and a are already there (the full batch of a snapshot's pass)
    p: Pass | None  # None for the full batch until ``train_epoch`` gives it the snapshot's pass
    t: Array  # (S, m, K) targets
    D_el: list[Array]  # hidden δ, (S, n_{l+1}, m)
    G_el: list[Array]  # hidden g'(z)
    Do: Array  # output δ (S, m, K)
    Go: Array
    layout: list[tuple[int, int, int]]
    flat: Array  # (S, P): where [a, 1]ᵀδ goes (a slot of the ring, or SUM, or GW)

    def __post_init__(self) -> None:
        self.grad = layer_views(self.flat, self.layout)
        self.DT = [*self.D_el, self.Do.swapaxes(-1, -2)]
        self.Dn = [*map(natural, self.D_el), self.Do]


class FusedStack:
    """Buffers for S networks of one shape trained on data of one size, and the fused epoch.

    ``theta``/``velocity`` (S, P) hold the parameters and momentum velocities (``Waug``, ``W``,
    ``b``, ``VW``, ``Vb`` are views of them); ``X_all`` (S, N_all, n_0 + 1) holds every
    network's training inputs followed by its test inputs, with a column of ones, and
    ``T_all`` (S, N_all, K) the targets. The owner fills these (``set_data``); ``train_epoch``
    runs one epoch on them.
    """

    def __init__(self, spec: NetworkSpec, S: int, N: int, N_all: int, batch_size: int) -> None:
        n, L = spec.layer_sizes, spec.depth
        self.spec, self.S, self.N, self.N_all, self.L = spec, S, N, N_all, L
        self.B = B = min(batch_size, N)
        layout = param_layout(spec)
        self.P = P = layout[-1][0] + layout[-1][1] * layout[-1][2]
        self.weights = weight_mask(spec)
        self.theta, self.velocity = np.zeros((S, P)), np.zeros((S, P))
        self.Waug, self.Vaug = layer_views(self.theta, layout), layer_views(self.velocity, layout)
        self.W = [w[:, :-1] for w in self.Waug]
        self.b = [w[:, -1] for w in self.Waug]
        self.VW = [v[:, :-1] for v in self.Vaug]
        self.Vb = [v[:, -1] for v in self.Vaug]
        self.WaugT = [w.swapaxes(-1, -2) for w in self.Waug]
        self.layout = layout
        self.X_all = np.ones((S, N_all, n[0] + 1))
        self.T_all = np.empty((S, N_all, n[-1]))
        self.D_all, self.E_all = np.empty((S, N_all, n[-1])), np.empty((S, N_all))  # errors
        self.GW, self.SUM = np.empty((S, P)), np.empty((S, P))
        self.spare: list[Pass] = []  # forward_all passes handed back for reuse
        self.TMP, self.PEN = np.empty((S, P)), np.empty((S, P))
        assert all(np.shares_memory(w, self.theta) for w in self.Waug)
        # Each batch's gradients in a slot of their own, summed once an epoch (in order, as a
        # running sum would); without room for that (the size is chosen without S, so that a
        # network's sums do not depend on its stack), a running sum in SUM.
        n_batches = -(-N // B)
        self.ring = np.empty((n_batches, S, P)) if n_batches * P <= RING_ENTRIES else None
        self.shuffled = B < N
        self.reuse = not self.shuffled  # a full batch starts from the snapshot's forward pass
        if self.shuffled:
            self.order = np.empty((S, N), dtype=np.intp)
            self.arange = np.arange(N, dtype=np.intp)
            self.offsets = (np.arange(S, dtype=np.intp) * N_all)[:, None]
            self.X_sh = np.empty((S, N, n[0] + 1))
            self.T_sh = np.empty((S, N, n[-1]))
            X, T = self.X_sh, self.T_sh
        else:
            X, T = self.X_all[:, :N], self.T_all[:, :N]
        if self.reuse:
            D = self._deltas(N)
            self.full_batch = Batch(N, False, None, T, *D, layout, self._slot(0))
        else:
            # buffers per batch size (all batches have B samples but perhaps the last)
            sizes = {m: (new_pass(spec, X[:, :m].swapaxes(-1, -2), False),
                         self._deltas(m)) for m in {B, N - (N - 1) // B * B}}  # fmt: skip
            self.batches = []
            for start in range(0, N, B):
                m = min(B, N - start)
                shared, D = sizes[m]
                x = X[:, start : start + m].swapaxes(-1, -2)
                p = Pass([x, *shared.cols[1:]], shared.z_el, shared.a_el, shared.Zo, shared.Ao)
                self.batches.append(
                    Batch(m, True, p, T[:, start : start + m], *D, layout, self._slot(start // B))
                )

    def _slot(self, k: int) -> Array:
        """Where batch k's gradients go: its ring slot; else SUM for the first batch, GW after."""
        if self.ring is not None:
            slot: Array = self.ring[k]
            return slot
        return self.SUM if k == 0 else self.GW

    def _deltas(self, m: int) -> tuple[list[Array], list[Array], Array, Array]:
        """δ and g'(z) buffers for a batch of m: hidden (n_{l+1}, S, m), output (S, m, K)."""
        n, S = self.spec.layer_sizes, self.S
        hidden = n[1:-1]
        return (
            [unit_buffer(k, S, m)[0] for k in hidden],
            [unit_buffer(k, S, m)[0] for k in hidden],
            np.empty((S, m, n[-1])),
            np.empty((S, m, n[-1])),
        )

    def set_data(
        self, s: int, X: Array, T: Array, X_test: Array | None, T_test: Array | None
    ) -> None:
        """Network s's training rows (and test rows after them)."""
        N, n0 = self.N, self.spec.layer_sizes[0]
        self.X_all[s, :N, :n0] = X
        self.T_all[s, :N] = T
        if X_test is not None:
            self.X_all[s, N:, :n0] = X_test
            self.T_all[s, N:] = T_test

    def shuffle(self, rngs: Sequence[np.random.Generator]) -> None:
        """Gather every network's training rows in the order its generator draws (as
        ``rng.permutation(N)`` would). The indices are in range by construction, so the
        gathers use ``mode="clip"``: with the default ``"raise"`` numpy gathers into a temporary
        and copies it into ``out`` (the same values, twice the memory traffic)."""
        order = self.order
        np.copyto(order, self.arange)
        for row, rng in zip(order, rngs, strict=True):
            rng.shuffle(row)
        np.add(order, self.offsets, out=order)
        idx = order.reshape(-1)
        for src, dst in ((self.X_all, self.X_sh), (self.T_all, self.T_sh)):
            k = src.shape[-1]
            np.take(src.reshape(-1, k), idx, axis=0, out=dst.reshape(-1, k), mode="clip")

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
