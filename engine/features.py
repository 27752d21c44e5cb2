"""Input features for the 2-D datasets: the a_i of the input layer (derivation, step 1).

A 2-D dataset holds raw points (x1, x2). The input layer of the network does not have to see
them as they are: like TensorFlow Playground, a student may feed it x1², x1·x2 or sin x1 instead,
and watch a problem that needs a hidden layer become one a single unit can solve.

Each feature is one entry of the `FEATURES` registry: a name, a LaTeX label for the page, and a
function of the two coordinate arrays. `featurize` stacks the chosen ones into the input matrix
X of shape (N, n_0), one column per feature, in the order given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import SpecError

FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Feature:
    """One input feature: `fn(x1, x2)` maps coordinate arrays of shape (N,) to values (N,)."""

    name: str
    latex: str
    fn: FeatureFn


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", r"x_1", lambda x1, x2: x1),
        Feature("x2", r"x_2", lambda x1, x2: x2),
        Feature("x1_sq", r"x_1^2", lambda x1, x2: x1 * x1),
        Feature("x2_sq", r"x_2^2", lambda x1, x2: x2 * x2),
        Feature("x1x2", r"x_1 x_2", lambda x1, x2: x1 * x2),
        Feature("sin_x1", r"\sin x_1", lambda x1, x2: np.sin(x1)),
        Feature("sin_x2", r"\sin x_2", lambda x1, x2: np.sin(x2)),
    )
}

DEFAULT_FEATURES_2D: tuple[str, ...] = ("x1", "x2")


def check_features(features: object, field: str = "dataset.features") -> tuple[str, ...]:
    """Return `features` as a tuple of known, distinct names, or raise SpecError naming `field`."""
    if isinstance(features, str) or not isinstance(features, Sequence):
        raise SpecError(field, f"must be a list of feature names (got {features!r})")
    if len(features) == 0:
        raise SpecError(field, f"must name at least one feature; known: {', '.join(FEATURES)}")
    seen: set[str] = set()
    for i, name in enumerate(features):
        if not isinstance(name, str) or name not in FEATURES:
            raise SpecError(
                f"{field}[{i}]",
                f"unknown feature {name!r}; known: {', '.join(FEATURES)}",
            )
        if name in seen:
            raise SpecError(f"{field}[{i}]", f"feature {name!r} is listed twice")
        seen.add(name)
    return tuple(features)


def featurize(P: np.ndarray, features: Sequence[str]) -> np.ndarray:
    """Map raw 2-D points P (N, 2) to the input activations X (N, n_0), n_0 = len(features).

    Column c of X is FEATURES[features[c]].fn(x1, x2); these columns are the a_i that the first
    weights w_ij multiply (derivation, step 1). Names must already be checked (`check_features`).
    """
    P = np.asarray(P, dtype=np.float64)
    x1, x2 = P[:, 0], P[:, 1]
    columns = [np.broadcast_to(FEATURES[name].fn(x1, x2), x1.shape) for name in features]
    return np.stack(columns, axis=1).astype(np.float64, copy=False)
