"""The gradient-flow series of a trainer's sessions: measured stacked, and sampled in time
while a session plays (issue 21).

Stacked: after a stacked epoch, the gradient flow (``engine.gradient_flow``) of every member
whose thinned series keeps this epoch (``GradientFlow.wants``) comes from one
``StackedTrainer.frame_stats`` call (the node statistics of ``engine.stats.node_stats``, Eq. 5,
14, from the epoch's own forward pass, shared with the frames after the same epoch) and one
mean per layer and kind over the stack, instead of a backward pass and 2L small means per
session (``flow_of_stack``).

Sampled (``FlowSampling``): a playing session's series is pushed to its page at
``panel_rate`` (``PanelsOut.send``), so it is measured at most that often too — a
point at most every ``stride × 1/panel_rate`` seconds, ``stride`` the series' own thinning
(``GradientFlow``: doubled each time the series fills), so that the points kept after a
thinning and the points added after it lie about as far apart. A measured point is still a
kept epoch of the series (``wants``: on its stride from its first epoch) and still that
epoch's exact flow; only the epochs between samples are not measured. A train request's
epochs, a step, and the epoch where playing stops (``Scheduler.pause``, ``halt``) are measured
as before, every one the series keeps. Without sampling a class that plays measured its
every epoch (a third of the trainer's time at 100 sessions, py-spy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.trainer.messages import ERRSTATE
from app.trainer.resident import Resident
from engine import Snapshot
from engine.stacked import StackedTrainer

__all__ = ["FlowSampling", "flow_of_stack"]

Flow = tuple[list[float], list[float]]


class FlowSampling:
    """When a playing session's gradient-flow series may next measure a point: ``interval``
    (1/panel_rate seconds) times its ``stride`` after its last measured point. A session that
    does not play (a train request, a step) measures every epoch its series keeps."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.next: dict[str, float] = {}  # session → earliest time of its next point

    def due(self, members: Sequence[Resident], now: float) -> list[bool]:
        """Per member, whether its series may measure the coming epoch."""
        nxt = self.next
        return [not r.running or nxt.get(r.id, now) <= now for r in members]

    def measured(self, r: Resident, epoch: int, now: float) -> None:
        """``r`` recorded ``epoch``: when it was a point of a playing series, the next one
        comes ``interval × stride`` later."""
        flow = r.flow
        if r.running and flow.epoch and flow.epoch[-1] == epoch:
            self.next[r.id] = now + self.interval * flow.stride

    def forget(self, session_id: str) -> None:
        self.next.pop(session_id, None)


def flow_of_stack(
    stack: StackedTrainer,
    members: Sequence[Resident],
    snaps: Sequence[Snapshot],
    due: Sequence[bool] | None = None,
) -> list[Flow | None]:
    """Per member, its gradient flow at its snapshot (``engine.gradient_flow``: per layer the
    mean over units of mean |δ_j| and the mean of |∂E/∂w_ij|), when its series keeps this
    epoch and (``due``, default all) it is due a point; else None (and None for all when
    fewer than two are measured: each measures its own). The means are taken over the stack
    in one call per layer and kind."""
    if due is None:
        due = [True] * len(members)
    want = [
        d and s.status != "diverged" and r.flow.wants(s.epoch)
        for r, s, d in zip(members, snaps, due, strict=True)
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
