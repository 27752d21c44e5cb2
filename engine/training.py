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
finite snapshot marked as diverged; no exception escapes and no NaN frame is produced. The same
happens when a parameter or a velocity leaves ``Trainer.max_abs`` (the server's
``max_abs_value``) or the epoch count passes ``MAX_COUNT``: whatever a trainer holds can be
exported and imported again.

The epoch itself runs on the fast path of ``engine/fused.py``: a trainer's parameters and
velocity are views into a ``TrainerStack`` (its own stack of one, or a ``StackedTrainer``'s
stack of many), and one trainer alone and the same trainer in a stack go through the same code.

The settings of gradient descent are here too: ``TrainingConfig`` (η, the batch size, the
momentum μ, the L1 or L2 penalty and its rate λ, the shuffling's seed), which checks itself when
made and names the offending field, and η's own rule (``check_learning_rate``, which the
one-sample contract shares) — the one place a reader follows η from a live change
(``Trainer.set_config``) to the fused epoch that applies Eq. 7 (``engine/fused.py``, through the
stack's ``StepSettings``).

Beside it, one job each: ``snapshot.py`` (``Snapshot``, ``EpochRecord`` and the probe's
trace), ``trainer_stack.py`` (``TrainerStack``: trainers bound to a ``FusedStack``, their
errors, snapshots and the stop conditions; ``stack_key``) and ``trainer_state.py`` (the state a
checkpoint exports and imports).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine import stats
from engine.datasets import Dataset
from engine.errors import SpecError, check_index
from engine.network import NetworkSpec, Params, descent_step, trace
from engine.snapshot import Snapshot
from engine.trainer_stack import TrainerStack, stack_key
from engine.trainer_state import export_state, import_state

__all__ = [
    "MAX_MOMENTUM",
    "MAX_REGULARIZATION_RATE",
    "REGULARIZATIONS",
    "Snapshot",
    "Trainer",
    "TrainingConfig",
    "check_learning_rate",
    "stack_key",
]

Array = NDArray[np.float64]


def check_learning_rate(field: str, eta: object) -> float:
    """η of Eq. 7 as a ``float``: a finite number ≥ 0 (η = 0 takes a step that changes nothing).
    How large a server lets it be is the server's limit, not the engine's."""
    if (
        isinstance(eta, bool)
        or not isinstance(eta, int | float | np.integer | np.floating)
        or not np.isfinite(eta)
        or eta < 0
    ):
        raise SpecError(field, f"must be a finite number ≥ 0 (got {eta!r})")
    return float(eta)


REGULARIZATIONS = ("none", "l1", "l2")
MAX_MOMENTUM = 0.999  # μ < 1, or the velocity never decays
MAX_REGULARIZATION_RATE = 10.0


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

        check_learning_rate("training.learning_rate", self.learning_rate)
        number("momentum", 0.0, MAX_MOMENTUM)
        number("regularization_rate", 0.0, MAX_REGULARIZATION_RATE)
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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Trainer:
    """Trains one network on one data set and records a snapshot per epoch.

    ``X_*`` are inputs (N, n_0) and ``T_*`` targets (N, K), already encoded for the output
    activation. ``task`` is "classification" (accuracy is reported) or "regression".
    ``max_abs`` bounds every parameter and velocity: an epoch past it is ``diverged``.
    """

    max_abs: float = float("inf")

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
        self._stack: TrainerStack | None = None  # this trainer's own stack of one
        self.last: Snapshot | None = None
        self.probe_index = 0
        self.set_probe(probe_index)

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

    @property
    def n_train(self) -> int:
        """N, the number of training samples (the range of a probe or step index)."""
        return int(self.X.shape[0])

    def set_probe(self, index: int, field: str = "probe.index") -> None:
        """Trace training sample ``index`` from now on; the last snapshot (whose trace is the
        old probe's) is dropped, so the next one is made for the new probe."""
        self.probe_index = check_index(field, index, self.n_train)
        self.last = None

    def set_parameter(
        self, kind: str, layer: int, j: int, value: float, i: int | None = None
    ) -> None:
        """Set one weight w_ij of ``W[layer]`` (kind "weight") or one bias b_j of ``b[layer]``
        (kind "bias") to ``value``; names the offending field when out of range."""
        layer = check_index("layer", layer, self.spec.depth)
        n_in, n_out = self.spec.layer_sizes[layer], self.spec.layer_sizes[layer + 1]
        j = check_index("j", j, n_out)
        if kind == "weight":
            i = check_index("i", i, n_in)
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
        self.last = None
        self.status = "ok"

    def _zero_velocity(self) -> Params:
        p = self.params
        return Params([np.zeros_like(w) for w in p.W], [np.zeros_like(b) for b in p.b])

    # -- training ---------------------------------------------------------------------------
    def _own_stack(self) -> TrainerStack:
        if self._stack is None or self._stack.key != stack_key(self):
            self._stack = TrainerStack([self])
        return self._stack

    def run_epoch(self) -> Snapshot:
        """Train one epoch and return its snapshot (or the last finite one, marked diverged).

        One pass over the training set in batches of ``batch_size`` (reshuffled every epoch
        unless one batch holds it all), each a step of v ← μv − η(∂E/∂θ + penalty), θ ← θ + v
        (Eq. 7 for μ = 0). On divergence the parameters of the last finite snapshot are restored
        and the momentum velocity restarts from zero.
        """
        if self.status == "diverged" and self.last is not None:
            return self.last
        if self.last is None:
            self.snapshot()
        return self._own_stack().run_epoch()[0]

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
        stack = self._own_stack()
        stack.sync()
        snap = stack.snapshots()[0]
        if snap is None:  # parameters that are not finite (only through explicit edits)
            raise SpecError("network.weights", "the network's outputs are not finite")
        if self.status == "diverged":
            snap = snap.with_status("diverged")
        self.last = stack.produced[0] = snap
        return snap

    def node_stats(self, snap: Snapshot) -> list[tuple[Array, Array]]:
        """``engine.stats.node_stats`` of ``snap`` over this trainer's training set."""
        return stats.node_stats(self.spec, snap.W, snap.b, self.X, self.T, snap.train_cache)

    def step_sample(self, index: int | None = None) -> dict[str, Any]:
        """One forward pass, backward pass and plain gradient-descent update (Eq. 7) on one
        training sample — the unit of the step-by-step derivation mode. Momentum and
        regularisation are not applied, so the update is exactly w ← w − η δ a.

        Returns ``backprop_step``'s result for that sample, plus the parameters before it.
        """
        i = self.probe_index if index is None else check_index("index", index, self.n_train)
        x, t = self.X[i : i + 1], self.T[i : i + 1]
        eta = self.config.learning_rate
        before = self.params.copy()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            tr = trace(self.spec, self.params, x, t)
            grads: Params = tr["gradients"]
            updated = descent_step(before, grads, eta)
        if not updated.is_finite() or not np.isfinite(tr["errors"]).all():
            raise SpecError("training.learning_rate", "this step makes the weights non-finite")
        if max(float(np.abs(w).max()) for w in (*updated.W, *updated.b)) > self.max_abs:
            raise SpecError(
                "training.learning_rate",
                f"this step takes a parameter past the limit of {self.max_abs} (max_abs_value)",
            )
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
    def state(self) -> dict[str, Any]:
        """Everything beyond spec, params and config needed to continue bit-for-bit, as JSON:
        epoch, samples seen, the probe, the momentum velocity and the shuffling generator (PCG64,
        its 128-bit integers as decimal strings, exact in JavaScript too)."""
        return export_state(self)

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state`` returned; a key left out keeps its value (epoch and samples
        seen: 0). A bad value raises ``SpecError`` naming ``state.<key>``."""
        import_state(self, state)
