"""The runner's line of playing sessions, with fake sessions (no engine). Timeouts only detect
a hang; no test asserts a speed."""

from __future__ import annotations

import threading
import time

from app.runner import BUSY_WAIT_SECONDS, Runner
from app.settings import Settings

HANG = 10.0


class Fake:
    """A Playable that records how many of its chunks run at once; the first chunk can be held."""

    def __init__(self, hold_first: bool = False, busy: bool = False) -> None:
        self.busy = busy
        self.chunks = 0
        self.running_now = 0
        self.most_at_once = 0
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold_first:
            self.release.set()
        self.lock = threading.Lock()

    def play_chunk(self, budget: float) -> bool | None:
        if self.busy:
            self.chunks += 1
            return None
        with self.lock:
            self.running_now += 1
            self.most_at_once = max(self.most_at_once, self.running_now)
        self.started.set()
        self.release.wait(HANG)
        time.sleep(0.001)
        with self.lock:
            self.running_now -= 1
            self.chunks += 1
        return True


def wait_for(predicate) -> None:
    deadline = time.monotonic() + HANG
    while not predicate():
        assert time.monotonic() < deadline, "hung"
        time.sleep(0.001)


def test_stop_then_start_during_a_chunk_never_runs_two_chunks_of_one_session():
    runner = Runner(Settings(training_threads=2))
    session = Fake(hold_first=True)
    try:
        runner.start(session)
        assert session.started.wait(HANG)
        runner.stop(session)  # one viewer pauses ...
        runner.start(session)  # ... another plays, while the chunk still runs
        session.release.set()
        wait_for(lambda: session.chunks >= 30)
        assert session.most_at_once == 1
    finally:
        runner.close()


def test_stop_then_start_while_queued_keeps_one_place_in_the_line():
    runner = Runner(Settings(training_threads=1))
    blocker, session, other = Fake(hold_first=True), Fake(), Fake()
    try:
        runner.start(blocker)
        assert blocker.started.wait(HANG)  # the only worker is held: the others wait in line
        runner.start(session)
        runner.stop(session)
        runner.start(session)
        runner.start(other)
        blocker.release.set()
        wait_for(lambda: other.chunks >= 20)
        runner.stop(blocker)
        runner.stop(session)
        runner.stop(other)
        # round robin: with one place each, nobody gets twice the other's share
        assert abs(session.chunks - other.chunks) <= 2
    finally:
        runner.close()


def test_a_session_paused_and_played_during_its_last_chunk_keeps_playing():
    class StopsOnce(Fake):
        def play_chunk(self, budget: float) -> bool | None:
            first = self.chunks == 0
            super().play_chunk(budget)
            return not first  # the first chunk saw the pause

    runner = Runner(Settings(training_threads=1))
    session = StopsOnce(hold_first=True)
    try:
        runner.start(session)
        assert session.started.wait(HANG)
        runner.stop(session)
        runner.start(session)
        session.release.set()
        wait_for(lambda: session.chunks >= 5)
    finally:
        runner.close()


def test_a_busy_session_alone_in_the_line_is_retried_without_spinning():
    runner = Runner(Settings(training_threads=1))
    session = Fake(busy=True)
    try:
        runner.start(session)
        time.sleep(0.2)
        tries = session.chunks
        assert runner.playing == 1  # still scheduled: it plays once its request ends
    finally:
        runner.close()
    # a spinning worker would try tens of thousands of times; a waiting one about 40
    assert 1 <= tries <= 5 * 0.2 / BUSY_WAIT_SECONDS
