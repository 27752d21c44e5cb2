"""Datasets the playground trains on: the inputs a_i and targets t_k of the derivation.

One registry, `DATASETS`, maps a name to a `DatasetInfo`; `make_dataset` turns a name and its
parameters (n, noise, train fraction, seed, input features) into a `Dataset` holding

- `P_train`, `P_test`: the raw points, shape (N, dims) — what the page plots;
- `X_train`, `X_test`: the network's input activations a_i, shape (N, n_0) — the raw points
  mapped through the chosen features (see `engine.features`);
- `T_train`, `T_test`: the targets t_k, shape (N, K), float64, K >= 1 (Eq. 1 sums over k).

The sets:

- 2-D classification on [-6, 6]², labels 0/1, half of each (as TensorFlow Playground):
  `circle` (1 inside radius 2.5, 0 on the ring 3.5..5), `xor` (1 where x1·x2 > 0),
  `gaussian` (two blobs at ±(2, 2)), `spiral` (two interleaved arms).
- 2-D regression on [-6, 6]², one real target: `plane` (t = (x1 + x2) / 12, in [-1, 1]) and
  `multi_gaussian` (six ±1 bumps of width 1 on a 3×2 grid).
- 1-D regression `sine`: x uniform on [-π, π], t = sin x.
- `xor_table`: the four rows (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0; n, noise and train fraction
  are ignored and the same four rows are both training and test set.
- `inline`: the caller's `inputs` (N, d) and `targets` (N, K) used as they are, for any d and K.
  Like `xor_table`, every row is both training and test data (a hand-made table is usually
  too small to split). Targets that are all 0/1 — one column, or one-hot rows — make it a
  classification set; anything else is regression.

Noise: for classification sets every point is moved by a gaussian jitter of standard deviation
`POINT_NOISE_SCALE * noise` (the label stays that of the clean point, so noise blurs the border
as in TensorFlow Playground); for regression sets gaussian noise of standard deviation
`TARGET_NOISE_SCALE * noise` is added to the targets. Jittered points are clipped to the domain.

Randomness: `np.random.SeedSequence(seed)` gives three independent streams — the clean points,
the noise, the train/test permutation — so the same arguments give bit-identical arrays, and
moving only the noise slider jitters the same points without changing which are test points.

Target encoding for the output activation (`encode_targets`): classification labels are stored
as 0/1. A tanh output ranges over (-1, 1), so for "tanh" they become -1/+1 and the decision
threshold is 0; for "sigmoid", "linear" and the others they stay 0/1 with threshold 0.5; for
"softmax" a single 0/1 column becomes a one-hot pair [1 - t, t] (so a softmax output needs
K = 2 units; `output_width` says how many). Regression targets are never changed. With K > 1
outputs, accuracy compares the argmax of the output with the argmax of the target.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np

from engine.errors import SpecError
from engine.features import DEFAULT_FEATURES_2D, check_features, featurize

Generator = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]
Domain = list[tuple[float, float]]

MIN_SAMPLES = 4
MAX_SAMPLES = 5000
POINT_NOISE_SCALE = 2.5
TARGET_NOISE_SCALE = 0.5
SQUARE: tuple[tuple[float, float], ...] = ((-6.0, 6.0), (-6.0, 6.0))
SAMPLING_PARAMS = ("n", "noise", "train_fraction", "seed")


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry. `dims` is the raw input width (None: given by the caller's inputs);
    `n_outputs` is K before encoding (None: given by the caller's targets); `generator(rng, n)`
    returns clean points P (n, dims) and targets T (n, K); `table` means the rows are a fixed
    table used as both training and test set; `params` are the make_dataset arguments it uses.
    """

    name: str
    task: str
    dims: int | None
    n_outputs: int | None
    description: str
    generator: Generator | None
    domain: tuple[tuple[float, float], ...] | None = None
    table: bool = False
    params: tuple[str, ...] = SAMPLING_PARAMS


# --------------------------------------------------------------------------- generators


def _labels(n: int) -> np.ndarray:
    """n labels, the first n // 2 zeros and the rest ones, as a column (n, 1)."""
    t = np.zeros((n, 1))
    t[n // 2 :] = 1.0
    return t


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def _circle(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = _labels(n)
    inside = t[:, 0] == 1.0
    r = np.where(inside, rng.uniform(0.0, 2.5, n), rng.uniform(3.5, 5.0, n))
    return _polar(r, rng.uniform(0.0, 2.0 * np.pi, n)), t


def _xor(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = _labels(n)
    magnitude = rng.uniform(0.3, 5.0, (n, 2))
    s1 = rng.choice([-1.0, 1.0], n)
    s2 = np.where(t[:, 0] == 1.0, s1, -s1)  # label 1 where x1 and x2 share a sign
    return magnitude * np.stack([s1, s2], axis=1), t


def _gaussian(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = _labels(n)
    centre = np.where(t == 1.0, 2.0, -2.0)  # (n, 1), broadcast over both coordinates
    return centre + rng.normal(0.0, math.sqrt(0.5), (n, 2)), t


def _spiral(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    t = _labels(n)
    u = rng.uniform(0.0, 1.0, n)
    phase = np.where(t[:, 0] == 1.0, 0.0, np.pi)
    return _polar(5.0 * u, 1.75 * 2.0 * np.pi * u + phase), t


def _uniform_square(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(-6.0, 6.0, (n, 2))


def _plane(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    P = _uniform_square(rng, n)
    return P, ((P[:, 0] + P[:, 1]) / 12.0)[:, None]


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=np.float64,
)


def _multi_gaussian(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    P = _uniform_square(rng, n)
    d2 = ((P[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(axis=2)  # (n, 6)
    return P, (np.exp(-0.5 * d2) @ _BUMPS[:, 2])[:, None]


def _sine(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-np.pi, np.pi, (n, 1))
    return x, np.sin(x)


def _xor_table(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    P = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return P, np.array([[0.0], [1.0], [1.0], [0.0]])


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in (
        DatasetInfo("circle", "classification", 2, 1,
                    "A disc of one class inside a ring of the other.", _circle, SQUARE),
        DatasetInfo("xor", "classification", 2, 1,
                    "Quadrants: class 1 where x1 and x2 have the same sign.", _xor, SQUARE),
        DatasetInfo("gaussian", "classification", 2, 1,
                    "Two gaussian blobs, one per class.", _gaussian, SQUARE),
        DatasetInfo("spiral", "classification", 2, 1,
                    "Two interleaved spiral arms.", _spiral, SQUARE),
        DatasetInfo("plane", "regression", 2, 1,
                    "A tilted plane: t = (x1 + x2) / 12.", _plane, SQUARE),
        DatasetInfo("multi_gaussian", "regression", 2, 1,
                    "Six positive and negative gaussian bumps.", _multi_gaussian, SQUARE),
        DatasetInfo("sine", "regression", 1, 1,
                    "One input, t = sin x on [-pi, pi].", _sine, ((-np.pi, np.pi),)),
        DatasetInfo("xor_table", "classification", 2, 1,
                    "The four rows of the XOR truth table, used for training and testing.",
                    _xor_table, ((-0.5, 1.5), (-0.5, 1.5)), table=True, params=()),
        DatasetInfo("inline", "inline", None, None,
                    "Your own table: inputs and targets given row by row.",
                    None, None, table=True, params=("inputs", "targets")),
    )
}  # fmt: skip


# --------------------------------------------------------------------------- target encoding


def encode_targets(
    T: np.ndarray, output_activation: str, task: str = "classification"
) -> np.ndarray:
    """Targets t_k as the output unit must produce them (see the module docstring).

    T: (N, K) stored targets (0/1 labels for classification). Returns a new float64 array:
    ±1 labels for "tanh", a one-hot pair (N, 2) for "softmax" when K = 1, T unchanged otherwise.
    """
    T = np.asarray(T, dtype=np.float64)
    if task != "classification":
        return T.copy()
    if output_activation == "tanh":
        return 2.0 * T - 1.0
    if output_activation == "softmax" and T.shape[1] == 1:
        return np.concatenate([1.0 - T, T], axis=1)
    return T.copy()


def decision_threshold(output_activation: str) -> float:
    """Output value splitting class 0 from class 1: 0.0 for tanh's (-1, 1), else 0.5."""
    return 0.0 if output_activation == "tanh" else 0.5


def accuracy(A: np.ndarray, T_encoded: np.ndarray, output_activation: str) -> float:
    """Fraction of samples classified right. A, T_encoded: (N, K) network outputs and encoded
    targets. K > 1: argmax of a_k against argmax of t_k; K = 1: both thresholded at
    `decision_threshold(output_activation)` (a value on the threshold counts as class 1).
    """
    A = np.asarray(A, dtype=np.float64)
    T = np.asarray(T_encoded, dtype=np.float64)
    if A.shape != T.shape or A.ndim != 2 or A.shape[0] == 0:
        raise SpecError(
            "targets", f"outputs {A.shape} and targets {T.shape} must both be (N, K), N >= 1"
        )
    if A.shape[1] > 1:
        hits = A.argmax(axis=1) == T.argmax(axis=1)
    else:
        threshold = decision_threshold(output_activation)
        hits = (A[:, 0] >= threshold) == (T[:, 0] >= threshold)
    return float(hits.mean())


def confusion_matrix(A: np.ndarray, T_encoded: np.ndarray, output_activation: str) -> np.ndarray:
    """Counts of (true class, predicted class), shape (C, C) with C = max(K, 2): row c holds
    the samples of class c, column c' those the network put in class c'. Classes are read as
    `accuracy` reads them (argmax for K > 1, the decision threshold for K = 1), so the trace
    divided by N is the accuracy."""
    A = np.asarray(A, dtype=np.float64)
    T = np.asarray(T_encoded, dtype=np.float64)
    if A.shape != T.shape or A.ndim != 2:
        raise SpecError("targets", f"outputs {A.shape} and targets {T.shape} must both be (N, K)")
    if A.shape[1] > 1:
        predicted, true = A.argmax(axis=1), T.argmax(axis=1)
    else:
        threshold = decision_threshold(output_activation)
        predicted = (A[:, 0] >= threshold).astype(int)
        true = (T[:, 0] >= threshold).astype(int)
    C = max(A.shape[1], 2)
    # counts[t, p] += 1 for every sample: one bincount over t·C + p (np.add.at's counts)
    return np.bincount(true * C + predicted, minlength=C * C).astype(np.int64).reshape(C, C)


# --------------------------------------------------------------------------- the dataset


@dataclass(eq=False)
class Dataset:
    """A made dataset; rows of P, X and T line up. `features` is None for inline data (its
    columns are the inputs as they are); `n_classes` is None for regression."""

    name: str
    task: str
    P_train: np.ndarray
    P_test: np.ndarray
    T_train: np.ndarray
    T_test: np.ndarray
    X_train: np.ndarray
    X_test: np.ndarray
    feature_names: list[str]
    domain: Domain
    n_classes: int | None = None
    features: tuple[str, ...] | None = field(default=None)

    @property
    def dims(self) -> int:
        """Raw input width (columns of P)."""
        return int(self.P_train.shape[1])

    def featurize(self, P: np.ndarray) -> np.ndarray:
        """Input activations X (M, n_0) for raw points P (M, dims), e.g. a heatmap grid."""
        try:
            P = np.asarray(P, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise SpecError("inputs", f"must be a list of rows of numbers ({exc})") from None
        if P.ndim != 2 or P.shape[1] != self.dims:
            raise SpecError("inputs", f"must have shape (M, {self.dims}) (got {tuple(P.shape)})")
        if self.features is None or self.dims != 2:
            return P.copy()
        return featurize(P, self.features)

    def encode_targets(self, T: np.ndarray, output_activation: str) -> np.ndarray:
        """`encode_targets` for this dataset's task."""
        return encode_targets(T, output_activation, self.task)

    def output_width(self, output_activation: str) -> int:
        """K after encoding: the number of output units the network needs."""
        return int(self.encode_targets(self.T_train[:1], output_activation).shape[1])


# --------------------------------------------------------------------------- validation


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> TypeGuard[float]:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_name(name: object) -> DatasetInfo:
    if not isinstance(name, str) or name not in DATASETS:
        raise SpecError("dataset.name", f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[name]


def _check_n(n: object, max_samples: int) -> int:
    if not _is_int(n):
        raise SpecError("dataset.n", f"must be an integer (got {n!r})")
    if not MIN_SAMPLES <= n <= max_samples:
        raise SpecError("dataset.n", f"must be between {MIN_SAMPLES} and {max_samples} (got {n})")
    return int(n)


def _check_noise(noise: object) -> float:
    if not _is_real(noise) or not math.isfinite(noise) or not 0.0 <= noise <= 1.0:
        raise SpecError("dataset.noise", f"must be between 0 and 1 (got {noise!r})")
    return float(noise)


def _check_train_fraction(train_fraction: object) -> float:
    if (
        not _is_real(train_fraction)
        or not math.isfinite(train_fraction)
        or not 0.0 < train_fraction < 1.0
    ):
        raise SpecError(
            "dataset.train_fraction",
            f"must be strictly between 0 and 1 (got {train_fraction!r})",
        )
    return float(train_fraction)


def _check_seed(seed: object) -> int:
    if not _is_int(seed) or seed < 0:
        raise SpecError("dataset.seed", f"must be a non-negative integer (got {seed!r})")
    return int(seed)


def _check_table(value: object, field_name: str, max_samples: int) -> np.ndarray:
    """A caller's table as a finite float64 array (N, width), N >= 1, width >= 1."""
    if value is None:
        raise SpecError(field_name, "is required for the 'inline' dataset")
    try:
        table = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError(
            field_name, "must be a list of rows of numbers, all rows the same length"
        ) from None
    if table.size == 0:
        raise SpecError(field_name, "must not be empty")
    if table.ndim != 2:
        raise SpecError(field_name, f"must be a list of rows (2-D), got shape {tuple(table.shape)}")
    if table.shape[0] > max_samples:
        raise SpecError(field_name, f"must have at most {max_samples} rows (got {table.shape[0]})")
    if not np.all(np.isfinite(table)):
        raise SpecError(field_name, "must contain only finite numbers")
    return table


# --------------------------------------------------------------------------- construction


def _padded_domain(P: np.ndarray) -> Domain:
    """Per column (lo, hi) of the data, widened by 10% (by 0.5 for a constant column)."""
    lo, hi = P.min(axis=0), P.max(axis=0)
    pad = np.where(hi > lo, 0.1 * (hi - lo), 0.5)
    return [(float(a), float(b)) for a, b in zip(lo - pad, hi + pad, strict=True)]


def _inline_task(T: np.ndarray) -> tuple[str, int | None]:
    """Classification if every target is 0/1 and (K = 1 or each row is one-hot)."""
    binary = bool(np.all((T == 0.0) | (T == 1.0)))
    if binary and T.shape[1] == 1:
        return "classification", 2
    if binary and bool(np.all(T.sum(axis=1) == 1.0)):
        return "classification", T.shape[1]
    return "regression", None


def _add_noise(
    rng: np.random.Generator, task: str, P: np.ndarray, T: np.ndarray, noise: float,
    domain: Domain,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    if noise == 0.0:
        return P, T
    if task == "classification":
        P = P + rng.normal(0.0, POINT_NOISE_SCALE * noise, P.shape)
        lo, hi = np.array(domain).T
        return np.clip(P, lo, hi), T
    return P, T + rng.normal(0.0, TARGET_NOISE_SCALE * noise, T.shape)


def make_dataset(
    name: str,
    n: int = 500,
    noise: float = 0.0,
    train_fraction: float = 0.5,
    seed: int = 0,
    features: Sequence[str] | None = None,
    inputs: object = None,
    targets: object = None,
    *,
    max_samples: int = MAX_SAMPLES,
) -> Dataset:
    """Make the dataset `name`: n points (round(n · train_fraction) of them for training, at
    least one in each part), noise in [0, 1], seeded; `features` (2-D sets only) picks the
    input columns, default x1, x2. Every bad argument raises SpecError naming its field —
    n, noise, train_fraction and seed are checked even for `xor_table` and `inline`, which
    ignore them; `max_samples` also bounds the rows of inline data.
    """
    info = _check_name(name)
    n = _check_n(n, max_samples)
    noise = _check_noise(noise)
    train_fraction = _check_train_fraction(train_fraction)
    seed = _check_seed(seed)
    if info.dims != 2 and features is not None:
        raise SpecError(
            "dataset.features", f"input features apply to 2-D datasets only, not {name!r}"
        )
    chosen = check_features(features) if features is not None else DEFAULT_FEATURES_2D
    if info.generator is None:
        P = _check_table(inputs, "dataset.inputs", max_samples)
        T = _check_table(targets, "dataset.targets", max_samples)
        if P.shape[0] != T.shape[0]:
            raise SpecError(
                "dataset.targets",
                f"must have one row per input row ({T.shape[0]} targets, {P.shape[0]} inputs)",
            )
        task, n_classes = _inline_task(T)
        names = [f"x{i + 1}" for i in range(P.shape[1])]
        return Dataset(name, task, P, P.copy(), T, T.copy(), P.copy(), P.copy(), names,
                       _padded_domain(P), n_classes, None)  # fmt: skip
    for value, field_name in ((inputs, "dataset.inputs"), (targets, "dataset.targets")):
        if value is not None:
            raise SpecError(field_name, f"is only used by the 'inline' dataset, not {name!r}")

    points_rng, noise_rng, split_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    domain: Domain = [(float(lo), float(hi)) for lo, hi in info.domain or ()]
    P, T = info.generator(points_rng, n)
    if info.table:
        train = test = np.arange(P.shape[0])
    else:
        P, T = _add_noise(noise_rng, info.task, P, T, noise, domain)
        order = split_rng.permutation(n)
        n_train = min(max(round(n * train_fraction), 1), n - 1)
        train, test = order[:n_train], order[n_train:]
    P = P.astype(np.float64, copy=False)
    T = T.astype(np.float64, copy=False)
    feats = chosen if info.dims == 2 else ("x1",)
    X = featurize(P, feats) if info.dims == 2 else P.copy()
    return Dataset(
        name=name,
        task=info.task,
        P_train=P[train],
        P_test=P[test],
        T_train=T[train],
        T_test=T[test],
        X_train=X[train],
        X_test=X[test],
        feature_names=list(feats),
        domain=domain,
        n_classes=2 if info.task == "classification" else None,
        features=feats,
    )
