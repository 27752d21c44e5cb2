"""A trainer: the loop that owns resident sessions and trains them, fairly and stacked.

A trainer runs in a trainer process (``app.seam.pipes.process_main``, started with
multiprocessing's spawn; or ``app.seam.processes.trainer_main`` on a Redis bus) or, with
``BPP_TRAINERS=0``, in one thread of the web process. Either way it is the same ``Worker``
speaking the same messages over a ``Channel`` (``app.trainer.channels``); only typed commands and
bytes cross it, never live objects.

The loop decides only *when*: it waits for commands (or for the other trainers' share), has the
handlers take those that came in (at most ``MESSAGES_PER_TURN``), trains one chunk, and sends
what the chunk published. Its parts, one job each:

- ``app.trainer.handlers`` — command intake, a handler per command type (``app.commands``),
  ``app.trainer.lifecycle`` for the sessions' lives, ``app.trainer.queries`` for the commands
  that only read a session;
- ``app.trainer.scheduler`` — fair shares of training time, stacked same-shaped sessions
  (``app.trainer.chunk_cost``: how much of a stack trains per chunk);
- ``app.trainer.publisher`` — frames, summaries, statuses, answers and checkpoints
  (``app.trainer.panels_out``: the page's panels);
- ``app.trainer.trains`` — train requests and jobs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from app.settings import Settings
from app.store import Store
from app.trainer.channels import Channel
from app.trainer.elsewhere import Elsewhere
from app.trainer.handlers import Handlers
from app.trainer.lifecycle import Lifecycle
from app.trainer.publisher import Publisher
from app.trainer.resident import Resident
from app.trainer.scheduler import Scheduler
from app.trainer.trains import TrainQueue

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 1.0  # how long an idle trainer waits for a command
MESSAGES_PER_TURN = 256  # commands handled between two chunks, at most


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
        self.residents: dict[str, Resident] = {}
        self.publisher = Publisher(settings, channel, store, clock)
        self.scheduler = Scheduler(
            self.residents, self.publisher, clock, job_weight=settings.job_weight
        )
        self.trains = TrainQueue(settings, self.publisher, self.scheduler, clock)
        self.scheduler.trains = self.trains
        self.elsewhere = Elsewhere(channel, clock, settings.share_interval)
        self.scheduler.elsewhere = self.elsewhere
        self.publisher.jobs_of = self.trains.saved
        self.life = Lifecycle(
            settings,
            self.residents,
            channel,
            store,
            self.publisher,
            self.scheduler,
            self.trains,
            clock,
        )
        self.handlers = Handlers(self.life, self.publisher, self.scheduler, self.trains)
        self.turn = self.scheduler.turn
        self.flush = self.publisher.flush

    @property
    def closed(self) -> bool:
        return self.life.closed

    @property
    def vtime(self) -> dict[str, float]:
        return self.scheduler.vtime

    @property
    def client_vtime(self) -> dict[str, float]:
        return self.scheduler.client_vtime

    def serve(self) -> None:
        """Handle commands and train until told to close or the channel closes."""
        try:
            while not self.closed:
                busy = any(r.runnable for r in self.residents.values())
                wait = self.elsewhere.wait(busy, IDLE_POLL_SECONDS)
                self.handlers.take(self.channel, wait, MESSAGES_PER_TURN)
                if not self.closed:
                    self.turn()
                    self.publisher.panels.send_stale(self.residents)
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
                self.publisher.save(r)
            except Exception:  # never let one session keep the others from being saved
                log.exception("trainer: could not save session %s", r.id)
        self.store.flush(timeout=10.0)
