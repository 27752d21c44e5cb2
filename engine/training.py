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

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from engine.datasets import Dataset, accuracy
from engine.errors import SpecError
from engine.network import (
    NetworkSpec,
    Params,
    backward_deltas,
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
    """One epoch's record. ``probe`` holds the probe sample's trace as plain arrays."""

    epoch: int
    status: str
    loss_train: float
    loss_test: float | None
    metrics: dict
    W: list[Array]
    b: list[Array]
    grad_W: list[Array]
    grad_b: list[Array]
    probe: dict
    samples_seen: int = 0
    node_stats: list[dict] = field(default_factory=list)


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
        self.config = config or TrainingConfig()
        self.task = task
        self.epoch = 0
        self.samples_seen = 0
        self.status = "ok"
        self.rng = np.random.default_rng(self.config.seed)
        self.velocity = Params(
            [np.zeros_like(w) for w in params.W], [np.zeros_like(b) for b in params.b]
        )
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
        self.velocity = Params(
            [np.zeros_like(w) for w in params.W], [np.zeros_like(b) for b in params.b]
        )
        self.status = "ok"

    # -- training ---------------------------------------------------------------------------
    def _penalty_grad(self, W: Array) -> Array | None:
        cfg = self.config
        if cfg.regularization == "l2" and cfg.regularization_rate > 0:
            return cfg.regularization_rate * W
        if cfg.regularization == "l1" and cfg.regularization_rate > 0:
            return cfg.regularization_rate * np.sign(W)
        return None

    def _epoch_updates(self) -> tuple[list[Array], list[Array]]:
        """One pass over the shuffled training set; returns the epoch's mean data gradients."""
        spec, p, v, cfg = self.spec, self.params, self.velocity, self.config
        X, T = self.X, self.T
        N = X.shape[0]
        B = min(cfg.batch_size, N)
        eta, mu = cfg.learning_rate, cfg.momentum
        regularize = cfg.regularization != "none" and cfg.regularization_rate > 0
        order = self.rng.permutation(N)
        Xs, Ts = X[order], T[order]
        L = spec.depth
        sum_W = [np.zeros_like(w) for w in p.W]
        sum_b = [np.zeros_like(b) for b in p.b]
        for start in range(0, N, B):
            xb, tb = Xs[start : start + B], Ts[start : start + B]
            cache = forward(spec, p, xb)
            delta = backward_deltas(spec, p, cache, tb)
            scale = 1.0 / xb.shape[0]
            for l in range(L):
                gW = cache.a[l].T @ delta[l]  # Σ_n δ_j a_i  (Eq. 6/15, summed)
                gb = delta[l].sum(axis=0)  # Σ_n δ_j      (Eq. 8/18, summed)
                sum_W[l] += gW
                sum_b[l] += gb
                gW *= scale
                gb *= scale
                if regularize:
                    gW += self._penalty_grad(p.W[l])
                if mu:
                    v.W[l] *= mu
                    v.W[l] -= eta * gW
                    v.b[l] *= mu
                    v.b[l] -= eta * gb
                    p.W[l] += v.W[l]
                    p.b[l] += v.b[l]
                else:
                    gW *= eta
                    gb *= eta
                    p.W[l] -= gW  # Eq. 7
                    p.b[l] -= gb
        inv_n = 1.0 / N
        self.samples_seen += N
        return [s * inv_n for s in sum_W], [s * inv_n for s in sum_b]

    def run_epoch(self) -> Snapshot:
        """Train one epoch and return its snapshot (or the last finite one, marked diverged)."""
        if self.status == "diverged" and self.last is not None:
            return self.last
        backup = self.params.copy()
        backup_v = self.velocity.copy()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            grad_W, grad_b = self._epoch_updates()
            self.epoch += 1
            snap = self._snapshot(grad_W, grad_b)
        if snap is None:
            self.params, self.velocity = backup, backup_v
            self.epoch -= 1
            self.status = "diverged"
            last = self.last or self.snapshot()
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
        spec, p = self.spec, self.params
        if cache is None:
            cache = forward(spec, p, self.X)
        A = cache.a[-1]
        loss_train = float(per_sample_error(spec, cache, self.T).mean())
        if not np.isfinite(loss_train) or not p.is_finite():
            return None
        metrics: dict = {}
        loss_test = None
        if self.X_test is not None:
            test_cache = forward(spec, p, self.X_test)
            loss_test = float(per_sample_error(spec, test_cache, self.T_test).mean())
            if not np.isfinite(loss_test):
                return None
        if self.task == "classification":
            metrics["train_accuracy"] = accuracy(A, self.T, spec.output)
            if self.X_test is not None:
                metrics["test_accuracy"] = accuracy(test_cache.a[-1], self.T_test, spec.output)
        node_stats = [{"mean_a": a.mean(axis=0)} for a in cache.a[1:]]
        return Snapshot(
            epoch=self.epoch,
            status="ok",
            loss_train=loss_train,
            loss_test=loss_test,
            metrics=metrics,
            W=[w.copy() for w in p.W],
            b=[b.copy() for b in p.b],
            grad_W=grad_W,
            grad_b=grad_b,
            probe=self.probe_trace(),
            samples_seen=self.samples_seen,
            node_stats=node_stats,
        )

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
            updated = Params(
                [w - eta * g for w, g in zip(before.W, grads.W, strict=True)],
                [b - eta * g for b, g in zip(before.b, grads.b, strict=True)],
            )
        if not updated.is_finite() or not np.isfinite(tr["errors"]).all():
            self.status = "diverged"
            raise SpecError("training.learning_rate", "this step makes the weights non-finite")
        self.params = updated
        self.samples_seen += 1
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
