"""The gradient-flow series of a stack measured stacked (issue 21): after a stacked epoch, the
gradient flow (``engine.gradient_flow``) of every member whose thinned series keeps this epoch
(``GradientFlow.wants``), from one ``StackedTrainer.frame_stats`` call (the node statistics of
``engine.stats.node_stats``, Eq. 5, 14, from the epoch's own forward pass, shared with the
frames after the same epoch) and one mean per layer and kind over the stack, instead of a
backward pass and 2L small means per session. A class that starts together keeps every early
epoch, so without this each session paid its own pass every epoch."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.trainer.messages import ERRSTATE
from app.trainer.resident import Resident
from engine import Snapshot
from engine.stacked import StackedTrainer

__all__ = ["flow_of_stack"]

Flow = tuple[list[float], list[float]]


def flow_of_stack(
    stack: StackedTrainer, members: Sequence[Resident], snaps: Sequence[Snapshot]
) -> list[Flow | None]:
    """Per member, its gradient flow at its snapshot (``engine.gradient_flow``: per layer the
    mean over units of mean |δ_j| and the mean of |∂E/∂w_ij|), when its series keeps this
    epoch; else None (and None for all when fewer than two keep it: each measures its own).
    The means are taken over the stack in one call per layer and kind."""
    want = [
        s.status != "diverged" and r.flow.wants(s.epoch)
        for r, s in zip(members, snaps, strict=True)
    ]
    if sum(want) < 2:
        return [None] * len(members)
    rows = [i for i, w in enumerate(want) if w]
    with np.errstate(**ERRSTATE):
        stats = stack.frame_stats([members[i].trainer for i in rows])
        L = len(stats.node_stats)
        delta = np.stack([d.mean(axis=1) for _, d in stats.node_stats], axis=1)  # (S, L)
        grad_w = np.stack(
            [
                np.abs(np.stack([snaps[i].grad_W[l] for i in rows])).mean(axis=(1, 2))
                for l in range(L)
            ],
            axis=1,
        )
    out: list[Flow | None] = [None] * len(members)
    for k, (d, g) in enumerate(zip(delta.tolist(), grad_w.tolist(), strict=True)):
        out[rows[k]] = (d, g)
    return out
