"""How many of a stacked group train in one chunk, from what a member-epoch of its shape costs.

A chunk cannot be shorter than one epoch of its group, and a stacked epoch costs about the sum
of its members' epochs: four large same-shaped jobs of one client stacked together would hold
the trainer for four large epochs at a time, and every other client's session would wait that
long for its next frame (issue 22). So when others wait (other shapes, or other clients in the
group), a group is cut to the least-served members whose stacked epoch fits the chunk's
budget (at least one). ``ChunkCost`` keeps, per shape (``engine.stacked.stack_key``), the
measured seconds per member-epoch, first guessed from ``limits.epoch_work`` at
``SECONDS_PER_WORK``. A lone client's stack, with nobody waiting, trains whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.trainer.resident import Resident

SECONDS_PER_WORK = 20e-9  # a first guess of one epoch-work unit's time (``limits.epoch_work``)
COST_SMOOTHING = 0.5  # weight of the latest chunk in the average (exponential)


class ChunkCost:
    """Seconds per member-epoch, per stack key, and the cut they imply."""

    def __init__(self) -> None:
        self.seconds: dict[tuple, float] = {}

    def cut(
        self,
        group: list[Resident],
        key: tuple,
        budget: float,
        others: bool,
        served: Callable[[Resident], tuple[float, float]],
    ) -> list[Resident]:
        """The members of ``group`` to train in this chunk: all of them when nobody else waits
        (``others`` false and one client), else the least ``served`` ones (by client, then
        session) whose stacked epoch, at the cost per member, fits ``budget`` — at least one."""
        if not others and len({r.client for r in group}) == 1:
            return group
        cost = self.seconds.get(key)
        if cost is None:
            cost = group[0].epoch_work() * SECONDS_PER_WORK
        fits = max(1, int(budget / cost)) if cost > 0 else len(group)
        if fits >= len(group):
            return group
        return sorted(group, key=served)[:fits]

    def learn(self, key: tuple, elapsed: float, member_epochs: int) -> None:
        """Fold a chunk's measured seconds per member-epoch into the cost of ``key``."""
        if member_epochs <= 0:
            return
        measured = elapsed / member_epochs
        old = self.seconds.get(key)
        self.seconds[key] = measured if old is None else old + COST_SMOOTHING * (measured - old)

    def keep_only(self, live: Iterable[tuple]) -> None:
        """Forget the costs of shapes nobody trains any more."""
        live = set(live)
        for key in [k for k in self.seconds if k not in live]:
            del self.seconds[key]
