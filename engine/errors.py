"""The one exception type the engine raises for a bad specification or payload, and the two
argument checks its entry points share (an index into a range; a learning rate)."""

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
