"""Training many sessions of one shape together: S trainers stepped as one stack.

A classroom runs dozens of copies of the same small network, each on its own data with its own
settings. Trained one after another, each epoch is a few hundred tiny numpy calls whose cost is
almost all Python and call overhead. ``StackedTrainer`` trains S trainers of one ``stack_key``
at once: every numpy call of the fused epoch (``engine/fused.py``) carries a leading stack axis,
so the same number of calls does the work of all S.

Each trainer stays a ``Trainer``: it keeps its own η, momentum, regularisation, data, shuffling
generator and probe, and after ``StackedTrainer.run_epoch`` it is in exactly the state (bit for
bit) that its own ``run_epoch`` would have left. One trainer alone is a stack of one through the
same code; matrix products of a stack compute each network's slice as the same BLAS call.

Usage (one ``StackedTrainer`` per group of sessions with equal keys)::

    group = StackedTrainer()
    snapshots = group.run_epoch(trainers)        # one epoch for each; list of Snapshot
    stats = group.frame_stats(trainers, X_grid)  # node statistics and grid activations
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import is_

import numpy as np
from numpy.typing import NDArray

from engine.errors import SpecError
from engine.network import (
    ForwardCache,
    NetworkSpec,
    Params,
    backward_deltas,
    forward,
    gradients,
    per_sample_error,
)
from engine.snapshot import Snapshot, stacked_params
from engine.stats import grid_activations, node_stats
from engine.trainer_stack import TrainerStack, stack_key
from engine.training import Trainer

Array = NDArray[np.float64]

__all__ = [
    "FrameStats",
    "StackedProbe",
    "StackedTrainer",
    "probe_traces",
    "stack_key",
    "stacked_params",
]


@dataclass
class FrameStats:
    """Node statistics and grid activations of S trainers, stacked along axis 0.

    ``node_stats[l]`` is ``(mean_a, mean_abs_delta)`` of layer l+1, each (S, n_{l+1});
    ``grid[l]`` is layer l's activation over the grid, (S, G, n_l), input first (None without a
    grid) — or, with ``grid_rows``, (R, G, n_l) for just those R of the S trainers (in that
    order: the frames that carry a grid). ``member(i)`` cuts out trainer i's share in the
    unstacked shapes (its grid None when ``grid_rows`` leaves it out)."""

    node_stats: list[tuple[Array, Array]]
    grid: list[Array] | None
    grid_rows: list[int] | None = None

    def member(self, i: int) -> tuple[list[tuple[Array, Array]], list[Array] | None]:
        stats = [(m[i], d[i]) for m, d in self.node_stats]
        grid, rows = self.grid, self.grid_rows
        if grid is None:
            return stats, None
        if rows is None:
            return stats, [a[i] for a in grid]
        if i not in rows:
            return stats, None
        k = rows.index(i)
        return stats, [a[k] for a in grid]


@dataclass
class StackedProbe:
    """The probe traces of S networks (``probe_traces``), each array stacked along axis 0:
    ``input`` (S, n_0), ``target`` and ``output`` (S, K), ``error`` (S,); ``layers[l]`` the z,
    a, g'(z) and δ of layer l+1, each (S, n_{l+1}); ``gradients`` the samples' own δ_j a_i
    (S, n_l, n_{l+1}) and δ_j (S, n_{l+1})."""

    input: Array
    target: Array
    output: Array
    error: Array
    layers: list[dict[str, Array]]
    gradients: Params


def probe_traces(
    spec: NetworkSpec, W: list[Array], b: list[Array], X: Array, T: Array
) -> StackedProbe:
    """``snapshot.probe_trace`` for S networks at once, each on its own probe sample: W[l]
    (S, n_l, n_{l+1}), b[l] (S, n_{l+1}), X (S, n_0) and T (S, K) the samples. One forward
    pass over a batch of one per network (steps 1–5), then Eq. 5 and 14 for δ and Eq. 6/15,
    8/18 for the sample's own gradients — one numpy call per layer for the whole stack."""
    params = Params(W, b)
    one = forward(spec, params, X[:, None, :])
    t = T[:, None, :]
    delta = backward_deltas(spec, params, one, t)
    z, a = one.z, one.a
    layers = [
        {
            "z": z[l][:, 0],
            "a": a[l + 1][:, 0],
            "g_prime": spec.g[l].g_prime(z[l], a[l + 1])[:, 0],
            "delta": delta[l][:, 0],
        }
        for l in range(spec.depth)
    ]
    return StackedProbe(
        input=X,
        target=T,
        output=a[-1][:, 0],
        error=per_sample_error(spec, one, t)[:, 0],
        layers=layers,
        gradients=gradients(one, delta),
    )


class StackedTrainer:
    """Steps trainers of one ``stack_key`` together; reusable across calls.

    The stacked buffers are kept between calls while the list of trainers in training stays the
    same (the same objects in the same order) and rebuilt when it changes. Between calls the
    trainers may be changed with their own methods (``set_config``, ``set_parameter``,
    ``set_probe``, ``step_sample``, ``load_state``) or given new ``params``: the stack notices
    by identity and copies in what changed.
    """

    def __init__(self) -> None:
        self._stack: TrainerStack | None = None
        # node statistics of the last stack's whole membership at its produced snapshots
        # (``frame_stats``): the snapshots they are of, and the stats
        self._node_memo: tuple[list[Snapshot], list[tuple[Array, Array]]] | None = None

    def run_epoch(self, trainers: Sequence[Trainer]) -> list[Snapshot]:
        """Advance every trainer by one epoch, exactly as its own ``run_epoch`` would, and
        return their snapshots in order.

        Raises ValueError unless all trainers have one ``stack_key`` (and each appears once).
        A trainer that has diverged is skipped and returns its last snapshot, as alone. If a
        trainer's parameters give non-finite outputs before the epoch (``Trainer.snapshot``
        raises SpecError), the others are still advanced and that error is raised afterwards.
        """
        trainers = list(trainers)
        if not trainers:
            return []
        # The last stack's trainers, unchanged since its last sync: their keys were checked
        # then and are still the same, and the stack needs no sync.
        stack = self._stack
        fresh = stack is not None and stack.unchanged(trainers)
        if not fresh:
            key = stack_key(trainers[0])
            if any(stack_key(t) != key for t in trainers[1:]):
                raise ValueError("trainers with different stack keys cannot be stacked")
            if len({id(t) for t in trainers}) != len(trainers):
                raise ValueError("a trainer appears twice")
        out: list[Snapshot | None] = [None] * len(trainers)
        active: list[int] = []
        error: SpecError | None = None
        for i, tr in enumerate(trainers):
            if tr.status == "diverged" and tr.last is not None:
                out[i] = tr.last
                continue
            if tr.last is None:
                fresh = False  # its snapshot syncs its own stack, which rebinds its arrays
                try:
                    tr.snapshot()
                except SpecError as exc:
                    error = error or exc
                    continue
            active.append(i)
        if active:
            if fresh and stack is not None and len(active) == len(trainers):
                snaps = stack.run_epoch(synced=True)
            else:
                snaps = self._stack_of([trainers[i] for i in active]).run_epoch()
            for i, snap in zip(active, snaps, strict=True):
                out[i] = snap
        if error is not None:
            raise error
        return out  # type: ignore[return-value]

    def _stack_of(self, members: list[Trainer]) -> TrainerStack:
        stack = self._stack
        if (
            stack is None
            or len(stack.trainers) != len(members)
            or not all(map(is_, stack.trainers, members))
            or stack.key != stack_key(members[0])
        ):
            stack = self._stack = TrainerStack(members)
        return stack

    def frame_stats(
        self,
        trainers: Sequence[Trainer],
        X_grid: Array | None = None,
        grid_rows: Sequence[int] | None = None,
    ) -> FrameStats:
        """``node_stats`` and ``grid_activations`` of every trainer at its last snapshot, in one
        stacked call per layer. When the trainers are this object's last stack and their last
        snapshots its own, the snapshots' forward pass over the training set is reused.
        ``grid_rows``: the grid only for those trainers (their indices, in order), the frames
        that carry one (``FrameStats.grid_rows``); None: for all."""
        trainers = list(trainers)
        snaps = [t.last or t.snapshot() for t in trainers]
        spec, L = trainers[0].spec, trainers[0].spec.depth
        W = [np.stack([s.W[l] for s in snaps]) for l in range(L)]
        b = [np.stack([s.b[l] for s in snaps]) for l in range(L)]
        rows = self._cached_rows(trainers, snaps)
        if rows is not None:
            whole = self._whole_node_stats()
            if whole is not None:  # one computation for every caller at these snapshots
                same = len(rows) == len(whole[0][0]) and rows == list(range(len(rows)))
                stats = whole if same else [(m[rows], d[rows]) for m, d in whole]
            else:
                stack = self._stack
                assert stack is not None and stack.cache is not None
                N, p, sel = stack.N, stack.cache, np.asarray(rows)
                cache = ForwardCache([z[sel, :N] for z in p.z], [a[sel, :N] for a in p.a])
                stats = node_stats(spec, W, b, None, stack.fs.T_all[sel, :N], cache)
        else:
            X = np.stack([t.X for t in trainers])
            T = np.stack([t.T for t in trainers])
            stats = node_stats(spec, W, b, X, T)
        rows_g = None if grid_rows is None else list(grid_rows)
        if X_grid is None or rows_g == []:
            grid = None
        elif rows_g is None or rows_g == list(range(len(trainers))):
            grid, rows_g = grid_activations(spec, W, b, X_grid), None
        else:
            pick = np.asarray(rows_g, dtype=np.intp)
            grid = grid_activations(spec, [w[pick] for w in W], [v[pick] for v in b], X_grid)
        return FrameStats(stats, grid, rows_g)

    def _cached_rows(self, trainers: list[Trainer], snaps: list[Snapshot]) -> list[int] | None:
        """The rows of the last stack holding ``trainers``, when each one's snapshot is the one
        that stack produced (so its forward pass over the training set is the stack's cache);
        else None."""
        stack = self._stack
        if stack is None or stack.cache is None:
            return None
        at = {id(t): i for i, t in enumerate(stack.trainers)}
        rows = []
        for t, snap in zip(trainers, snaps, strict=True):
            i = at.get(id(t))
            if i is None or stack.produced[i] is not snap:
                return None
            rows.append(i)
        return rows

    def _whole_node_stats(self) -> list[tuple[Array, Array]] | None:
        """``node_stats`` of the last stack's every member at its produced snapshots (from its
        cached forward pass), computed once per epoch and kept for the next caller: the
        gradient-flow series (``app.trainer.flow_stack``) and the frames ask for the same
        numbers after the same epoch. None when a member produced no snapshot (diverged)."""
        stack = self._stack
        assert stack is not None and stack.cache is not None
        produced = stack.produced
        memo = self._node_memo
        if memo is not None and len(memo[0]) == len(produced) and all(map(is_, memo[0], produced)):
            return memo[1]
        if any(s is None for s in produced):
            return None
        snaps: list[Snapshot] = list(produced)  # type: ignore[arg-type]
        L = stack.spec.depth
        W = [np.stack([s.W[l] for s in snaps]) for l in range(L)]
        b = [np.stack([s.b[l] for s in snaps]) for l in range(L)]
        N, p = stack.N, stack.cache
        cache = ForwardCache([z[:, :N] for z in p.z], [a[:, :N] for a in p.a])
        stats = node_stats(stack.spec, W, b, None, stack.fs.T_all[:, :N], cache)
        self._node_memo = (snaps, stats)
        return stats
