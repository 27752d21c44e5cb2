"""Training: epochs of mini-batch gradient descent (Eq. 7), with a snapshot after every epoch.

An epoch visits the training set once in an order reshuffled from the seed, in batches of
``batch_size`` (1 = online/stochastic, N or more = full batch). Each batch's gradient is the mean
over its samples (see network.py), optionally plus an L1 or L2 penalty on the weights (never
the biases), and the parameters move by

    v ← μ v − η ∂E/∂θ,   θ ← θ + v        (μ = 0 gives Eq. 7: w ← w − η ∂E/∂w).

After each epoch ``Trainer.run_epoch`` returns a ``Snapshot``: the epoch, the train and test
error (and accuracy for classification), W and b, the epoch's mean gradients, and the full trace
(z, a, g'(z), δ per layer) of one chosen probe sample. When the error becomes NaN or infinite the
trainer restores the last finite parameters, sets ``status = "diverged"`` and returns the last
finite snapshot marked as diverged; no exception escapes and no NaN frame is produced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine.datasets import Dataset, accuracy
from engine.errors import SpecError
from engine.network import (
    ForwardCache,
    NetworkSpec,
    Params,
    backward_deltas,
    descent_step,
    forward,
    per_sample_error,
    trace,
)

Array = np.ndarray

REGULARIZATIONS = ("none", "l1", "l2")
MAX_LEARNING_RATE = 1e3


@dataclass(frozen=True)
class TrainingConfig:
    """The knobs of gradient descent; ``validate`` names the offending field on bad values."""

    learning_rate: float = 0.03
    batch_size: int = 10
    momentum: float = 0.0
    regularization: str = "none"
    regularization_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        def number(name: str, lo: float, hi: float, lo_open: bool = False) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.floating | np.integer):
                raise SpecError(f"training.{name}", f"must be a number (got {v!r})")
            if not np.isfinite(v) or v < lo or v > hi or (lo_open and v == lo):
                bracket = "(" if lo_open else "["
                raise SpecError(f"training.{name}", f"must be in {bracket}{lo}, {hi}] (got {v!r})")

        number("learning_rate", 0.0, MAX_LEARNING_RATE)
        number("momentum", 0.0, 0.999)
        number("regularization_rate", 0.0, 10.0)
        for name in ("batch_size", "seed"):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | np.integer)
                or v < (name == "batch_size")
            ):
                floor = 1 if name == "batch_size" else 0
                raise SpecError(f"training.{name}", f"must be an integer ≥ {floor} (got {v!r})")
        if self.regularization not in REGULARIZATIONS:
            raise SpecError(
                "training.regularization",
                f"unknown regularization {self.regularization!r}; "
                f"known: {', '.join(REGULARIZATIONS)}",
            )

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Snapshot:
    """One epoch's record. ``probe`` is the probe sample's trace as plain arrays.

    ``train_cache`` is the forward pass over the training set at these parameters (read-only).
    The probe's z and a rows are taken from the epoch's forward pass when the snapshot is made;
    its g'(z), δ (Eq. 5, 14) and its own gradients δ_j a_i (Eq. 6/15) are computed from them and
    the snapshot's own W the first time ``probe`` is read, so that snapshots nobody looks at cost
    nothing more.
    """

    epoch: int
    status: str
    loss_train: float
    loss_test: float | None
    metrics: dict
    W: list[Array]
    b: list[Array]
    grad_W: list[Array]
    grad_b: list[Array]
    probe_source: Callable[[], dict] = field(repr=False)
    samples_seen: int = 0
    train_cache: ForwardCache | None = field(default=None, repr=False, compare=False)
    _probe: dict | None = field(default=None, repr=False, compare=False)

    @property
    def probe(self) -> dict:
        if self._probe is None:
            self._probe = self.probe_source()
        return self._probe


class Trainer:
    """Trains one network on one data set and records a snapshot per epoch.

    ``X_*`` are inputs (N, n_0) and ``T_*`` targets (N, K), already encoded for the output
    activation. ``task`` is "classification" (accuracy is reported) or "regression".
    """

    def __init__(
        self,
        spec: NetworkSpec,
        params: Params,
        X_train: Array,
        T_train: Array,
        X_test: Array | None = None,
        T_test: Array | None = None,
        config: TrainingConfig | None = None,
        task: str = "regression",
        probe_index: int = 0,
    ) -> None:
        self.spec = spec
        self.params = params
        self.X, self.T = (
            np.asarray(X_train, dtype=np.float64),
            np.asarray(T_train, dtype=np.float64),
        )
        self.X_test = (
            None if X_test is None or len(X_test) == 0 else np.asarray(X_test, dtype=np.float64)
        )
        self.T_test = None if self.X_test is None else np.asarray(T_test, dtype=np.float64)
        if self.X_test is None:
            self._X_all, self._T_all = self.X, self.T
        else:
            self._X_all = np.concatenate([self.X, self.X_test])
            self._T_all = np.concatenate([self.T, self.T_test])
        if self.X.ndim != 2 or self.X.shape[1] != spec.layer_sizes[0]:
            raise SpecError(
                "inputs",
                f"must have {spec.layer_sizes[0]} columns (got shape {list(self.X.shape)})",
            )
        if self.T.shape != (self.X.shape[0], spec.layer_sizes[-1]):
            raise SpecError(
                "targets",
                f"must have shape {[self.X.shape[0], spec.layer_sizes[-1]]} "
                f"(got {list(self.T.shape)})",
            )
        for name, targets in (("targets", self.T), ("test_targets", self.T_test)):
            problem = None if targets is None else spec.E.check_targets(targets, spec.output)
            if problem:
                raise SpecError(name, problem)
        self.config = config or TrainingConfig()
        self.task = task
        self.epoch = 0
        self.samples_seen = 0
        self.status = "ok"
        self.rng = np.random.default_rng(self.config.seed)
        self.velocity = self._zero_velocity()
        self._train_cache: ForwardCache | None = None
        self.probe_index = 0
        self.set_probe(probe_index)
        self.last: Snapshot | None = None

    @classmethod
    def from_dataset(
        cls,
        spec: NetworkSpec,
        params: Params,
        data: Dataset,
        config: TrainingConfig | None = None,
        probe_index: int = 0,
    ) -> Trainer:
        """A trainer on ``data``, its targets encoded for the network's output activation."""
        out = spec.output
        T_train = data.encode_targets(data.T_train, out)
        T_test = data.encode_targets(data.T_test, out)
        if T_train.shape[1] != spec.layer_sizes[-1]:
            raise SpecError(
                "network.layer_sizes",
                f"the {data.name} data needs {T_train.shape[1]} output unit(s) for a {out} "
                f"output (got {spec.layer_sizes[-1]})",
            )
        if data.X_train.shape[1] != spec.layer_sizes[0]:
            raise SpecError(
                "network.layer_sizes",
                f"the {data.name} data has {data.X_train.shape[1]} input feature(s) "
                f"(got {spec.layer_sizes[0]} input units)",
            )
        return cls(
            spec, params, data.X_train, T_train, data.X_test, T_test, config, data.task, probe_index
        )

    # -- settings ---------------------------------------------------------------------------
    def set_config(self, config: TrainingConfig) -> None:
        """Change the training settings live; weights and velocity are kept. A new seed restarts
        the shuffling sequence. Lifts a ``diverged`` status so training can resume."""
        if config.seed != self.config.seed:
            self.rng = np.random.default_rng(config.seed)
        self.config = config
        if self.status == "diverged":
            self.status = "ok"

    def set_probe(self, index: int) -> None:
        n = self.X.shape[0]
        if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < n:
            raise SpecError("probe.index", f"must be an integer in [0, {n - 1}] (got {index!r})")
        self.probe_index = int(index)

    def set_params(self, params: Params) -> None:
        """Replace θ (an edited weight, a reset); momentum restarts from zero."""
        self.params = params
        self.velocity = self._zero_velocity()
        self._train_cache = None
        self.last = None
        self.status = "ok"

    def set_parameter(
        self, kind: str, layer: int, j: int, value: float, i: int | None = None
    ) -> None:
        """Set one weight w_ij of ``W[layer]`` (kind "weight") or one bias b_j of ``b[layer]``
        (kind "bias") to ``value``; names the offending field when out of range."""
        L = self.spec.depth
        if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < L:
            raise SpecError("layer", f"must be an integer in [0, {L - 1}] (got {layer!r})")
        n_in, n_out = self.spec.layer_sizes[layer], self.spec.layer_sizes[layer + 1]
        if isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < n_out:
            raise SpecError("j", f"must be an integer in [0, {n_out - 1}] (got {j!r})")
        if kind == "weight" and (
            isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n_in
        ):
            raise SpecError("i", f"must be an integer in [0, {n_in - 1}] (got {i!r})")
        if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
            raise SpecError("value", f"must be a finite number (got {value!r})")
        if abs(value) > 1e6:
            raise SpecError("value", f"must be within ±1e6 (got {value!r})")
        if kind == "weight":
            self.params.W[layer][i, j] = float(value)
        elif kind == "bias":
            self.params.b[layer][j] = float(value)
        else:
            raise SpecError("kind", f"must be 'weight' or 'bias' (got {kind!r})")
        self._train_cache = None
        self.last = None
        self.status = "ok"

    def _zero_velocity(self) -> Params:
        p = self.params
        return Params([np.zeros_like(w) for w in p.W], [np.zeros_like(b) for b in p.b])

    # -- training ---------------------------------------------------------------------------
    def _penalty_grad(self, W: Array) -> Array | None:
        cfg = self.config
        if cfg.regularization == "l2" and cfg.regularization_rate > 0:
            return cfg.regularization_rate * W
        if cfg.regularization == "l1" and cfg.regularization_rate > 0:
            return cfg.regularization_rate * np.sign(W)
        return None

    def _epoch_updates(self) -> tuple[list[Array], list[Array]]:
        """One pass over the training set in batches; returns the epoch's mean data gradients.

        Mini-batches are drawn from an order reshuffled every epoch. A full batch is not
        reordered (its mean gradient does not depend on the order), which lets it reuse the
        forward pass the previous snapshot computed at the same parameters.

        The step size is folded into the backward pass: δ is linear in the output δ, so scaling
        the output δ by c = η/n scales every layer's δ and gradient by c, and Eq. 7 becomes
        w ← w − a^T(cδ). The epoch's mean gradient is recovered by dividing by c.
        """
        spec, p, v, cfg = self.spec, self.params, self.velocity, self.config
        X, T = self.X, self.T
        N = X.shape[0]
        B = min(cfg.batch_size, N)
        eta, mu = cfg.learning_rate, cfg.momentum
        regularize = cfg.regularization != "none" and cfg.regularization_rate > 0
        update = eta > 0
        if B < N:
            order = self.rng.permutation(N)
            X, T = X[order], T[order]
        L = spec.depth
        c_full = (eta if update else 1.0) / B
        sum_W: list[Array] = [None] * L  # type: ignore[list-item]
        sum_b: list[Array] = [None] * L  # type: ignore[list-item]
        reduce = np.add.reduce
        for start in range(0, N, B):
            xb, tb = X[start : start + B], T[start : start + B]
            n = xb.shape[0]
            if B == N and self._train_cache is not None:
                cache = self._train_cache
            else:
                cache = forward(spec, p, xb)
            c = c_full if n == B else (eta if update else 1.0) / n
            delta = backward_deltas(spec, p, cache, tb, scale=c)  # c·δ for every layer
            a = cache.a
            for l in range(L):
                gW = a[l].T @ delta[l]  # c Σ_n δ_j a_i  (Eq. 6/15)
                gb = reduce(delta[l], axis=0)  # c Σ_n δ_j  (Eq. 8/18)
                if sum_W[l] is None:
                    sum_W[l], sum_b[l] = gW.copy(), gb.copy()
                elif n == B:
                    sum_W[l] += gW
                    sum_b[l] += gb
                else:  # the last, smaller batch has another c
                    sum_W[l] += gW * (c_full / c)
                    sum_b[l] += gb * (c_full / c)
                if not update:
                    continue
                if regularize:
                    gW += eta * self._penalty_grad(p.W[l])
                if mu:
                    v.W[l] *= mu
                    v.W[l] -= gW
                    v.b[l] *= mu
                    v.b[l] -= gb
                    p.W[l] += v.W[l]
                    p.b[l] += v.b[l]
                else:
                    p.W[l] -= gW  # Eq. 7: w ← w − η ∂E/∂w
                    p.b[l] -= gb
        self._train_cache = None
        self.samples_seen += N
        inv = 1.0 / (c_full * N)
        for l in range(L):
            sum_W[l] *= inv
            sum_b[l] *= inv
        return sum_W, sum_b

    def run_epoch(self) -> Snapshot:
        """Train one epoch and return its snapshot (or the last finite one, marked diverged).

        On divergence the parameters of the last finite snapshot are restored and the momentum
        velocity restarts from zero.
        """
        if self.status == "diverged" and self.last is not None:
            return self.last
        if self.last is None:
            self.snapshot()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            grad_W, grad_b = self._epoch_updates()
            self.epoch += 1
            snap = self._snapshot(grad_W, grad_b)
        if snap is None:
            last = self.last
            self.params = Params([w.copy() for w in last.W], [b.copy() for b in last.b])
            self.velocity = self._zero_velocity()
            self.epoch = last.epoch
            self._train_cache = None
            self.status = "diverged"
            self.last = replace(last, status="diverged")
            return self.last
        self.last = snap
        return snap

    def train(self, epochs: int) -> Snapshot:
        """Run ``epochs`` epochs (stopping early on divergence); return the last snapshot."""
        snap = self.last or self.snapshot()
        for _ in range(epochs):
            snap = self.run_epoch()
            if self.status == "diverged":
                break
        return snap

    # -- snapshots --------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The current state as a snapshot, without training (gradients: the full-batch mean)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            cache = forward(self.spec, self.params, self.X)
            delta = backward_deltas(self.spec, self.params, cache, self.T)
            n = self.X.shape[0]
            gW = [(a.T @ d) / n for a, d in zip(cache.a, delta, strict=False)]
            gb = [d.mean(axis=0) for d in delta]
            snap = self._snapshot(gW, gb, cache)
        if snap is None:  # parameters that are not finite (only through explicit edits)
            raise SpecError("network.weights", "the network's outputs are not finite")
        if self.status == "diverged":
            snap = replace(snap, status="diverged")
        self.last = snap
        return snap

    def _snapshot(self, grad_W, grad_b, cache=None) -> Snapshot | None:
        """Record the current parameters with the errors, accuracy and probe trace they give;
        None when an error or a parameter is not finite.

        Training and test sets go through one forward pass together (``X_all``); the rows of
        the training set are kept as the cache a following full-batch epoch starts from.
        """
        spec, p = self.spec, self.params
        N = self.X.shape[0]
        if cache is None:
            full = forward(spec, p, self._X_all)
            errors = per_sample_error(spec, full, self._T_all)
            cache = ForwardCache([z[:N] for z in full.z], [a[:N] for a in full.a])
            A_test = full.a[-1][N:]
        else:
            errors = per_sample_error(spec, cache, self.T)
            A_test = None
            if self.X_test is not None:
                test = forward(spec, p, self.X_test)
                errors = np.concatenate([errors, per_sample_error(spec, test, self.T_test)])
                A_test = test.a[-1]
        loss_train = float(errors[:N].sum()) / N
        loss_test = None
        if self.X_test is not None:
            loss_test = float(errors[N:].sum()) / (errors.shape[0] - N)
            if not np.isfinite(loss_test):
                return None
        if not np.isfinite(loss_train) or not p.is_finite():
            return None
        self._train_cache = cache
        W = [w.copy() for w in p.W]
        metrics: dict = {}
        if self.task == "classification":
            metrics["train_accuracy"] = accuracy(cache.a[-1], self.T, spec.output)
            if A_test is not None:
                metrics["test_accuracy"] = accuracy(A_test, self.T_test, spec.output)
        return Snapshot(
            epoch=self.epoch,
            status="ok",
            loss_train=loss_train,
            loss_test=loss_test,
            metrics=metrics,
            W=W,
            b=[b.copy() for b in p.b],
            grad_W=grad_W,
            grad_b=grad_b,
            probe_source=self._probe_source(cache, W),
            samples_seen=self.samples_seen,
            train_cache=cache,
        )

    def _probe_source(self, cache: ForwardCache, W: list[Array]) -> Callable[[], dict]:
        """The probe sample's trace, read off a forward pass over the whole training set: its row
        of every z and a now, then (when asked) g'(z) and δ for that one sample (Eq. 5, then
        Eq. 14 per layer) with the weights ``W`` of the same moment."""
        i, spec = self.probe_index, self.spec
        z = [zl[i] for zl in cache.z]
        a = [al[i] for al in cache.a]
        t = self.T[i]

        def probe() -> dict:
            L = spec.depth
            gp = [spec.g[l].g_prime(z[l], a[l + 1]) for l in range(L)]
            delta: list[Array] = [None] * L  # type: ignore[list-item]
            delta[L - 1] = spec.E.delta_out(z[-1][None], a[-1][None], t[None], spec.g[-1].g_prime)[
                0
            ]
            for l in range(L - 2, -1, -1):
                delta[l] = gp[l] * (W[l + 1] @ delta[l + 1])
            error = spec.E.E(z[-1][None], a[-1][None], t[None], spec.output)[0]
            return {
                "index": i,
                "input": a[0],
                "target": t,
                "output": a[-1],
                "error": float(error),
                "layers": [
                    {"z": z[l], "a": a[l + 1], "g_prime": gp[l], "delta": delta[l]}
                    for l in range(L)
                ],
                # this sample's own gradients: ∂E_n/∂w_ij = δ_j a_i (Eq. 6/15), ∂E_n/∂b_j = δ_j
                "gradients": Params(
                    [np.outer(a[l], delta[l]) for l in range(L)], [d.copy() for d in delta]
                ),
            }

        return probe

    def probe_trace(self, index: int | None = None) -> dict:
        """z, a, g'(z) and δ of every layer for one training sample (1-D arrays per unit)."""
        i = self.probe_index if index is None else index
        x, t = self.X[i : i + 1], self.T[i : i + 1]
        tr = trace(self.spec, self.params, x, t)
        return {
            "index": i,
            "input": x[0],
            "target": t[0],
            "output": tr["cache"].a[-1][0],
            "error": float(tr["errors"][0]),
            "layers": [{k: v[0] for k, v in layer.items()} for layer in tr["layers"]],
        }

    def step_sample(self, index: int | None = None) -> dict:
        """One forward pass, backward pass and plain gradient-descent update (Eq. 7) on one
        training sample — the unit of the step-by-step derivation mode. Momentum and
        regularisation are not applied, so the update is exactly w ← w − η δ a.

        Returns ``backprop_step``'s result for that sample, plus the parameters before it.
        """
        i = self.probe_index if index is None else index
        if (
            isinstance(i, bool)
            or not isinstance(i, int | np.integer)
            or not 0 <= i < self.X.shape[0]
        ):
            raise SpecError(
                "index", f"must be an integer in [0, {self.X.shape[0] - 1}] (got {i!r})"
            )
        x, t = self.X[i : i + 1], self.T[i : i + 1]
        eta = self.config.learning_rate
        before = self.params.copy()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            tr = trace(self.spec, self.params, x, t)
            grads: Params = tr["gradients"]
            updated = descent_step(before, grads, eta)
        if not updated.is_finite() or not np.isfinite(tr["errors"]).all():
            raise SpecError("training.learning_rate", "this step makes the weights non-finite")
        self.params = updated
        self.samples_seen += 1
        self._train_cache = None
        self.last = None
        return {
            "index": int(i),
            "input": x[0],
            "target": t[0],
            "learning_rate": eta,
            "loss": float(tr["errors"][0]),
            "layers": [{k: v[0] for k, v in layer.items()} for layer in tr["layers"]],
            "gradients": grads,
            "before": before,
            "updated": updated,
        }

    # -- persistence ------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything beyond spec, params and config needed to continue bit-for-bit."""
        return {
            "epoch": self.epoch,
            "samples_seen": self.samples_seen,
            "status": self.status,
            "rng": self.rng.bit_generator.state,
            "velocity": self.velocity.to_lists(),
        }

    def load_state(self, state: dict) -> None:
        """Restore what ``state`` returned (epoch, shuffling generator, momentum velocity)."""
        try:
            self.epoch = int(state.get("epoch", 0))
            self.samples_seen = int(state.get("samples_seen", 0))
            if "rng" in state:
                self.rng.bit_generator.state = state["rng"]
            vel = state.get("velocity")
            if vel is not None:
                from engine.network import params_from_lists

                self.velocity = params_from_lists(
                    self.spec, vel["weights"], vel["biases"], "state.velocity"
                )
        except (TypeError, ValueError, KeyError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise SpecError("state", f"is not a valid trainer state ({exc})") from None
        self.last = None
