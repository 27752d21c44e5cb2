"""Targets as the output unit must produce them, and outputs read back as classes.

Target encoding for the output activation (`encode_targets`): classification labels are stored
as 0/1. A tanh output ranges over (-1, 1), so for "tanh" they become -1/+1 and the decision
threshold is 0; for "sigmoid", "linear" and the others they stay 0/1 with threshold 0.5; for
"softmax" a single 0/1 column becomes a one-hot pair [1 - t, t] (so a softmax output needs
K = 2 units; `output_width` says how many). Regression targets are never changed. With K > 1
outputs, accuracy compares the argmax of the output with the argmax of the target.
"""

from __future__ import annotations

import numpy as np

from engine.errors import SpecError


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
