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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from operator import is_
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine import stats
from engine.datasets import Dataset, decision_threshold
from engine.errors import SpecError, check_index, check_learning_rate
from engine.fused import FusedStack, Pass, StepSettings
from engine.network import (
    ForwardCache,
    NetworkSpec,
    Params,
    backward_deltas,
    descent_step,
    gradients,
    params_from_lists,
    per_sample_error,
    trace,
)

Array = NDArray[np.float64]

REGULARIZATIONS = ("none", "l1", "l2")
MAX_MOMENTUM = 0.999  # μ < 1, or the velocity never decays
MAX_REGULARIZATION_RATE = 10.0
FLOAT_MAX = float(np.finfo(np.float64).max)
MAX_COUNT = 2**53  # epochs and samples seen stay integers that JSON and JavaScript keep exact


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
        rng = self.rng.bit_generator.state
        return {
            "epoch": self.epoch,
            "samples_seen": self.samples_seen,
            "probe_index": self.probe_index,
            "rng": {
                "bit_generator": rng["bit_generator"],
                "state": str(rng["state"]["state"]),
                "inc": str(rng["state"]["inc"]),
                "has_uint32": int(rng["has_uint32"]),
                "uinteger": int(rng["uinteger"]),
            },
            "velocity": self.velocity.to_lists(),
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Restore what ``state`` returned; a key left out keeps its value (epoch and samples
        seen: 0). A bad value raises ``SpecError`` naming ``state.<key>``."""
        try:
            self.epoch = int(state.get("epoch", 0))
            self.samples_seen = int(state.get("samples_seen", 0))
            rng = state.get("rng")
            if rng is not None:
                self.rng.bit_generator.state = {
                    "bit_generator": rng["bit_generator"],
                    "state": {"state": int(rng["state"]), "inc": int(rng["inc"])},
                    "has_uint32": int(rng["has_uint32"]),
                    "uinteger": int(rng["uinteger"]),
                }
            vel = state.get("velocity")
            if vel is not None:
                self.velocity = params_from_lists(
                    self.spec, vel["weights"], vel["biases"], "state.velocity"
                )
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise SpecError("state", f"is not a valid trainer state ({exc})") from None
        if "probe_index" in state:
            self.set_probe(state["probe_index"], "state.probe_index")
        self.last = None


# --------------------------------------------------------------------------- stacks of trainers


def stack_key(trainer: Trainer) -> tuple[object, ...]:
    """Trainers with equal keys can be trained in one stack: the same layer sizes, activations
    and loss, the same training- and test-set sizes, the same effective batch size (batch sizes
    of N or more are all one full batch) and the same task."""
    N = trainer.X.shape[0]
    spec = trainer.spec
    n_test = 0 if trainer.X_test is None else trainer.X_test.shape[0]
    batch = min(trainer.config.batch_size, N)
    return (spec.layer_sizes, spec.activations, spec.loss, N, n_test, batch, trainer.task)


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
