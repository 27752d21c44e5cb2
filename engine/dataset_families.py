"""The dataset families: each one's generator of clean points P and targets t_k, and its entry
in the registry `DATASETS` (``engine.datasets`` adds the noise, splits and featurizes).

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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Generator = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray]]

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
