"""A trainer: the loop that owns resident sessions and trains them, fairly and stacked.

A trainer runs in a trainer process (``process_main``, started by ``app.pool`` with
multiprocessing's spawn) or, with ``BPP_TRAINERS=0``, in one thread of the web process. Either
way it is the same ``Worker`` speaking the same messages over a ``Channel``; only plain data and
bytes cross it, never live objects.

In (web → trainer), a tuple ``(request_id, op, session_id, args)``; ``request_id`` is None when
no answer is wanted. Out (trainer → web):

- ``("reply", request_id, True, bytes | None)`` — the answer, encoded JSON;
- ``("reply", request_id, False, (field, message, status_code, kind))`` — a refusal;
- ``("pub", [(session_id, kind, bytes), ...])`` — messages for a session's viewers (``frame``,
  ``status``, ``summary``, ``sample_step``), encoded once here.

Publications of an operation always leave before its reply.

**Scheduling.** Sessions that play, or still owe epochs to a train request, are *runnable*.
Each turn the trainer picks the client with the least training time so far, then that client's
session with the least, and trains it for one chunk together with every other runnable session
of the same shape (``engine.stacked``): one stacked numpy step per batch for all of them. The
chunk's time is charged to the sessions in equal parts, and to their clients, so time is shared
by work — per client first, then per session — not per turn: a huge network gets its share, not
the whole trainer, and one client's many long requests do not starve another client. A chunk
lasts one frame interval divided among the runnable groups (at least one epoch), after which
every watched session gets a frame (at most ``frame_rate`` per second), dashboards a summary
(``summary_rate``) and, twice a second, the status.
"""

from __future__ import annotations

import logging
import queue
import signal
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from app import frames, jobs
from app.errors import FieldError
from app.resident import FrameStats, Resident
from app.settings import Settings
from app.store import Store, StoreError, open_store
from engine import SpecError, backprop_step
from engine.stacked import StackedTrainer, stack_key

log = logging.getLogger(__name__)

MIN_CHUNK_SECONDS = 0.002
STATUS_INTERVAL = 0.5  # seconds between status messages while training
IDLE_POLL_SECONDS = 1.0  # how long an idle trainer waits for a command
MESSAGES_PER_TURN = 256  # commands handled between two chunks, at most
DEFERRED = object()  # an op whose reply is sent later (a train request)
WATCH_TTL_SECONDS = 10.0  # a web process's viewer count lapses unless renewed


class Channel(Protocol):
    def recv(self, timeout: float) -> Any:
        """The next inbound message, or None when none came within ``timeout`` seconds;
        raises EOFError when the other side is gone."""
        ...

    def send(self, message: Any) -> None: ...

    def claim(self, session_id: str) -> None:
        """Hold the session here (on a bus: raise ``Moved`` when a live trainer holds it)."""
        ...

    def release(self, session_id: str) -> None: ...


class Worker:
    """The trainer loop (see the module docstring). Not thread-safe: one thread runs it."""

    def __init__(
        self,
        settings: Settings,
        channel: Channel,
        store: Store | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.settings = settings
        self.channel = channel
        self.store = store
        self.clock = clock
        self.last_saved: dict[str, float] = {}
        self.frame_interval = 1.0 / settings.frame_rate
        self.summary_interval = 1.0 / settings.summary_rate
        self.residents: dict[str, Resident] = {}
        self.vtime: dict[str, float] = {}  # training seconds charged per session
        self.client_vtime: dict[str, float] = {}  # ... and per client
        # queued train requests: (request id, epochs, the job when it runs as one)
        self.trains: dict[str, deque[tuple[Any, int, jobs.Job | None]]] = {}
        self.jobs: dict[str, dict[str, jobs.Job]] = {}  # per session, oldest first
        self.last_frame: dict[str, float] = {}
        self.last_summary: dict[str, float] = {}
        self.panel_interval = 1.0 / settings.panel_rate
        self.last_panels: dict[str, float] = {}
        self.stale_panels: set[str] = set()  # sessions whose panels changed since last sent
        self.rate: dict[str, tuple[float, int]] = {}  # since, epochs: for epochs_per_second
        self.stacks: dict[tuple, StackedTrainer] = {}
        self.out: list[tuple[str, str, bytes]] = []
        self.closed = False

    # -- the loop -----------------------------------------------------------------------------
    def serve(self) -> None:
        """Handle commands and train until told to close or the channel closes."""
        try:
            while not self.closed:
                busy = any(r.runnable for r in self.residents.values())
                message = self.channel.recv(0.0 if busy else IDLE_POLL_SECONDS)
                handled = 0
                while message is not None:
                    self.handle(message)
                    handled += 1
                    if self.closed or handled >= MESSAGES_PER_TURN:
                        break
                    message = self.channel.recv(0.0)
                if not self.closed:
                    self.turn()
                    self.send_stale_panels()
                self.flush()
                self.channel.sessions = len(self.residents)
        except (EOFError, OSError):
            pass  # the web process is gone: nothing left to serve
        finally:
            self.save_all()

    def save_all(self) -> None:
        """On the way out: every session's latest state to the store."""
        if self.store is None:
            return
        for r in list(self.residents.values()):
            try:
                self.save(r)
            except Exception:  # never let one session keep the others from being saved
                log.exception("trainer: could not save session %s", r.id)
        self.store.flush(timeout=10.0)

    def flush(self) -> None:
        if self.out:
            out, self.out = self.out, []
            self.channel.send(("pub", out))

    def publish(self, r: Resident, kind: str, data: bytes) -> None:
        self.out.append((r.id, kind, data))

    def send_panels(self, r: Resident, full: bool, now: float | None = None) -> None:
        """Push the page's panels (``Resident.panel_messages``) to the session's viewers."""
        for kind, data in r.panel_messages(full):
            self.publish(r, kind, data)
        self.last_panels[r.id] = self.clock() if now is None else now
        if full:
            self.stale_panels.discard(r.id)

    def send_stale_panels(self) -> None:
        """The full panels of stopped sessions that changed (a step done), at most
        ``panel_rate`` times a second each; a running one gets its panels in ``after_chunk``."""
        if not self.stale_panels:
            return
        now = self.clock()
        for sid in list(self.stale_panels):
            r = self.residents.get(sid)
            if r is None or not r.viewers:
                self.stale_panels.discard(sid)
            elif not r.runnable and now - self.last_panels.get(sid, 0.0) >= self.panel_interval:
                self.send_panels(r, True, now)

    def reply(self, request_id: Any, ok: bool, payload: Any) -> None:
        if request_id is None:
            return
        self.flush()
        self.channel.send(("reply", request_id, ok, payload))

    def handle(self, message: Any) -> None:
        """Run one command and answer it (unless its answer is deferred)."""
        try:
            request_id, op, session_id, args = message
        except (TypeError, ValueError):
            log.error("trainer: malformed message %r", message)
            return
        try:
            method = getattr(self, f"op_{op}", None)
            if method is None:
                raise FieldError("op", f"unknown trainer operation {op!r}")
            result = method(session_id, request_id, **(args or {}))
        except FieldError as exc:
            self.reply(request_id, False, (exc.field, exc.message, exc.status_code, exc.kind))
        except SpecError as exc:
            self.reply(request_id, False, (exc.field, exc.message, 422, "spec_error"))
        except Exception:  # a bug must not take the trainer or its other sessions down
            log.exception("trainer: %s failed on session %s", op, session_id)
            self.reply(
                request_id, False, ("message", "the trainer failed on this command", 500, "bug")
            )
        else:
            if result is not DEFERRED:
                self.reply(request_id, True, result)

    # -- scheduling ---------------------------------------------------------------------------
    def key(self, r: Resident) -> tuple:
        return stack_key(r.trainer)

    def turn(self) -> None:
        """Train one chunk of the session (and its same-shaped group) owed the most time."""
        runnable = [r for r in self.residents.values() if r.runnable]
        if not runnable:
            return
        pick = min(runnable, key=lambda r: (self.client_vtime[r.client], self.vtime[r.id]))
        keys = {self.key(r) for r in runnable}
        key = self.key(pick)
        group = [r for r in runnable if self.key(r) == key]
        budget = max(MIN_CHUNK_SECONDS, self.frame_interval / len(keys))
        start = self.clock()
        members = group
        while members:
            if len(members) == 1:
                snaps = [members[0].trainer.run_epoch()]
            else:
                stack = self.stacks.get(key)
                if stack is None:
                    stack = self.stacks[key] = StackedTrainer()
                snaps = stack.run_epoch([r.trainer for r in members])
            for r, snap in zip(members, snaps, strict=True):
                r.record(snap)
                since, done = self.rate.get(r.id, (start, 0))
                self.rate[r.id] = (since, done + 1)
                if r.stop_reason(snap) is not None:
                    self.halt(r)
                elif r.pending_epochs > 0:
                    r.pending_epochs -= 1
                    if r.pending_epochs == 0:
                        self.finish_train(r)
            members = [r for r in members if r.runnable]
            if self.clock() - start >= budget:
                break
        elapsed = self.clock() - start
        share = elapsed / len(group)
        for r in group:
            self.vtime[r.id] += share
            self.client_vtime[r.client] += share
        self.after_chunk(group, key)
        self.forget_stacks(keys)

    def forget_stacks(self, live: set[tuple]) -> None:
        """Drop the stacked buffers of shapes nobody trains any more."""
        for key in [k for k in self.stacks if k not in live]:
            del self.stacks[key]

    def after_chunk(self, group: list[Resident], key: tuple) -> None:
        """Frames, summaries and statuses of a chunk's sessions, each at its own rate."""
        now = self.clock()
        due: list[Resident] = []
        for r in group:
            diverged = r.trainer.status == "diverged"
            if diverged:
                self.stop(r)
            if r.viewers and (
                diverged or now - self.last_frame.get(r.id, 0.0) >= 0.9 * self.frame_interval
            ):
                due.append(r)
            if r.viewers and (
                diverged or now - self.last_panels.get(r.id, 0.0) >= self.panel_interval
            ):
                self.send_panels(r, diverged, now)
            if r.summary_viewers and (
                diverged or now - self.last_summary.get(r.id, 0.0) >= self.summary_interval
            ):
                self.send_summary(r, now)
            since, done = self.rate.get(r.id, (now, 0))
            if diverged or now - since >= STATUS_INTERVAL:
                r.epochs_per_second = done / max(now - since, 1e-9) if r.running else 0.0
                self.rate[r.id] = (now, 0)
                self.publish(r, "status", r.status_bytes())
            if diverged or now - self.last_saved.get(r.id, 0.0) >= self.settings.checkpoint_seconds:
                self.save(r)
        self.send_frames(due, self.stacks.get(key), now)

    def save(self, r: Resident) -> None:
        """Queue the session's checkpoint for the store (never waits for the database)."""
        self.last_saved[r.id] = self.clock()
        if self.store is not None:
            self.store.checkpoint(r.id, r.status, int(r.trainer.epoch), r.checkpoint_bytes())

    def send_frames(self, due: list[Resident], stack: StackedTrainer | None, now: float) -> None:
        """Frames for ``due`` (same-shaped sessions): their node statistics and heatmap grids
        are computed in one stacked engine call per grid they share."""
        if stack is None or len(due) < 2:
            for r in due:
                self.send_frame(r, now)
            return
        by_grid: dict[tuple, list[Resident]] = {}
        for r in due:
            by_grid.setdefault(r.grid_key, []).append(r)
        for members in by_grid.values():
            if len(members) == 1:
                self.send_frame(members[0], now)
                continue
            stats = stack.frame_stats([r.trainer for r in members], members[0].grid_inputs())
            for i, r in enumerate(members):
                self.send_frame(r, now, stats.member(i))

    def send_frame(
        self, r: Resident, now: float | None = None, stats: FrameStats | None = None
    ) -> bytes:
        data = r.frame_bytes(stats=stats)
        self.publish(r, "frame", data)
        self.last_frame[r.id] = self.clock() if now is None else now
        return data

    def send_summary(self, r: Resident, now: float | None = None) -> None:
        self.publish(r, "summary", r.summary_bytes())
        self.last_summary[r.id] = self.clock() if now is None else now

    def send_status(self, r: Resident) -> None:
        self.publish(r, "status", r.status_bytes())
        if r.summary_viewers:
            self.send_summary(r)

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

    def stop(self, r: Resident) -> None:
        """Playing ends (paused or diverged); queued train requests are answered."""
        r.running = False
        r.epochs_per_second = 0.0
        if r.trainer.status == "diverged":
            while r.pending_epochs or self.trains.get(r.id):
                self.finish_train(r)

    def halt(self, r: Resident) -> None:
        """The session's stop condition holds: playing ends, queued train requests are
        answered where it stopped, and its viewers hear why (``status`` with ``stopped``)."""
        r.running = False
        r.epochs_per_second = 0.0
        answered = bool(self.trains.get(r.id))
        while r.pending_epochs or self.trains.get(r.id):
            self.finish_train(r)
        if r.viewers:
            self.send_panels(r, True)  # before the status: the panels match its epoch
        self.publish(r, "status", r.status_bytes())  # paused, with "stopped": reason
        if not answered:
            self.send_frame(r)
            self.save(r)

    def pause(self, r: Resident) -> None:
        if r.running:
            self.stop(r)
            if r.viewers:
                self.send_panels(r, True)  # before the status: the panels match its epoch
            self.send_status(r)
            self.send_frame(r)
            self.save(r)

    def start_train(
        self, r: Resident, request_id: Any, epochs: int, job: jobs.Job | None = None
    ) -> None:
        """Queue ``epochs`` epochs; the reply (the last frame) is sent when they are done (a
        job keeps it as its result instead)."""
        queued = self.trains.setdefault(r.id, deque())
        queued.append((request_id, epochs, job))
        if len(queued) == 1:
            was = r.runnable
            self.begin_train(r, epochs, job)
            if not was:
                self.wake(r)

    def begin_train(self, r: Resident, epochs: int, job: jobs.Job | None) -> None:
        r.pending_epochs = epochs
        if job is not None:
            job.start(int(r.trainer.epoch), self.clock())

    def finish_train(self, r: Resident) -> None:
        """The oldest train request is done (or cut short): publish and answer its frame, and
        start the next one."""
        r.pending_epochs = 0
        queued = self.trains.get(r.id)
        if not queued:
            return
        request_id, _, job = queued.popleft()
        data = self.send_frame(r)
        self.save(r)
        self.stale_panels.add(r.id)
        if job is not None:
            diverged = r.trainer.status == "diverged"
            job.finish(int(r.trainer.epoch), diverged, data, self.clock())
        self.reply(request_id, True, data)
        if queued and r.trainer.status != "diverged":
            self.begin_train(r, queued[0][1], queued[0][2])
        elif not queued:
            del self.trains[r.id]

    # -- operations ---------------------------------------------------------------------------
    def resident(self, session_id: str) -> Resident:
        r = self.residents.get(session_id)
        if r is None:
            raise FieldError("session_id", f"no session {session_id!r}", status_code=404)
        return r

    def op_close(self, _sid: Any, _rid: Any) -> None:
        self.closed = True

    def op_ping(self, _sid: Any, _rid: Any) -> bytes:
        return frames.dumpb({"sessions": len(self.residents)})

    def op_backprop(self, _sid: Any, _rid: Any, payload: dict) -> bytes:
        return frames.dumpb(backprop_step(payload))

    def op_create(self, sid: str, _rid: Any, client: str, body: dict) -> bytes:
        if sid in self.residents:
            raise FieldError("session_id", f"session {sid!r} exists", status_code=409)
        r = Resident(sid, client, body, self.settings)
        self.channel.claim(sid)
        if self.store is not None:  # durable before anyone hears of it
            try:
                self.store.create_session(
                    sid, client, r.config(), r.status, int(r.trainer.epoch), r.checkpoint_bytes()
                )
            except StoreError as exc:
                log.error("trainer: the store refused session %s: %s", sid, exc)
                raise FieldError("session", "the store failed; try again", 503, "store") from None
        self.adopt(r)
        return r.state_bytes()

    def adopt(self, r: Resident) -> None:
        self.residents[r.id] = r
        self.vtime[r.id] = 0.0
        self.client_vtime.setdefault(r.client, 0.0)
        self.last_saved[r.id] = self.clock()

    def drop(self, sid: str) -> Resident | None:
        """Forget a session here (its pending train requests are answered first)."""
        r = self.residents.pop(sid, None)
        if r is None:
            return None
        self.channel.release(sid)
        r.running = False
        while self.trains.get(sid):
            self.finish_train(r)
        self.stale_panels.discard(sid)
        tables = (self.vtime, self.last_frame, self.last_summary, self.rate, self.last_saved)
        self.last_panels.pop(sid, None)
        for table in (*tables, self.jobs):
            table.pop(sid, None)
        if not any(o.client == r.client for o in self.residents.values()):
            self.client_vtime.pop(r.client, None)
        return r

    def op_delete(self, sid: str, _rid: Any) -> None:
        """Forget the session, here and in the store (a train in progress is answered with
        where it stopped)."""
        self.drop(sid)
        if self.store is not None:
            self.store.delete(sid)

    def op_evict(self, sid: str, _rid: Any) -> None:
        """Save the session and let it leave memory (``restore`` brings it back)."""
        r = self.residents.get(sid)
        if r is None:
            return
        if r.runnable or r.viewers or r.summary_viewers:
            raise FieldError("session", "the session is in use; it stays", 409, "in_use")
        self.save(r)
        if self.store is not None and not self.store.flush(timeout=10.0):
            raise FieldError("session", "the store is not writing; the session stays", 503)
        self.drop(sid)

    def op_disown(self, sid: str, _rid: Any) -> None:
        """Another trainer holds this session now (it took it over): forget it here, neither
        saving nor deleting it."""
        r = self.residents.get(sid)
        if r is not None:
            self.trains.pop(sid, None)
            r.pending_epochs = 0
            self.drop(sid)

    def op_restore(
        self,
        sid: str,
        _rid: Any,
        viewers: int = 0,
        summary_viewers: int = 0,
        play: bool = False,
        takeover: bool = False,
    ) -> None:
        """Bring a session back from its last checkpoint, paused — playing again when ``play``
        (or, taking over from a stopped trainer, when it was playing) — and show it to its
        viewers."""
        if sid in self.residents:
            return
        stored = None if self.store is None else self.store.load(sid)
        if stored is None or stored.checkpoint is None:
            raise FieldError("session_id", f"no session {sid!r}", status_code=404)
        self.channel.claim(sid)
        r = Resident.restore(sid, stored.client, stored.checkpoint, self.settings)
        r.viewers, r.summary_viewers = viewers, summary_viewers
        self.adopt(r)
        if (play or (takeover and stored.status == "running")) and r.trainer.status != "diverged":
            r.running = True
            self.wake(r)
        if takeover:  # its viewers hear why it jumped back
            message = {
                **r.status_message(),
                "message": "its trainer stopped; taken over here from the last checkpoint",
            }
            self.publish(r, "status", frames.dumpb(message))
        self.send_status(r)
        self.send_frame(r)
        self.stale_panels.add(r.id)

    def op_watch(
        self, sid: str, _rid: Any, viewers: int, summary_viewers: int, source: str = "web"
    ) -> None:
        """How many live viewers and dashboards the web process ``source`` has for ``sid``
        (each web process says so on change and now and then; a count not renewed for
        ``WATCH_TTL_SECONDS`` lapses, so a web process that died stops counting)."""
        r = self.residents.get(sid)
        if r is None:
            return
        now = self.clock()
        r.watchers[source] = (viewers, summary_viewers, now)
        live = [w for w in r.watchers.values() if now - w[2] < WATCH_TTL_SECONDS]
        was_watched, had_summary = r.viewers, r.summary_viewers
        r.viewers, r.summary_viewers = sum(w[0] for w in live), sum(w[1] for w in live)
        if r.summary_viewers > had_summary:
            self.send_summary(r)
        if r.viewers and not was_watched and not r.runnable:
            self.send_frame(r)  # a paused session shows itself to a viewer that came back

    def op_panels(self, sid: str, _rid: Any) -> None:
        """Push the session's full panels to its viewers (a viewer connected)."""
        self.send_panels(self.resident(sid), True)

    def op_get(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).state_bytes()

    def op_frame(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).frame_bytes()

    def op_status(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).status_bytes()

    def op_summary(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).summary_bytes()

    def op_history(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).history_bytes()

    def op_export(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).export_bytes()

    def op_predict(self, sid: str, _rid: Any, inputs: list, targets: list | None) -> bytes:
        return self.resident(sid).predict(inputs, targets)

    def op_gradient_check(self, sid: str, _rid: Any, samples: int | None, eps: float) -> bytes:
        return self.resident(sid).gradient_check(samples, eps)

    def op_play(self, sid: str, _rid: Any) -> None:
        r = self.resident(sid)
        if not r.running:
            r.check_stop()
        if not r.running and r.trainer.status != "diverged":
            was = r.runnable
            r.running = True
            if not was:
                self.wake(r)
            self.rate[r.id] = (self.clock(), 0)
        self.send_status(r)

    def op_set_stop(self, sid: str, _rid: Any, stop: dict) -> bytes:
        """Replace the stop condition; answers ``{"stop", "reached"}``."""
        r = self.resident(sid)
        r.set_stop(stop)
        self.save(r)
        return frames.dumpb(r.stop_json())

    def op_replay(self, sid: str, _rid: Any, epoch: int | None = None) -> bytes:
        """The kept replay epochs, or (``epoch`` given) the frame of the network back then."""
        r = self.resident(sid)
        return r.replay_json() if epoch is None else r.replay_frame(epoch)

    def op_confusion(self, sid: str, _rid: Any) -> bytes:
        return self.resident(sid).confusion()

    def op_pause(self, sid: str, _rid: Any) -> None:
        self.pause(self.resident(sid))

    def op_train(self, sid: str, rid: Any, epochs: int, job: bool | None = False) -> Any:
        """Train ``epochs`` epochs (pausing a playing session first); answers the last frame.
        As a job (``job`` true, or None and the work exceeds ``max_sync_train_work``) it
        answers the job's document at once instead (``app.jobs``)."""
        r = self.resident(sid)
        r.check_train(epochs)
        r.check_stop()
        if job is None:
            job = epochs * r.epoch_work() > self.settings.max_sync_train_work
        if job:
            self.check_job_room(r)
        self.pause(r)
        if r.trainer.status == "diverged":
            return self.send_frame(r)
        if not job:
            self.start_train(r, rid, epochs)
            return DEFERRED
        new = jobs.Job(jobs.new_job_id(), sid, epochs, created_at=self.clock())
        table = self.jobs.setdefault(sid, {})
        table[new.id] = new
        finished = [j for j in table.values() if j.finished]
        for old in finished[: max(0, len(table) - self.settings.max_jobs_per_session)]:
            del table[old.id]  # the oldest finished jobs are forgotten
        self.start_train(r, None, epochs, new)
        return self.job_document(r, new)

    def check_job_room(self, r: Resident) -> None:
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

    def find_job(self, r: Resident, job_id: str) -> jobs.Job:
        found = self.jobs.get(r.id, {}).get(job_id)
        if found is None:
            raise FieldError(
                "job_id", f"no job {job_id!r} on this session (finished long ago?)", 404
            )
        return found

    def job_document(self, r: Resident, job: jobs.Job) -> bytes:
        snap = r.snap()
        loss = {"train": snap.loss_train, "test": snap.loss_test}
        return job.document(self.clock(), int(r.trainer.epoch), loss, r.pending_epochs)

    def op_job(self, sid: str, _rid: Any, job_id: str) -> bytes:
        """A job's progress; its result (the last frame) once it is finished."""
        r = self.resident(sid)
        return self.job_document(r, self.find_job(r, job_id))

    def op_cancel_job(self, sid: str, _rid: Any, job_id: str) -> bytes:
        """Stop a job: a running one where it is (its result is the frame there), a queued one
        before it starts. A finished job stays as it is."""
        r = self.resident(sid)
        job = self.find_job(r, job_id)
        queued = self.trains.get(sid)
        if not job.finished and queued:
            if queued[0][2] is job:
                self.finish_train(r)  # answers it as cancelled, starts the next one
            else:
                for entry in list(queued):
                    if entry[2] is job:
                        queued.remove(entry)
                job.finish(int(r.trainer.epoch), False, None, self.clock())
        return self.job_document(r, job)

    def op_set(self, sid: str, _rid: Any, patch: dict) -> None:
        """Change the training settings live (a socket's ``set``)."""
        r = self.resident(sid)
        r.set_training(patch)
        if not r.running:
            self.send_frame(r)
            self.stale_panels.add(r.id)
        self.send_status(r)
        self.save(r)

    def op_patch(self, sid: str, _rid: Any, patch: dict) -> bytes:
        """``set`` answering the session's state (REST)."""
        r = self.resident(sid)
        r.set_training(patch)
        frame = r.frame_bytes()
        if not r.running:
            self.publish(r, "frame", frame)
            self.stale_panels.add(r.id)
        self.send_status(r)
        self.save(r)
        return r.state_bytes(frame)

    def op_reset(self, sid: str, _rid: Any) -> bytes:
        r = self.resident(sid)
        self.pause(r)
        while self.trains.get(sid):
            self.finish_train(r)
        r.reset()
        if r.viewers:
            self.send_panels(r, True)
        self.send_status(r)
        self.save(r)
        return self.send_frame(r)

    def op_step_sample(self, sid: str, _rid: Any, index: int | None) -> bytes:
        r = self.resident(sid)
        self.pause(r)
        if self.trains.get(sid):
            raise FieldError("index", "the session is training; try again when it is done", 409)
        message = r.step_sample(index)
        self.publish(r, "sample_step", message)
        self.send_frame(r)
        self.stale_panels.add(r.id)
        self.save(r)
        return message

    def op_probe(self, sid: str, _rid: Any, index: int) -> None:
        r = self.resident(sid)
        r.set_probe(index)
        self.send_frame(r)
        self.save(r)

    def op_edit(
        self, sid: str, _rid: Any, kind: str, layer: int, j: int, value: float, i: int | None
    ) -> bytes:
        r = self.resident(sid)
        r.edit(kind, layer, j, value, i)
        self.stale_panels.add(r.id)
        self.save(r)
        return self.send_frame(r)


# -- where a worker runs ---------------------------------------------------------------------


class PipeChannel:
    """A trainer process's end of its duplex pipe to the web process."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def recv(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            return None
        return self.conn.recv()

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def claim(self, session_id: str) -> None:
        pass  # one web process, which placed the session here

    def release(self, session_id: str) -> None:
        pass


def take(inbox: queue.SimpleQueue, timeout: float) -> Any:
    """The next message a channel's reader thread queued (None when none came in ``timeout``
    seconds); a queued None means the channel closed."""
    try:
        message = inbox.get(timeout=timeout) if timeout > 0 else inbox.get_nowait()
    except queue.Empty:
        return None
    if message is None:
        raise EOFError
    return message


class QueueChannel:
    """The in-process channel (``BPP_TRAINERS=0``): commands arrive on a queue, messages leave
    through ``deliver`` (which hands them to the event loop)."""

    def __init__(self, deliver: Callable[[Any], None]) -> None:
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self.deliver = deliver

    def recv(self, timeout: float) -> Any:
        return take(self.inbox, timeout)

    def send(self, message: Any) -> None:
        self.deliver(message)

    def claim(self, session_id: str) -> None:
        pass

    def release(self, session_id: str) -> None:
        pass


def process_main(conn: Any, settings: dict[str, Any]) -> None:
    """The body of a trainer process (multiprocessing, spawn)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the web process, which stops us
    logging.basicConfig(level=logging.INFO, format="trainer %(process)d: %(message)s")
    config = Settings(**settings)
    store = open_store(config)  # the web process has migrated it
    try:
        Worker(config, PipeChannel(conn), store).serve()
    finally:
        store.close()
