"""A trainer's scheduling: which runnable sessions train next, for how long, and stacked.

Sessions that play, or still owe epochs to a train request, are *runnable*. Each turn picks the
client with the least training time so far, then that client's session with the least, and
trains it for one chunk together with the other runnable sessions of the same shape
(``engine.stacked``): one stacked numpy step per batch for all of them. The chunk's time is
charged to the sessions in equal parts, and to their clients, so time is shared by work — per
client first, then per session — not per turn: a huge network gets its share, not the whole
trainer, and one client's many long requests do not starve another client. A chunk lasts one
frame interval divided among the runnable groups (at least one epoch), after which every
watched session gets a frame (at most ``frame_rate`` per second), dashboards a summary
(``summary_rate``) and, twice a second, the status.

A chunk cannot be shorter than one epoch of its group, so when others wait a group is cut to the
members whose stacked epoch fits the chunk's budget (``app.trainer.chunk_cost``, issue 22).

A chunk's share is charged divided by the session's weight (``app.trainer.shares``): a session
that only runs a job weighs ``settings.job_weight`` against a playing one, so another client's
playing session keeps ``1 / (1 + job_weight)`` of the trainer beside any number of jobs
(issue 22), while jobs alone still take all of it. Across trainers, a trainer with only jobs
rests while a session plays on another one (``elsewhere``: ``app.trainer.elsewhere``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from app.trainer.chunk_cost import ChunkCost
from app.trainer.flow_stack import FlowSampling, flow_of_stack
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.shares import weight
from engine.stacked import StackedTrainer, stack_key

if TYPE_CHECKING:
    from app.trainer.elsewhere import Elsewhere
    from app.trainer.trains import TrainQueue

MIN_CHUNK_SECONDS = 0.002
STATUS_INTERVAL = 0.5  # seconds between status messages while training


class Scheduler:
    """Fair shares (``vtime`` per session, ``client_vtime`` per client) and stacks."""

    def __init__(
        self,
        residents: dict[str, Resident],
        publisher: Publisher,
        clock: Callable[[], float],
        job_weight: float = 1.0,
    ) -> None:
        self.residents = residents
        self.job_weight = job_weight  # a job's weight in the shares (``app.trainer.shares``)
        self.publisher = publisher
        self.clock = clock
        self.trains: TrainQueue  # set by the worker (they call each other)
        self.elsewhere: Elsewhere | None = None  # the other trainers' shares (set by the worker)
        self.vtime: dict[str, float] = {}  # training seconds charged per session
        self.client_vtime: dict[str, float] = {}  # ... and per client
        self.rate: dict[str, tuple[float, int]] = {}  # since, epochs: for epochs_per_second
        self.stacks: dict[tuple, StackedTrainer] = {}
        self.cost = ChunkCost()  # seconds per member-epoch, per stack key
        # a playing session's gradient flow is measured at the panel rate (``flow_stack``)
        self.flow_sampling = FlowSampling(publisher.panels.interval)

    def adopt(self, r: Resident) -> None:
        self.vtime[r.id] = 0.0
        self.client_vtime.setdefault(r.client, 0.0)

    def forget(self, r: Resident) -> None:
        self.vtime.pop(r.id, None)
        self.rate.pop(r.id, None)
        self.flow_sampling.forget(r.id)
        if not any(o.client == r.client for o in self.residents.values()):
            self.client_vtime.pop(r.client, None)

    def key(self, r: Resident) -> tuple:
        return stack_key(r.trainer)

    def turn(self) -> None:
        """Train one chunk of the session (and its same-shaped group) owed the most time."""
        runnable = [r for r in self.residents.values() if r.runnable]
        if self.elsewhere is not None and self.elsewhere.holds(runnable, self.weight):
            return
        if not runnable:
            return
        pick = min(runnable, key=self.served)
        keys = {self.key(r) for r in runnable}
        key = self.key(pick)
        group = [r for r in runnable if self.key(r) == key]
        budget = max(MIN_CHUNK_SECONDS, self.publisher.frame_interval / len(keys))
        group = self.cost.cut(group, key, budget, len(runnable) > len(group), self.served)
        start = self.clock()
        members = group
        member_epochs = 0
        sampling = self.flow_sampling
        while members:
            member_epochs += len(members)
            flows: list[Any]
            now = self.clock()
            began = now
            due = sampling.due(members, now)
            if len(members) == 1:
                snaps, flows = [members[0].trainer.run_epoch()], [None]
            else:
                stacked = self.stacks.get(key)
                if stacked is None:
                    stacked = self.stacks[key] = StackedTrainer()
                snaps = stacked.run_epoch([r.trainer for r in members])
                flows = flow_of_stack(stacked, members, snaps, due)
            for r, snap, flow, sample in zip(members, snaps, flows, due, strict=True):
                r.record(snap, flow, sample)
                if sample:
                    sampling.measured(r, snap.epoch, now)
                since, done = self.rate.get(r.id, (start, 0))
                self.rate[r.id] = (since, done + 1)
                if r.stop_reason(snap) is not None:
                    self.halt(r)
                elif r.pending_epochs > 0:
                    r.pending_epochs -= 1
                    if r.pending_epochs == 0:
                        self.trains.finish(r)
            members = [r for r in members if r.runnable]
            ended = self.clock()
            # stop before an epoch that would end past the budget (taken to last as long as
            # this one): a class's frames come on time, not one stacked epoch (7-9 ms for 100
            # default sessions) late
            if ended - start + (ended - began) > budget:
                break
        elapsed = self.clock() - start
        self.cost.learn(key, elapsed, member_epochs)
        if self.elsewhere is not None:
            self.elsewhere.trained(elapsed)
        share = elapsed / len(group)
        for r in group:
            charge = share / self.weight(r)  # (1) of ``app.trainer.shares``
            self.vtime[r.id] += charge
            self.client_vtime[r.client] += charge
        self.after_chunk(group, key)
        self.forget_stacks(keys)

    def weight(self, r: Resident) -> float:
        """``r``'s weight in the shares: ``job_weight`` while it only runs a job, else 1."""
        return weight(r, self.trains.in_job(r), self.job_weight)

    def served(self, r: Resident) -> tuple[float, float]:
        """How much training time ``r``'s client, then ``r``, has had: the least goes first."""
        return (self.client_vtime[r.client], self.vtime[r.id])

    def forget_stacks(self, live: set[tuple]) -> None:
        """Drop the stacked buffers (and measured costs) of shapes nobody trains any more."""
        for key in [k for k in self.stacks if k not in live]:
            del self.stacks[key]
        self.cost.keep_only(live)

    def after_chunk(self, group: list[Resident], key: tuple) -> None:
        """Frames, summaries and statuses of a chunk's sessions, each at its own rate."""
        out = self.publisher
        now = self.clock()
        due: list[Resident] = []
        for r in group:
            diverged = r.trainer.status == "diverged"
            if diverged:
                self.stop(r)
            if r.viewers and (diverged or out.frame_due(r, now)):
                due.append(r)
            if r.viewers and (diverged or out.panels.due(r, now)):
                out.panels.send(r, diverged, now)
            if r.summary_viewers and (diverged or out.summary_due(r, now)):
                out.send_summary(r, now)
            since, done = self.rate.get(r.id, (now, 0))
            if diverged or now - since >= STATUS_INTERVAL:
                r.epochs_per_second = done / max(now - since, 1e-9) if r.running else 0.0
                self.rate[r.id] = (now, 0)
                out.publish(r, "status", r.status_bytes())
            if diverged or out.save_due(r, now):
                out.save(r)
        out.send_frames(due, self.stacks.get(key), now)

    def wake(self, r: Resident) -> None:
        """``r`` becomes runnable: it starts level with the least-served runnable session and
        client, so time spent idle is not a credit to spend all at once."""
        others = [o for o in self.residents.values() if o.runnable and o is not r]
        if others:
            floor = min(self.vtime[o.id] for o in others)
            self.vtime[r.id] = max(self.vtime[r.id], floor)
            peers = [o for o in others if o.client != r.client]
            if peers:
                floor = min(self.client_vtime[o.client] for o in peers)
                self.client_vtime[r.client] = max(self.client_vtime[r.client], floor)
        self.rate[r.id] = (self.clock(), 0)

    def play(self, r: Resident) -> None:
        """Start playing (unless the stop condition holds or it diverged)."""
        if not r.running:
            r.check_stop()
        if not r.running and r.trainer.status != "diverged":
            was = r.runnable
            r.running = True
            if not was:
                self.wake(r)
            self.rate[r.id] = (self.clock(), 0)

    def stop(self, r: Resident) -> None:
        """Playing ends (paused or diverged); queued train requests are answered."""
        r.running = False
        r.epochs_per_second = 0.0
        self.flow_at_stop(r)
        if r.trainer.status == "diverged":
            self.trains.answer_all(r)

    @staticmethod
    def flow_at_stop(r: Resident) -> None:
        """Playing stopped: the gradient-flow series, sampled while it played
        (``flow_stack.FlowSampling``), gets the epoch it stopped at when it keeps that one."""
        snap = r.trainer.last
        if snap is not None and snap.status != "diverged":
            r.record_flow(snap)

    def halt(self, r: Resident) -> None:
        """The session's stop condition holds: playing ends, queued train requests are
        answered where it stopped, and its viewers hear why (``status`` with ``stopped``)."""
        r.running = False
        r.epochs_per_second = 0.0
        self.flow_at_stop(r)
        answered = self.trains.queued(r)
        self.trains.answer_all(r)
        self.publisher.panels.before_status(r)
        self.publisher.publish(r, "status", r.status_bytes())  # paused, with "stopped": reason
        if not answered:
            self.publisher.send_frame(r)
            self.publisher.save(r)

    def pause(self, r: Resident) -> None:
        if r.running:
            self.stop(r)
            self.publisher.panels.before_status(r)
            self.publisher.send_status(r)
            self.publisher.send_frame(r)
            self.publisher.save(r)
