"""Datasets the playground trains on: the inputs a_i and targets t_k of the derivation.

One registry, `DATASETS`, maps a name to a `DatasetInfo`; `make_dataset` turns a name and its
parameters (n, noise, train fraction, seed, input features) into a `Dataset` holding

- `P_train`, `P_test`: the raw points, shape (N, dims) — what the page plots;
- `X_train`, `X_test`: the network's input activations a_i, shape (N, n_0) — the raw points
  mapped through the chosen features (see `engine.features`);
- `T_train`, `T_test`: the targets t_k, shape (N, K), float64, K >= 1 (Eq. 1 sums over k).

The sets, their generators and the registry are `engine.dataset_families`; the encoding of the
targets for the output activation and the reading of outputs as classes (`encode_targets`,
`decision_threshold`, `accuracy`, `confusion_matrix`) are `engine.targets`. Both are
re-exported here.

Noise: for classification sets every point is moved by a gaussian jitter of standard deviation
`POINT_NOISE_SCALE * noise` (the label stays that of the clean point, so noise blurs the border
as in TensorFlow Playground); for regression sets gaussian noise of standard deviation
`TARGET_NOISE_SCALE * noise` is added to the targets. Jittered points are clipped to the domain.

Randomness: `np.random.SeedSequence(seed)` gives three independent streams — the clean points,
the noise, the train/test permutation — so the same arguments give bit-identical arrays, and
moving only the noise slider jitters the same points without changing which are test points.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np

from engine.dataset_families import DATASETS, SAMPLING_PARAMS, SQUARE, DatasetInfo, Generator
from engine.errors import SpecError
from engine.features import DEFAULT_FEATURES_2D, check_features, featurize
from engine.targets import accuracy, confusion_matrix, decision_threshold, encode_targets

__all__ = [
    "DATASETS",
    "MAX_SAMPLES",
    "MIN_SAMPLES",
    "POINT_NOISE_SCALE",
    "SAMPLING_PARAMS",
    "SQUARE",
    "TARGET_NOISE_SCALE",
    "Dataset",
    "DatasetInfo",
    "Domain",
    "Generator",
    "accuracy",
    "confusion_matrix",
    "decision_threshold",
    "encode_targets",
    "make_dataset",
]

Domain = list[tuple[float, float]]

MIN_SAMPLES = 4
MAX_SAMPLES = 5000
POINT_NOISE_SCALE = 2.5
TARGET_NOISE_SCALE = 0.5


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
