"""Weights of the fair shares: a job counts for less than an interactive session (issue 22).

The scheduler (``app.trainer.scheduler``) shares a trainer's time by *virtual time*: each chunk
of ``t`` seconds is charged to the sessions that trained in it, and to their clients, and the
least-charged client trains next. Weighted fair queueing (Demers, Keshav & Shenker 1989; the
weights of Linux's CFS) charges a session of weight ``w``

    Δvtime = t / w,                                                                    (1)

so that, while several runnable clients keep each other's charges level, each gets real time in
proportion to its weight:

    share_i = w_i / Σ_j w_j.                                                           (2)

A session playing, or answering a train request when it is done, is *interactive*: someone
waits on each frame (``w = 1``). A session that only runs a job (``app.jobs``: a long train
request answered later through its job URL) weighs ``settings.job_weight`` (``w_job``). By (2),
a client with one playing session beside another client that runs only jobs, in the same
trainer, keeps

    share = 1 / (1 + w_job)                                                            (3)

of that trainer, whatever the number of jobs: 0.91 at the default ``w_job = 0.1``, where equal
weights gave it 0.5. Alone, jobs take the whole trainer (the shares are work-conserving); and a
client's own playing session goes before its own jobs in the same way (session ``vtime``).
"""

from __future__ import annotations

from app.trainer.resident import Resident


def weight(r: Resident, in_job: bool, job_weight: float) -> float:
    """``r``'s weight ``w`` in (1): ``job_weight`` while it runs a job and does not play
    (``in_job``: the oldest of its train requests is a job), else 1."""
    return job_weight if in_job and not r.running else 1.0
