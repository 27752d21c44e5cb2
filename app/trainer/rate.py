"""The adaptive frame rate (issue 21): how many frames a second every watched session of a
trainer gets.

One student alone gets ``frame_rate`` (the cap, 60: the page draws at the display's rate); a
class degrades evenly — every watched session of the trainer the same rate — and never below
``min_frame_rate`` (15). The rate comes from the trainer's measured cost of a frame: with ``n``
watched sessions and ``c`` seconds of the trainer per frame (node statistics, heatmap grids,
encoding; stacked per shape), frames take ``n · c · r`` of each second at rate ``r``. Frames may
take at most the share ``s`` (``frame_time_share``) of the trainer, the rest trains:

    r = clamp(s / (n · c), min_frame_rate, cap(n))                                      (1)

where ``cap(n)`` is ``frame_rate`` for up to ``solo_sessions`` watched sessions and
``class_frame_rate`` (36) for more: a class's cores go to training rather than to frames
beyond what a room tells apart (measured, 50 students: at 50 frames/s they trained 0.86× the
epochs of today's fixed 30; capped at 36, which delivers about 31, 1.17×), while one student
alone gets the display's rate.

``c`` is an exponential average of the measured seconds per frame (``COST_SMOOTHING``): making
the frames (``Publisher.send_frames``) and the frames' part (either form), by bytes, of sending
the turn's publications to the web process (``Publisher.flush``); ``n`` the sessions that got a
frame in the last ``WATCH_WINDOW`` seconds. ``c`` is measured in the trainer thread's CPU time
(``Publisher.cost_clock``, ``time.thread_time``), not wall time: on a machine whose cores are
shared (two trainers and the web process on two cores, other work beside them) the wall time
of a frame also counts the time the trainer waited for a core, which made frames look dearer
the busier the machine and cut every student's rate for it; in CPU time a frame costs what it
costs, and ``s`` is the share of the CPU the trainer gets. The rate moves only when
(1) differs from it by more than ``HYSTERESIS`` (or hits a bound), and at most every
``UPDATE_SECONDS``: a class does not see its rate wobble with every chunk.

With ``adaptive_frame_rate`` off the rate is ``frame_rate`` always (the design before issue 21).
"""

from __future__ import annotations

from app.settings import Settings

COST_SMOOTHING = 0.2  # weight of the latest measurement in the seconds-per-frame average
WATCH_WINDOW = 1.0  # seconds: a session framed within it counts as watched
UPDATE_SECONDS = 0.5  # the rate is decided again at most this often
HYSTERESIS = 0.1  # ... and changes only when (1) moved by more than this fraction


def class_frame_rate(
    watched: int,
    seconds_per_frame: float,
    *,
    max_rate: float,
    min_rate: float,
    share: float,
    class_rate: float | None = None,
    solo: int = 1,
) -> float:
    """Equation (1): frames per second for each of ``watched`` sessions when a frame costs the
    trainer ``seconds_per_frame`` and frames may take ``share`` of its time; within
    ``[min_rate, max_rate]`` (``min_rate`` wins should they cross), and at most ``class_rate``
    when more than ``solo`` sessions are watched."""
    if class_rate is not None and watched > solo:
        max_rate = min(max_rate, class_rate)
    if watched <= 0 or seconds_per_frame <= 0:
        return max_rate
    rate = share / (watched * seconds_per_frame)
    return max(min_rate, min(max_rate, rate))


class FrameRate:
    """The trainer's current frame rate, decided by (1) from what its frames cost."""

    def __init__(self, settings: Settings) -> None:
        self.max_rate = settings.frame_rate
        # an operator's frame_rate below min_frame_rate is the cap all the same
        self.min_rate = min(settings.min_frame_rate, settings.frame_rate)
        self.share = settings.frame_time_share
        self.class_rate = settings.class_frame_rate
        self.solo = settings.solo_sessions
        self.adaptive = settings.adaptive_frame_rate
        self.rate = self.max_rate
        self.seconds_per_frame: float | None = None
        self.framed: dict[str, float] = {}  # session → when it last got a frame
        self.decided = 0.0  # when the rate was last decided
        self.extra = 0.0  # seconds of frame cost measured since the last ``note`` (sending)
        self.turn_seconds = 0.0  # average cost of one turn's frames (all due sessions')

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    @property
    def training_interval(self) -> float:
        """Training time between two frames: the interval less what a turn's frames take (at
        least half the interval), so that a chunk and its frames together last one interval
        and one student alone sees ``frame_rate``, not ``frame_rate`` less the frames' time."""
        return max(0.5 * self.interval, self.interval - self.turn_seconds)

    def forget(self, session_id: str) -> None:
        self.framed.pop(session_id, None)

    def add_cost(self, seconds: float) -> None:
        """More cost of the frames already noted (sending them): counted with the next ones."""
        self.extra += seconds

    def note(self, session_ids: list[str], seconds: float, now: float) -> None:
        """``session_ids`` got a frame each, which took the trainer ``seconds`` together."""
        if not session_ids:
            return
        seconds, self.extra = seconds + self.extra, 0.0
        self.turn_seconds += COST_SMOOTHING * (seconds - self.turn_seconds)
        for sid in session_ids:
            self.framed[sid] = now
        if seconds > 0:
            measured = seconds / len(session_ids)
            old = self.seconds_per_frame
            self.seconds_per_frame = (
                measured if old is None else old + COST_SMOOTHING * (measured - old)
            )
        if self.adaptive and now - self.decided >= UPDATE_SECONDS:
            self.decide(now)

    def watched(self, now: float) -> int:
        for sid in [s for s, t in self.framed.items() if now - t > WATCH_WINDOW]:
            del self.framed[sid]
        return len(self.framed)

    def decide(self, now: float) -> float:
        """Apply (1) to what was measured (with ``HYSTERESIS``); the rate in force after."""
        self.decided = now
        target = class_frame_rate(
            self.watched(now),
            self.seconds_per_frame or 0.0,
            max_rate=self.max_rate,
            min_rate=self.min_rate,
            share=self.share,
            class_rate=self.class_rate,
            solo=self.solo,
        )
        at_bound = target in (self.max_rate, self.min_rate, self.class_rate)
        if at_bound or abs(target - self.rate) > HYSTERESIS * self.rate:
            self.rate = target
        return self.rate
