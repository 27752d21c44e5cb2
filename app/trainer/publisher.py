"""What a trainer sends out: frames, summaries and statuses for a session's viewers (and, through
``app.trainer.panels_out``, the page's panels), answers to commands, and checkpoints for the
store — each encoded once here, whatever the number of viewers.

Publications collect in ``out`` and leave in one ``("pub", [...])`` message per turn
(``flush``); an answer flushes them first, so an operation's publications always arrive
before its reply.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from app.settings import Settings
from app.store import Store
from app.trainer import frame_binary
from app.trainer.channels import Channel
from app.trainer.panels_out import PanelsOut
from app.trainer.rate import FrameRate
from app.trainer.resident import FrameStats, Resident
from engine.stacked import StackedTrainer

BINARY_FRAME = "frame_bin"  # the binary form of a frame (app.web.hub: binary viewers only)
FRAME_KINDS = ("frame", BINARY_FRAME)


def wants_json(r: Resident) -> bool:
    """Whether a viewer of ``r`` reads JSON frames (or nobody said it reads binary), or an
    open network question hides part of its frames (``sends_binary``)."""
    return r.binary_viewers == 0 or r.viewers > r.binary_viewers or bool(r.concealment.fields)


def sends_binary(r: Resident) -> bool:
    """Whether ``r``'s frames go out in binary too: a viewer reads binary and no question
    hides part of them (then every viewer gets the JSON form, which leaves out the hidden
    fields and the batch's mean gradients and says so in ``concealed``; the page reads both)."""
    return r.binary_viewers > 0 and not r.concealment.fields


class Publisher:
    def __init__(
        self,
        settings: Settings,
        channel: Channel,
        store: Store | None,
        clock: Callable[[], float],
    ) -> None:
        self.settings = settings
        self.channel = channel
        self.store = store
        self.clock = clock
        self.rate = FrameRate(settings)  # the adaptive frame rate (issue 21)
        # what frames cost, in the trainer thread's CPU seconds (``app.trainer.rate``)
        self.cost_clock: Callable[[], float] = time.thread_time
        self.summary_interval = 1.0 / settings.summary_rate
        self.out: list[tuple[str, str, bytes]] = []
        self.last_frame: dict[str, float] = {}
        self.last_summary: dict[str, float] = {}
        self.last_saved: dict[str, float] = {}
        self.grid_turn: dict[str, int] = {}  # frames since the last binary frame with a grid
        # the page's panels (history, confusion, replay range), pushed on the stream
        self.panels = PanelsOut(self.publish, clock, settings.panel_rate)
        # the session's jobs as its checkpoint keeps them (``TrainQueue.saved``, set by the worker)
        self.jobs_of: Callable[[Resident], list[dict[str, Any]]] = lambda _r: []

    def forget(self, session_id: str) -> None:
        self.grid_turn.pop(session_id, None)
        for table in (self.last_frame, self.last_summary, self.last_saved):
            table.pop(session_id, None)
        self.panels.forget(session_id)
        self.rate.forget(session_id)

    @property
    def frame_interval(self) -> float:
        """Seconds of training between two frames of a watched session (a chunk's budget): the
        adaptive rate's interval less what a turn's frames take (``FrameRate``)."""
        return self.rate.training_interval

    # -- out ----------------------------------------------------------------------------------
    def flush(self) -> None:
        if self.out:
            out, self.out = self.out, []
            start = self.cost_clock()
            self.channel.send(("pub", out))
            frames = sum(len(data) for _sid, kind, data in out if kind in FRAME_KINDS)
            if frames:  # the frames' part of sending them counts as their cost too
                total = sum(len(data) for _sid, _kind, data in out)
                self.rate.add_cost((self.cost_clock() - start) * frames / total)

    def publish(self, r: Resident, kind: str, data: bytes) -> None:
        self.out.append((r.id, kind, data))

    def reply(self, request_id: Any, ok: bool, payload: Any) -> None:
        if request_id is None:
            return
        self.flush()
        self.channel.send(("reply", request_id, ok, payload))

    # -- what viewers see ---------------------------------------------------------------------
    def frame_due(self, r: Resident, now: float) -> bool:
        return now - self.last_frame.get(r.id, 0.0) >= 0.9 * self.rate.interval

    def summary_due(self, r: Resident, now: float) -> bool:
        return now - self.last_summary.get(r.id, 0.0) >= self.summary_interval

    def send_frames(self, due: list[Resident], stack: StackedTrainer | None, now: float) -> None:
        """Frames for ``due`` (same-shaped sessions): their node statistics and heatmap grids
        are computed in one stacked engine call per grid they share, and the binary frames of
        those with binary viewers encoded in one ``encode_stack`` call. In a large class
        (``frame_grid_class_size`` due at once) a running session's binary frames carry the
        grid and node statistics only every ``frame_grid_every``-th frame. Their cost, measured
        here in the trainer thread's CPU time, sets the frame rate (``FrameRate.note``)."""
        if not due:
            return
        start = self.cost_clock()
        self._send_frames(due, stack, now)
        self.rate.note([r.id for r in due], self.cost_clock() - start, now)

    def _send_frames(self, due: list[Resident], stack: StackedTrainer | None, now: float) -> None:
        every = self.settings.frame_grid_every
        thin = every > 1 and len(due) >= self.settings.frame_grid_class_size
        if stack is None or len(due) < 2:
            for r in due:
                self.publish_frame(r, now)
            return
        groups: dict[tuple, list[Resident]] = {}
        for r in due:  # one grid, one set of concealed probe fields
            groups.setdefault((r.grid_key, r.conceal), []).append(r)
        for members in groups.values():
            if len(members) == 1:
                self.publish_frame(members[0], now)
                continue
            binary = [i for i, r in enumerate(members) if sends_binary(r)]
            chosen = [members[i].frame_member() for i in binary]
            if thin:
                for member, i in zip(chosen, binary, strict=True):
                    member.keep = self.keep_grid(members[i], every)
            # the grid only for the frames that carry one: JSON frames and the binary ones
            # that do not keep the last (``frame_grid_every``)
            kept = {i for member, i in zip(chosen, binary, strict=True) if member.keep}
            rows = [i for i, r in enumerate(members) if i not in kept or wants_json(r)]
            if not rows:  # every frame keeps its last grid and node statistics: none needed
                kept_frames = frame_binary.encode_stack(
                    chosen, members[0].built.dataset, None, None
                )
                for i, one in zip(binary, kept_frames, strict=True):
                    self.publish(members[i], BINARY_FRAME, one)
                for r in members:
                    self.last_frame[r.id] = now
                continue
            stats = stack.frame_stats(
                [r.trainer for r in members],
                members[0].grid_inputs(),
                rows if len(rows) < len(members) else None,
            )
            for i, r in enumerate(members):
                if wants_json(r):
                    self.publish(r, "frame", r.frame_bytes(stats=stats.member(i)))
            if binary:
                node, grid = stats.node_stats, stats.grid
                if len(binary) < len(members):
                    pick = np.asarray(binary)
                    node = [(m[pick], d[pick]) for m, d in node]
                if grid is not None:  # the rows of the binary frames that carry a grid
                    at = {i: k for k, i in enumerate(stats.grid_rows or range(len(members)))}
                    carry = [at[i] for i in binary if i not in kept]
                    if carry != list(range(len(grid[0]))):
                        grid = [a[np.asarray(carry, dtype=np.intp)] for a in grid]
                encoded = frame_binary.encode_stack(chosen, members[0].built.dataset, node, grid)
                for i, data in zip(binary, encoded, strict=True):
                    self.publish(members[i], BINARY_FRAME, data)
            for r in members:
                self.last_frame[r.id] = now

    def keep_grid(self, r: Resident, every: int) -> bool:
        """Whether this frame of a running ``r`` leaves its grid out (all but every n-th)."""
        if not r.running:
            return False
        n = self.grid_turn.get(r.id, 0)
        self.grid_turn[r.id] = (n + 1) % every
        return n != 0

    def publish_frame(
        self, r: Resident, now: float | None = None, stats: FrameStats | None = None
    ) -> None:
        """The session's frame in the forms its viewers read: JSON (``frame``) unless every
        viewer reads binary, then binary (``frame_bin``) when one does — last, so that it is
        what a binary viewer's mailbox keeps."""
        if wants_json(r):
            self.publish(r, "frame", r.frame_bytes(stats=stats))
        if sends_binary(r):
            self.publish(r, BINARY_FRAME, r.binary_frame(stats))
        self.last_frame[r.id] = self.clock() if now is None else now

    def send_frame(
        self, r: Resident, now: float | None = None, stats: FrameStats | None = None
    ) -> bytes:
        """``publish_frame``, answering the JSON frame (an operation's reply)."""
        data = r.frame_bytes(stats=stats)
        self.publish(r, "frame", data)
        if sends_binary(r):
            self.publish(r, BINARY_FRAME, r.binary_frame(stats))
        self.last_frame[r.id] = self.clock() if now is None else now
        return data

    def send_summary(self, r: Resident, now: float | None = None) -> None:
        self.publish(r, "summary", r.summary_bytes())
        self.last_summary[r.id] = self.clock() if now is None else now

    def send_status(self, r: Resident) -> None:
        self.publish(r, "status", r.status_bytes())
        if r.summary_viewers:
            self.send_summary(r)

    # -- the store ----------------------------------------------------------------------------
    def save_due(self, r: Resident, now: float) -> bool:
        return now - self.last_saved.get(r.id, 0.0) >= self.settings.checkpoint_seconds

    def save(self, r: Resident) -> None:
        """Queue the session's checkpoint for the store (never waits for the database)."""
        self.last_saved[r.id] = self.clock()
        if self.store is not None:
            data = r.checkpoint_bytes(self.jobs_of(r))
            self.store.checkpoint(r.id, r.status, int(r.trainer.epoch), data)
