"""A trainer's train requests and jobs: ``train`` queues epochs on a session and is answered
with the frame of the last one when they are done — or at once with a job document when it
runs as a job (``app.jobs``), whose progress ``job`` reports and ``cancel_job`` stops.

One session's requests run one after another (``trains``: request id, epochs, the job when it
runs as one); the scheduler (``app.trainer.scheduler``) runs their epochs in its turns and calls
``finish`` when a request's last epoch is done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from app import jobs
from app.errors import FieldError
from app.settings import Settings
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.scheduler import Scheduler

Queued = tuple[Any, int, jobs.Job | None]  # request id, epochs, the job when it runs as one


class TrainQueue:
    def __init__(
        self,
        settings: Settings,
        publisher: Publisher,
        scheduler: Scheduler,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.publisher = publisher
        self.scheduler = scheduler
        self.clock = clock
        self.trains: dict[str, deque[Queued]] = {}
        self.jobs: dict[str, dict[str, jobs.Job]] = {}  # per session, oldest first

    def queued(self, r: Resident) -> bool:
        return bool(self.trains.get(r.id))

    def in_job(self, r: Resident) -> bool:
        """Whether the request ``r`` trains for now (its oldest) runs as a job."""
        queued = self.trains.get(r.id)
        return queued is not None and len(queued) > 0 and queued[0][2] is not None

    def forget(self, session_id: str) -> None:
        self.jobs.pop(session_id, None)

    def drop(self, r: Resident) -> None:
        """Forget the session's requests unanswered (another trainer took it over)."""
        self.trains.pop(r.id, None)
        r.pending_epochs = 0

    # -- the queue ----------------------------------------------------------------------------
    def start(self, r: Resident, request_id: Any, epochs: int, job: jobs.Job | None) -> None:
        """Queue ``epochs`` epochs; the reply (the last frame) is sent when they are done (a
        job keeps it as its result instead)."""
        queued = self.trains.setdefault(r.id, deque())
        queued.append((request_id, epochs, job))
        if len(queued) == 1:
            was = r.runnable
            self.begin(r, epochs, job)
            if not was:
                self.scheduler.wake(r)

    def begin(self, r: Resident, epochs: int, job: jobs.Job | None) -> None:
        r.pending_epochs = epochs
        if job is not None and job.status == jobs.QUEUED:  # a resumed job keeps its start
            job.start(int(r.trainer.epoch), self.clock())

    # -- saved with the session ---------------------------------------------------------------
    def saved(self, r: Resident) -> list[dict[str, Any]]:
        """The session's jobs as its checkpoint keeps them (``resume``), oldest first; at most
        ``max_jobs_per_session`` unfinished ones and as many finished ones, about 200 bytes
        each."""
        now = self.clock()
        return [job.state(now) for job in self.jobs.get(r.id, {}).values()]

    def resume(self, r: Resident, saved: list[dict[str, Any]]) -> None:
        """Bring back the jobs a checkpoint saved: finished ones answer as they were (without
        their result), the running one trains on from the restored epoch for the epochs it
        still owes, queued ones after it. A job the checkpoint's epoch had already completed
        finishes at once; one that started after it starts again from its beginning."""
        epoch = int(r.trainer.epoch)
        table = self.jobs.setdefault(r.id, {})
        for state in saved:
            job = jobs.Job.from_state(r.id, state, self.clock())
            table[job.id] = job
            if job.finished:
                continue
            if job.status == jobs.RUNNING and job.start_epoch > epoch:
                job.status, job.started_at = jobs.QUEUED, None
            owed = job.epochs
            if job.status == jobs.RUNNING:
                owed = job.epochs - (epoch - job.start_epoch)
            if owed <= 0:
                job.finish(epoch, False, r.frame_bytes(), self.clock())
                continue
            self.start(r, None, owed, job)
        if not table:
            del self.jobs[r.id]

    def finish(self, r: Resident) -> None:
        """The oldest train request is done (or cut short): publish and answer its frame, and
        start the next one."""
        r.pending_epochs = 0
        queued = self.trains.get(r.id)
        if not queued:
            return
        request_id, _, job = queued.popleft()
        data = self.publisher.send_frame(r)
        self.publisher.panels.mark_stale(r)
        if job is not None:
            diverged = r.trainer.status == "diverged"
            job.finish(int(r.trainer.epoch), diverged, data, self.clock())
        self.publisher.reply(request_id, True, data)
        if queued and r.trainer.status != "diverged":
            self.begin(r, queued[0][1], queued[0][2])
        elif not queued:
            del self.trains[r.id]
        self.publisher.save(r)  # with its jobs as they are now (finished, the next one begun)

    def answer_all(self, r: Resident) -> None:
        """Answer every queued request where the session is now."""
        while r.pending_epochs or self.trains.get(r.id):
            self.finish(r)

    # -- commands -----------------------------------------------------------------------------
    def train(self, r: Resident, request_id: Any, epochs: int, job: bool | None) -> bytes | None:
        """Train ``epochs`` epochs (pausing a playing session first); answers the last frame
        (None: later, when they are done). As a job (``job`` true, or None and the work exceeds
        ``max_sync_train_work``) it answers the job's document at once instead."""
        r.check_train(epochs)
        r.check_stop()
        if job is None:
            job = epochs * r.epoch_work() > self.settings.max_sync_train_work
        if job:
            self.check_room(r)
        self.scheduler.pause(r)
        if r.trainer.status == "diverged":
            return self.publisher.send_frame(r)
        if not job:
            self.start(r, request_id, epochs, None)
            return None
        new = jobs.Job(jobs.new_job_id(), r.id, epochs, created_at=self.clock())
        table = self.jobs.setdefault(r.id, {})
        table[new.id] = new
        finished = [j for j in table.values() if j.finished]
        for old in finished[: max(0, len(table) - self.settings.max_jobs_per_session)]:
            del table[old.id]  # the oldest finished jobs are forgotten
        self.start(r, None, epochs, new)
        self.publisher.save(r)  # the job is in the store before its URL is answered
        return self.document(r, new)

    def check_room(self, r: Resident) -> None:
        limit = self.settings.max_jobs_per_session
        unfinished = sum(not j.finished for j in self.jobs.get(r.id, {}).values())
        if unfinished >= limit:
            raise FieldError(
                "epochs",
                f"the session has {unfinished} unfinished training jobs, the limit "
                f"(max_jobs_per_session); wait for one or cancel it",
                status_code=429,
                kind="too_many_jobs",
            )

    def find(self, r: Resident, job_id: str) -> jobs.Job:
        found = self.jobs.get(r.id, {}).get(job_id)
        if found is None:
            raise FieldError(
                "job_id", f"no job {job_id!r} on this session (finished long ago?)", 404
            )
        return found

    def document(self, r: Resident, job: jobs.Job) -> bytes:
        snap = r.snap()
        loss = {"train": snap.loss_train, "test": snap.loss_test}
        return job.document(self.clock(), int(r.trainer.epoch), loss, r.pending_epochs)

    def cancel(self, r: Resident, job_id: str) -> bytes:
        """Stop a job: a running one where it is (its result is the frame there), a queued one
        before it starts. A finished job stays as it is."""
        job = self.find(r, job_id)
        queued = self.trains.get(r.id)
        if not job.finished and queued:
            if queued[0][2] is job:
                self.finish(r)  # answers it as cancelled, starts the next one
            else:
                for entry in list(queued):
                    if entry[2] is job:
                        queued.remove(entry)
                job.finish(int(r.trainer.epoch), False, None, self.clock())
        return self.document(r, job)
