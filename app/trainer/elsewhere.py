"""Fair shares across trainers: a trainer with only jobs yields to a session playing on
another trainer (issue 22).

``app.trainer.shares`` shares one trainer's time by weight, so a playing session (``w = 1``)
keeps ``1 / (1 + w_job)`` of its trainer beside any number of jobs. But trainers are processes
on the same cores as the web process: jobs placed on another trainer took a whole core of their
own, and the playing session's trainer (with the web process making its frames) had less than
the core it had alone — in ``bench_stream.py --cases j`` with two trainers it kept 0.57–0.79 of
its epochs/s.

So the trainers of a web process share as if they were one: each reports to the web process
the heaviest weight ``w_here`` of its runnable sessions (``app.commands.UsageReport``: at most
every ``settings.share_interval`` seconds, and at once when it has nothing left to train), and
the web process (``app.seam.usage``) tells each the heaviest weight ``w_else`` runnable on the
others (``app.commands.Shares``); on a Redis bus the trainers of one host tell each other
through Redis, with each heartbeat (``app.seam.bus``). Where ``0 < w_here < w_else`` — only
jobs here, someone playing there — the trainer gets the share that (2) of
``app.trainer.shares`` would give its sessions beside the heavier one in one trainer,

    d = w_here / (w_here + w_else),                                                    (4)

by resting after each chunk of ``t`` seconds for

    t · (1 − d) / d = t · w_else / w_here                                              (5)

(0.09 of the time, 10 s of rest per 1 s of jobs, at ``w_job = 0.1``). Nobody playing anywhere,
or a trainer that plays itself, and nothing rests: jobs alone still take every trainer. The
price: while a session plays, a jobs-only trainer leaves most of its core to the web process
and the rest of the machine, even where a core is spare (``share_interval = 0`` turns this
off). While it rests the trainer still takes commands (the worker waits on its channel for the
rest, ``wait``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.commands import UsageReport
from app.trainer.channels import Channel
from app.trainer.resident import Resident


class Elsewhere:
    """What this trainer reports, what it was told of the others, and its rest (4)–(5)."""

    def __init__(self, channel: Channel, clock: Callable[[], float], interval: float) -> None:
        self.channel = channel
        self.clock = clock
        self.interval = interval  # ``settings.share_interval``; 0: off
        self.heaviest_elsewhere = 0.0  # ``w_else``, as the web process last told
        self.sent = 0.0  # ``w_here`` as last reported
        self.checked_at = float("-inf")
        self.rest = 0.0  # (5)'s factor ``w_else / w_here`` while resting applies, else 0
        self.resume_at = float("-inf")

    def told(self, heaviest_elsewhere: float) -> None:
        """The web process's news (``app.commands.Shares``)."""
        self.heaviest_elsewhere = heaviest_elsewhere

    def holds(self, runnable: list[Resident], weight: Callable[[Resident], float]) -> bool:
        """Report ``w_here`` when due; whether the trainer should rest now rather than train
        ``runnable`` (4)."""
        if self.interval <= 0:
            return False
        now = self.clock()
        if not runnable:
            here = 0.0
            if self.sent:
                self.report(here, now)
        elif self.heaviest_elsewhere > 0 or now - self.checked_at >= self.interval:
            here = heaviest(runnable, weight)
            if now - self.checked_at >= self.interval:
                self.report(here, now)
        else:
            here = 0.0
        if not 0 < here < self.heaviest_elsewhere:
            self.rest = 0.0
            return False
        self.rest = self.heaviest_elsewhere / here
        return now < self.resume_at

    def trained(self, elapsed: float) -> None:
        """A chunk of ``elapsed`` seconds is done: rest (5) after it, where (4) applies."""
        if self.rest > 0:
            self.resume_at = self.clock() + elapsed * self.rest

    def wait(self, busy: bool, idle: float) -> float:
        """How long the trainer's loop may wait for a command before its next turn: the rest
        left while resting, else none while it has sessions to train, else ``idle``."""
        if not busy:
            return idle
        if self.rest > 0:
            return min(idle, max(0.0, self.resume_at - self.clock()))
        return 0.0

    def report(self, here: float, now: float) -> None:
        self.checked_at = now
        if here != self.sent:
            self.sent = here
            self.channel.send(("usage", UsageReport(heaviest=here).model_dump_json().encode()))


def heaviest(runnable: Iterable[Resident], weight: Callable[[Resident], float]) -> float:
    """The largest ``weight`` among ``runnable`` (stops at 1, the most there is)."""
    best = 0.0
    for r in runnable:
        w = weight(r)
        if w >= 1.0:
            return 1.0
        best = max(best, w)
    return best
