"""A classification session's confusion matrices (the ``confusion`` panel and
``GET /api/sessions/{id}/confusion``): training and test sets at the current parameters,
their targets encoded once per output activation."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.errors import FieldError
from app.trainer import frames
from app.trainer.build import Built
from engine import Trainer, confusion_matrix, forward


class TargetCodes:
    """``Dataset.encode_targets(T, output)``, kept while T and the output activation stay (the
    panels ask for the confusion matrix every second)."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self.memo: dict[int, tuple] = {}

    def __call__(self, T: np.ndarray, output: str) -> np.ndarray:
        hit = self.memo.get(id(T))
        if hit is None or hit[0] is not T or hit[1] != output:
            if len(self.memo) >= 4:  # the training and test sets of the data now in use
                self.memo.clear()
            hit = self.memo[id(T)] = (T, output, self.dataset.encode_targets(T, output))
        return hit[2]


def confusion_bytes(built: Built, trainer: Trainer, codes: TargetCodes) -> bytes:
    """The confusion matrices of the training and test sets at ``trainer``'s parameters
    (``engine.confusion_matrix``): rows are the true class, columns the predicted one."""
    d, spec = built.dataset, built.spec
    if d.task != "classification":
        raise FieldError(
            "task", f"a confusion matrix needs classification data ({d.name} is {d.task})", 409
        )
    out: dict[str, Any] = {"epoch": int(trainer.epoch)}
    with np.errstate(all="ignore"):  # a diverged network's NaNs are counted, not raised
        for part, X, T in (("train", d.X_train, d.T_train), ("test", d.X_test, d.T_test)):
            if len(X) == 0:
                out[part] = None
                continue
            A = forward(spec, trainer.params, X).a[-1]
            out[part] = confusion_matrix(A, codes(T, spec.output), spec.output)
    out["classes"] = [str(c) for c in range(len(out["train"]))]
    out["train"] = out["train"].tolist()
    out["test"] = None if out["test"] is None else out["test"].tolist()
    return frames.dumpb(out)
