"""The page's panels pushed on the stream: the loss history, the confusion matrix and the
replay range (``Resident.panel_messages``), so that the page never polls for them.

A playing session's panels go out with its frames, at most ``panel_rate`` times a second
(``due``); a stopped session's go out whole when they changed (a step, an edit: ``mark_stale``
and ``send_stale``), before the status that says it stopped (``before_status``), and when a
viewer connects (the ``Panels`` command). Publications go through the ``Publisher``, so they
leave in the same message as the turn's frames.
"""

from __future__ import annotations

from collections.abc import Callable

from app.trainer.resident import Resident

Publish = Callable[[Resident, str, bytes], None]


class PanelsOut:
    def __init__(self, publish: Publish, clock: Callable[[], float], panel_rate: float) -> None:
        self.publish = publish
        self.clock = clock
        self.interval = 1.0 / panel_rate
        self.last: dict[str, float] = {}  # when each session's panels were last sent
        self.stale: set[str] = set()  # sessions whose panels changed since last sent

    def forget(self, session_id: str) -> None:
        self.last.pop(session_id, None)
        self.stale.discard(session_id)

    def due(self, r: Resident, now: float) -> bool:
        return now - self.last.get(r.id, 0.0) >= self.interval

    def send(self, r: Resident, full: bool, now: float | None = None) -> None:
        """Push the page's panels (``Resident.panel_messages``) to the session's viewers; a
        ``full`` push carries the whole history (a stop, a reset, a viewer that connected)."""
        for kind, data in r.panel_messages(full):
            self.publish(r, kind, data)
        self.last[r.id] = self.clock() if now is None else now
        if full:
            self.stale.discard(r.id)

    def before_status(self, r: Resident) -> None:
        """Training stopped: the full panels go out before the status, so they match its epoch."""
        if r.viewers:
            self.send(r, True)

    def mark_stale(self, r: Resident) -> None:
        """A stopped session's panels changed (a step, an edit): sent by ``send_stale``."""
        self.stale.add(r.id)

    def send_stale(self, residents: dict[str, Resident]) -> None:
        """The full panels of stopped sessions that changed, at most ``panel_rate`` times a
        second each; a running one gets its panels with its frames."""
        if not self.stale:
            return
        now = self.clock()
        for sid in list(self.stale):
            r = residents.get(sid)
            if r is None or not r.viewers:
                self.stale.discard(sid)
            elif not r.runnable and self.due(r, now):
                self.send(r, True, now)
