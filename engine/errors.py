"""The one exception type the engine raises for a bad specification or payload, and the
argument check its entry points share (an index into a range; η's rule is
``engine.training.check_learning_rate``, beside the settings it belongs to)."""

from __future__ import annotations

import numpy as np


class SpecError(ValueError):
    """A malformed network, dataset or training specification.

    ``field`` is a dotted path to the offending field (``"network.activations[1]"``), so that the
    server can turn the error into a 422 that names it.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_index(field: str, index: object, n: int) -> int:
    """``index`` as an ``int`` in [0, n), or a ``SpecError`` naming ``field``."""
    if isinstance(index, bool) or not isinstance(index, int | np.integer) or not 0 <= index < n:
        raise SpecError(field, f"must be an integer in [0, {n - 1}] (got {index!r})")
    return int(index)
