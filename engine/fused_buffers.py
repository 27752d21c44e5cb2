"""The fast path's buffers: the layout of θ and of a pass, and every array an epoch writes.

``engine/fused.py`` runs the epoch; this module makes, once per stack, what it reads and writes
(the layout its docstring describes): the flat θ and velocity (S, P) and each layer's bias-row
view ``Waug[l]`` (S, n_l + 1, n_{l+1}) of it (``param_layout``, ``layer_views``); a forward
pass's [a, 1] columns, z and a with their ones unit (``Pass``, ``new_pass``: steps 1–5 are
written into them); a batch's δ and g'(z) (Eq. 5, 14) and where its gradients go (``Batch``:
a ring slot per batch, summed once an epoch); and the data with a column of ones, shuffled
into place every epoch (``FusedBuffers``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from engine.activations import Activation
from engine.network import NetworkSpec

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


@dataclass
class Batch:
    """The views one batch of m samples reads and writes (see ``FusedBuffers``)."""

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


class FusedBuffers:
    """The buffers of S networks of one shape trained on data of one size, made once.

    ``theta``/``velocity`` (S, P) hold the parameters and momentum velocities (``Waug``, ``W``,
    ``b``, ``VW``, ``Vb`` are views of them); ``X_all`` (S, N_all, n_0 + 1) holds every
    network's training inputs followed by its test inputs, with a column of ones, and
    ``T_all`` (S, N_all, K) the targets (``set_data``); ``shuffle`` gathers an epoch's order of
    the training rows into ``X_sh``/``T_sh``; ``batches`` (or ``full_batch``) are the views
    each batch of the epoch reads and writes.
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
