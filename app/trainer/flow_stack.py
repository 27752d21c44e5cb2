"""The gradient-flow series of a stack measured stacked (issue 21): after a stacked epoch, the
node statistics (``engine.stats.node_stats``: each layer's mean a_j and mean |δ_j| over the
training set, Eq. 5, 14) of every member whose thinned series keeps this epoch
(``GradientFlow.wants``) come from one ``StackedTrainer.frame_stats`` call, which reuses the
epoch's forward pass, instead of one backward pass per session. A class that starts together
keeps every early epoch, so without this each session paid its own pass every epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.trainer.messages import ERRSTATE
from app.trainer.resident import Resident
from engine import Snapshot
from engine.stacked import StackedTrainer

__all__ = ["flow_nodes"]

Node = list[tuple[np.ndarray, np.ndarray]]


def flow_nodes(
    stack: StackedTrainer, members: Sequence[Resident], snaps: Sequence[Snapshot]
) -> list[Node | None]:
    """Per member, the node statistics its gradient-flow series wants at its snapshot (None:
    it keeps no point at this epoch, or only one member does: it measures its own)."""
    want = [
        s.status != "diverged" and r.flow.wants(s.epoch)
        for r, s in zip(members, snaps, strict=True)
    ]
    if sum(want) < 2:
        return [None] * len(members)
    with np.errstate(**ERRSTATE):
        stats = stack.frame_stats([r.trainer for r in members])
    return [[(m[i], d[i]) for m, d in stats.node_stats] if w else None for i, w in enumerate(want)]
