"""Trainers bound to one fused stack: their epoch, their snapshots and the stop conditions.

A ``TrainerStack`` binds S trainers of one ``stack_key`` to one ``FusedStack``
(``engine/fused.py``): their parameters and velocities become views into the stack, ``sync``
copies in whatever changed, and ``run_epoch`` runs the fused epoch (Eq. 5, 14, 6/15, 8/18, 7)
for all of them. ``snapshots`` then measures each network's train and test error (Eq. 1) and
accuracy in one forward pass and makes its ``Snapshot`` (``engine/snapshot.py``).

The stop conditions: an epoch whose error is not finite, or that takes a parameter or a velocity
past the trainer's ``max_abs`` (the server's ``max_abs_value``), or its epoch or sample count past
``MAX_COUNT``, is undone — the last finite snapshot's parameters restored, the velocity zero, the
status ``diverged`` (``within_bounds``, ``_diverge``).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import is_
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from engine.fused import FusedStack, StepSettings
from engine.fused_buffers import Pass
from engine.network import Params
from engine.snapshot import EpochRecord, Snapshot
from engine.targets import decision_threshold

if TYPE_CHECKING:
    from engine.training import Trainer, TrainingConfig

Array = NDArray[np.float64]

FLOAT_MAX = float(np.finfo(np.float64).max)
MAX_COUNT = 2**53  # epochs and samples seen stay integers that JSON and JavaScript keep exact


def stack_key(trainer: Trainer) -> tuple[object, ...]:
    """Trainers with equal keys can be trained in one stack: the same layer sizes, activations
    and loss, the same training- and test-set sizes, the same effective batch size (batch sizes
    of N or more are all one full batch) and the same task."""
    N = trainer.X.shape[0]
    spec = trainer.spec
    n_test = 0 if trainer.X_test is None else trainer.X_test.shape[0]
    batch = min(trainer.config.batch_size, N)
    return (spec.layer_sizes, spec.activations, spec.loss, N, n_test, batch, trainer.task)


def classes(A: Array, output: str) -> NDArray[Any]:
    """Per sample its class, as ``datasets.accuracy`` reads it: the argmax for K > 1, else
    whether the output reaches ``decision_threshold(output)``."""
    if A.shape[-1] > 1:
        argmax: NDArray[np.intp] = A.argmax(axis=-1)
        return argmax
    return A[..., 0] >= decision_threshold(output)


Data = tuple[Array, Array, Array | None, Array | None]  # a trainer's X, T, X_test, T_test


class TrainerStack:
    """S trainers of one ``stack_key`` bound to one ``FusedStack``.

    While bound, each trainer's ``params`` and ``velocity`` are views into the stack's arrays,
    so that an epoch needs no copying. ``sync`` notices cheaply (by identity) whatever changed
    since the last call — replaced parameter or velocity arrays, replaced data, new settings —
    and copies only that into the stack; in-place edits (``set_parameter``) already write into
    it. A trainer may be bound to several stacks over time (its own stack of one and a
    ``StackedTrainer``'s); each one copies it in when it finds it bound elsewhere.
    """

    def __init__(self, trainers: Sequence[Trainer]) -> None:
        first = trainers[0]
        self.trainers = list(trainers)
        self.key = stack_key(first)
        self.spec = spec = first.spec
        self.N = N = first.X.shape[0]
        N_all = N + (0 if first.X_test is None else first.X_test.shape[0])
        self.fs = fs = FusedStack(spec, len(trainers), N, N_all, first.config.batch_size)
        L = spec.depth
        # per slot: the view arrays a bound trainer's params and velocity hold
        self.views = [
            ([fs.W[l][s] for l in range(L)], [fs.b[l][s] for l in range(L)],
             [fs.VW[l][s] for l in range(L)], [fs.Vb[l][s] for l in range(L)])
            for s in range(len(trainers))
        ]  # fmt: skip
        self.data: list[Data | None] = [None] * len(trainers)
        self.configs: Sequence[TrainingConfig | None] = [None] * len(trainers)
        self.settings: StepSettings | None = None
        self.produced: list[Snapshot | None] = [None] * len(trainers)
        self.cache: Pass | None = None  # forward_all at the last snapshots' parameters
        self.target_classes: NDArray[Any] | None = None  # classes(T_all), made when the data change
        # where the training and the test rows of a per-sample array begin (and end), and their
        # counts
        self.parts = np.array([0, N] if N_all > N else [0], dtype=np.intp)
        self.bounds = [(0, N), (N, N_all)] if N_all > N else [(0, N)]
        self.counts = np.array([N, N_all - N] if N_all > N else [N], dtype=np.float64)
        self.seen: list[object] | None = None  # ``watched`` at the end of the last ``sync``

    @staticmethod
    def watched(trainers: Sequence[Trainer]) -> list[object]:
        """Every object of the trainers whose replacement ``sync`` must notice, flat: the
        parameter and velocity arrays, the data, the settings, and with spec and task the
        rest of what ``stack_key`` reads."""
        out: list[object] = []
        extend = out.extend
        for tr in trainers:
            p, v = tr.params, tr.velocity
            extend(p.W)
            extend(p.b)
            extend(v.W)
            extend(v.b)
            extend((tr.X, tr.T, tr.X_test, tr.T_test, tr.config, tr.spec, tr.task))
        return out

    def unchanged(self, trainers: Sequence[Trainer]) -> bool:
        """Whether ``trainers`` are this stack's trainers (the same objects in the same order)
        and none of their ``watched`` objects was replaced since the last ``sync``: then
        ``sync`` has nothing to copy and their stack keys are the ones they had then."""
        seen = self.seen
        if (
            seen is None
            or len(trainers) != len(self.trainers)
            or not all(map(is_, trainers, self.trainers))
        ):
            return False
        now = self.watched(trainers)
        return len(now) == len(seen) and all(map(is_, now, seen))

    def sync(self) -> None:
        """Copy into the stack whatever of each trainer is not already there."""
        if self.unchanged(self.trainers):
            return
        fs, L = self.fs, self.spec.depth
        for s, tr in enumerate(self.trainers):
            W, b, VW, Vb = self.views[s]
            p, v = tr.params, tr.velocity
            if not (all(map(is_, p.W, W)) and all(map(is_, p.b, b))):
                for l in range(L):
                    fs.W[l][s] = p.W[l]
                    fs.b[l][s] = p.b[l]
                tr.params = Params(list(W), list(b))
                self.produced[s] = None
            if not (all(map(is_, v.W, VW)) and all(map(is_, v.b, Vb))):
                for l in range(L):
                    fs.VW[l][s] = v.W[l]
                    fs.Vb[l][s] = v.b[l]
                tr.velocity = Params(list(VW), list(Vb))
            data = (tr.X, tr.T, tr.X_test, tr.T_test)
            held = self.data[s]
            if held is None or not all(map(is_, data, held)):
                fs.set_data(s, *data)
                self.data[s] = data
                self.produced[s] = None
                self.target_classes = None
        configs = [tr.config for tr in self.trainers]
        if self.settings is None or not all(map(is_, configs, self.configs)):
            self.settings = StepSettings.make(configs, self.N, fs.B, fs.weights)
            self.configs = configs
        self.seen = self.watched(self.trainers)

    def run_epoch(self, synced: bool = False) -> list[Snapshot]:
        """One epoch for every trainer (each must have a ``last`` snapshot and not be
        diverged); returns their snapshots, or for a trainer whose epoch overflowed its last
        finite one marked diverged (its parameters restored, its velocity zero). ``synced``:
        the caller has just found the stack ``unchanged``, so ``sync`` is skipped."""
        if not synced:
            self.sync()
        fs, trainers, N = self.fs, self.trainers, self.N
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            full = None
            if fs.shuffled:
                fs.shuffle([tr.rng for tr in trainers])
            if not fs.reuse:
                pass
            elif self.cache is not None and all(
                map(is_, [t.last for t in trainers], self.produced)
            ):
                full = self.cache  # the last snapshots' forward pass, at these parameters
            else:
                full = fs.forward_all()
            if self.settings is None:
                raise ValueError("the stack was never synced (run_epoch with synced=True)")
            grads = fs.train_epoch(self.settings, full)
            for tr in trainers:
                tr.samples_seen += N
                tr.epoch += 1
            snaps = self.snapshots(grads)
        out = []
        for s, (tr, snap) in enumerate(zip(trainers, snaps, strict=True)):
            if snap is None:
                snap = self._diverge(s, tr)
                self.produced[s] = None  # the stack's last forward pass is not at these θ
            else:
                tr.last = self.produced[s] = snap
            out.append(snap)
        return out

    def within_bounds(self, theta: Array) -> NDArray[np.bool_]:
        """Per network: every parameter finite, and parameters and velocity within the
        trainer's ``max_abs``, epochs and samples seen within ``MAX_COUNT`` (NaN fails every
        comparison)."""
        trainers = self.trainers
        bound = np.array([min(tr.max_abs, FLOAT_MAX) for tr in trainers])  # ∞ is never within
        ok: NDArray[np.bool_] = (np.abs(theta).max(axis=-1) <= bound) & (
            np.abs(self.fs.velocity).max(axis=-1) <= bound
        )
        if any(tr.samples_seen > MAX_COUNT or tr.epoch > MAX_COUNT for tr in trainers):
            counts = [tr.samples_seen <= MAX_COUNT and tr.epoch <= MAX_COUNT for tr in trainers]
            ok &= np.array(counts)
        return ok

    def _diverge(self, s: int, tr: Trainer) -> Snapshot:
        """Restore trainer s to its last finite snapshot, velocity zero, status diverged."""
        last = tr.last
        if last is None:
            raise ValueError("a trainer diverged before its first snapshot")
        fs = self.fs
        for l in range(self.spec.depth):
            fs.W[l][s] = last.W[l]
            fs.b[l][s] = last.b[l]
        fs.velocity[s] = 0.0
        tr.epoch, tr.samples_seen = last.epoch, last.samples_seen
        tr.status = "diverged"
        tr.last = last.with_status("diverged")
        return tr.last

    def snapshots(self, grads: Array | None = None) -> list[Snapshot | None]:
        """Every trainer's snapshot at the stack's parameters (None where an error or a
        parameter is not finite). ``grads`` (S, P) are the epoch's mean gradients from
        ``FusedStack.train_epoch``; without them, the full-batch mean gradients (computed when
        a snapshot's gradients are first read).

        Training and test sets go through one forward pass together (``forward_all``); it is
        kept as the cache a following full-batch epoch starts from.
        """
        spec, fs, N, parts = self.spec, self.fs, self.N, self.parts
        p = fs.forward_all()
        Zo, Ao = p.Zo, p.Ao
        errors = spec.E.error_into(Zo, Ao, fs.T_all, spec.output, fs.D_all, fs.E_all)  # Eq. 1
        classification = self.trainers[0].task == "classification"
        # per network and part (training rows, test rows): the mean error, then the accuracy
        means = np.empty((fs.S, 1 + classification, len(parts)))
        for k, (start, stop) in enumerate(self.bounds):
            np.add.reduce(errors[:, start:stop], axis=-1, out=means[:, 0, k])
        if classification:  # the share of samples whose class is the target's
            if self.target_classes is None:
                self.target_classes = classes(fs.T_all, spec.output)
            hits = classes(Ao, spec.output) == self.target_classes
            np.add.reduceat(hits, parts, axis=-1, out=means[:, 1])
        means /= self.counts
        theta = fs.theta.copy()
        finite = np.isfinite(means[:, 0]).all(axis=-1) & self.within_bounds(theta)
        self.cache = p
        record = EpochRecord(spec, N, fs.layout, theta, grads, p, fs.spare)
        has_test = len(parts) > 1
        out: list[Snapshot | None] = []
        rows = zip(self.trainers, finite.tolist(), means.tolist(), strict=True)
        for s, (tr, ok, m) in enumerate(rows):
            if not ok:
                out.append(None)
                continue
            metrics: dict[str, Any] = {}
            if classification:
                metrics["train_accuracy"] = m[1][0]
                if has_test:
                    metrics["test_accuracy"] = m[1][1]
            out.append(
                Snapshot(
                    tr.epoch,
                    "ok",
                    m[0][0],
                    m[0][1] if has_test else None,
                    metrics,
                    tr.samples_seen,
                    record,
                    s,
                    tr.X,
                    tr.T,
                    tr.probe_index,
                )
            )
        return out
