"""Sessions sharing the server's threads: a busy or slow session must not hold up the others.

Sessions are driven directly (no HTTP) on an event loop of their own thread. A session that is
"busy" is simulated by holding its engine lock, as a long REST request does. Timeouts here only
detect a deadlock; nothing asserts a speed.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from app.hub import LocalHub
from app.runner import REST_THREADS, Runner
from app.schemas import SessionCreate
from app.session import TrainingSession
from app.settings import Settings

XOR = {
    "network": {"hidden_layers": [4], "activations": ["tanh", "sigmoid"]},
    "dataset": {"name": "xor_table"},
    "training": {"learning_rate": 0.5, "batch_size": 4},
}
DEADLOCK = 10.0  # seconds: far beyond any honest wait


def run(main):
    """``asyncio.run(main())`` on a thread of its own (another test may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def sessions(n: int, settings: Settings | None = None):
    settings = settings or Settings()
    hub, runner = LocalHub(), Runner(settings)
    made = [TrainingSession(f"s{i}", SessionCreate(**XOR), settings, hub, runner) for i in range(n)]
    return runner, made


async def epochs_reach(session: TrainingSession, epoch: int) -> None:
    while session.trainer.epoch < epoch:
        await asyncio.sleep(0.005)


def test_rest_calls_waiting_on_a_busy_session_leave_the_pool_to_other_sessions():
    runner, (busy, other) = sessions(2)

    async def main() -> dict:
        busy.lock.acquire()  # a long request holds the session
        waiting = [asyncio.create_task(busy.history_text()) for _ in range(REST_THREADS + 2)]
        await asyncio.sleep(0.05)
        try:
            return await asyncio.wait_for(other.history_text(), DEADLOCK)
        finally:
            busy.lock.release()
            await asyncio.gather(*waiting)

    try:
        assert json.loads(run(main))["epoch"] == [0]
    finally:
        runner.close()


def test_a_closed_session_stops_a_rest_train_in_progress():
    runner, (session,) = sessions(1)

    async def main() -> int:
        training = asyncio.create_task(session.train(10_000))
        await asyncio.wait_for(epochs_reach(session, 5), DEADLOCK)
        await session.close()
        await asyncio.wait_for(training, DEADLOCK)
        return session.trainer.epoch

    try:
        assert 5 <= run(main) < 10_000
    finally:
        runner.close()


def test_a_busy_session_does_not_stall_the_other_playing_sessions():
    runner, (busy, playing) = sessions(2)

    async def main() -> tuple[int, int]:
        await busy.play()
        await playing.play()
        await asyncio.wait_for(epochs_reach(busy, 1), DEADLOCK)
        busy.lock.acquire()  # a long REST request on the busy session
        try:
            await asyncio.sleep(0.1)  # the runner has met the busy session in its line
            start = playing.trainer.epoch
            await asyncio.wait_for(epochs_reach(playing, start + 50), DEADLOCK)
            return start, playing.trainer.epoch
        finally:
            busy.lock.release()
            await busy.pause()
            await playing.pause()

    try:
        start, end = run(main)
        assert end >= start + 50
    finally:
        runner.close()


def test_a_lone_busy_session_resumes_playing_when_its_request_ends():
    runner, (session,) = sessions(1)

    async def main() -> None:
        await session.play()
        session.lock.acquire()
        await asyncio.sleep(0.05)  # the runner meets a busy session meanwhile
        start = session.trainer.epoch
        session.lock.release()
        await asyncio.wait_for(epochs_reach(session, start + 20), DEADLOCK)
        await session.pause()

    try:
        run(main)
        assert session.status == "paused"
    finally:
        runner.close()


def test_a_closed_session_never_plays_again():
    runner, (session,) = sessions(1)

    async def main() -> None:
        await session.close()
        await session.play()

    try:
        run(main)
        assert session.status == "paused" and runner.playing == 0
        assert session.play_chunk(0.01) is False
        assert session.trainer.epoch == 0
    finally:
        runner.close()
