"""A session's life in a trainer: created or brought back from the store (``restore``, also
when taking over from a trainer that stopped), saved and let go (``evict``), forgotten
(``delete``, ``disown``), and who watches it (``watch``). Each is a command handler
(``app.trainer.handlers``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from app import commands as c
from app.errors import FieldError
from app.settings import Settings
from app.store import Store, StoreError
from app.trainer import frames
from app.trainer.channels import Channel
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.scheduler import Scheduler
from app.trainer.trains import TrainQueue

log = logging.getLogger(__name__)

WATCH_TTL_SECONDS = 10.0  # a web process's viewer count lapses unless renewed


class Lifecycle:
    def __init__(
        self,
        settings: Settings,
        residents: dict[str, Resident],
        channel: Channel,
        store: Store | None,
        publisher: Publisher,
        scheduler: Scheduler,
        trains: TrainQueue,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.residents = residents
        self.channel = channel
        self.store = store
        self.out = publisher
        self.scheduler = scheduler
        self.trains = trains
        self.clock = clock
        self.closed = False  # told to close: the loop ends

    def resident(self, session_id: str | None) -> Resident:
        r = self.residents.get(session_id or "")
        if r is None:
            raise FieldError("session_id", f"no session {session_id!r}", status_code=404)
        return r

    def adopt(self, r: Resident) -> None:
        self.residents[r.id] = r
        self.scheduler.adopt(r)
        self.out.last_saved[r.id] = self.clock()

    def drop(self, sid: str) -> Resident | None:
        """Forget a session here (its pending train requests are answered first)."""
        r = self.residents.pop(sid, None)
        if r is None:
            return None
        self.channel.release(sid)
        r.running = False
        while self.trains.queued(r):
            self.trains.finish(r)
        self.out.forget(sid)
        self.trains.forget(sid)
        self.scheduler.forget(r)
        return r

    # -- the trainer --------------------------------------------------------------------------
    def close(self, _sid: Any, _rid: Any, _cmd: c.Close) -> None:
        self.closed = True

    def ping(self, _sid: Any, _rid: Any, _cmd: c.Ping) -> bytes:
        return frames.dumpb({"sessions": len(self.residents)})

    # -- a session's life ---------------------------------------------------------------------
    def create(self, sid: str, _rid: Any, cmd: c.Create) -> bytes:
        if sid in self.residents:
            raise FieldError("session_id", f"session {sid!r} exists", status_code=409)
        r = Resident(sid, cmd.client, cmd.body.model_dump(), self.settings)
        self.channel.claim(sid)
        if self.store is not None:  # durable before anyone hears of it
            try:
                self.store.create_session(
                    sid,
                    cmd.client,
                    r.config(),
                    r.status,
                    int(r.trainer.epoch),
                    r.checkpoint_bytes(),
                )
            except StoreError as exc:
                log.error("trainer: the store refused session %s: %s", sid, exc)
                raise FieldError("session", "the store failed; try again", 503, "store") from None
        self.adopt(r)
        return r.state_bytes()

    def delete(self, sid: str, _rid: Any, _cmd: c.Delete) -> None:
        """Forget the session, here and in the store (a train in progress is answered with
        where it stopped)."""
        self.drop(sid)
        if self.store is not None:
            self.store.delete(sid)

    def evict(self, sid: str, _rid: Any, _cmd: c.Evict) -> None:
        """Save the session and let it leave memory (``restore`` brings it back)."""
        r = self.residents.get(sid)
        if r is None:
            return
        if r.runnable or r.viewers or r.summary_viewers:
            raise FieldError("session", "the session is in use; it stays", 409, "in_use")
        self.out.save(r)
        if self.store is not None and not self.store.flush(timeout=10.0):
            raise FieldError("session", "the store is not writing; the session stays", 503)
        self.drop(sid)

    def disown(self, sid: str, _rid: Any, _cmd: c.Disown) -> None:
        """Another trainer holds this session now (it took it over): forget it here, neither
        saving nor deleting it."""
        r = self.residents.get(sid)
        if r is not None:
            self.trains.drop(r)
            self.drop(sid)

    def restore(self, sid: str, _rid: Any, cmd: c.Restore) -> None:
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
        r.viewers, r.summary_viewers = cmd.viewers, cmd.summary_viewers
        r.binary_viewers = cmd.binary_viewers
        self.adopt(r)
        self.trains.resume(r, r.saved_jobs)  # a job it was training trains on
        r.saved_jobs = []
        playing = cmd.play or (cmd.takeover and stored.status == "running")
        if playing and r.trainer.status != "diverged":
            r.running = True
            self.scheduler.wake(r)
        if cmd.takeover:  # its viewers hear why it jumped back
            message = {
                **r.status_message(),
                "message": "its trainer stopped; taken over here from the last checkpoint",
            }
            self.out.publish(r, "status", frames.dumpb(message))
        self.out.send_status(r)
        self.out.send_frame(r)
        self.out.panels.mark_stale(r)

    def watch(self, sid: str, _rid: Any, cmd: c.Watch) -> None:
        """How many live viewers and dashboards the web process ``source`` has for ``sid``
        (each web process says so on change and now and then; a count not renewed for
        ``WATCH_TTL_SECONDS`` lapses, so a web process that died stops counting)."""
        r = self.residents.get(sid)
        if r is None:
            return
        now = self.clock()
        r.watchers[cmd.source] = (cmd.viewers, cmd.summary_viewers, now, cmd.binary_viewers)
        live = [w for w in r.watchers.values() if now - w[2] < WATCH_TTL_SECONDS]
        was_watched, had_summary = r.viewers, r.summary_viewers
        r.viewers, r.summary_viewers = sum(w[0] for w in live), sum(w[1] for w in live)
        r.binary_viewers = sum(w[3] for w in live)
        if r.summary_viewers > had_summary:
            self.out.send_summary(r)
        if r.viewers and not was_watched and not r.runnable:
            self.out.send_frame(r)  # a paused session shows itself to a viewer that came back
