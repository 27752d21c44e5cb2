"""The fan-out hub: a viewer's mailbox holds the newest message of each kind, never a queue."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from app.web.hub import QUEUE_LIMIT, LocalHub, Mailbox


def run(main):
    """``run(main)`` on a thread of its own (another test may hold this thread's loop)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def test_a_viewer_that_never_reads_holds_one_message_per_kind():
    async def main() -> Mailbox:
        hub = LocalHub()
        idle = hub.subscribe("s")
        for epoch in range(10_000):
            hub.publish("s", "frame", f"frame {epoch}")
            if epoch % 10 == 0:
                hub.publish("s", "status", f"status {epoch}")
        return idle

    idle = run(main)
    assert idle.pending() == 2


def test_a_viewer_that_never_reads_holds_a_bounded_number_of_errors_and_sample_steps():
    async def main() -> Mailbox:
        hub = LocalHub()
        idle = hub.subscribe("s")
        for n in range(10_000):
            hub.publish("s", "frame", f"frame {n}")
            hub.publish("s", "status", f"status {n}")
            hub.publish("s", "sample_step", f"step {n}")
            idle.put("error", f"error {n}")
        return idle

    idle = run(main)
    assert idle.pending() == 2 + 2 * QUEUE_LIMIT


def test_errors_and_sample_steps_are_queued_not_overwritten_and_keep_their_order():
    async def main() -> list[str | None]:
        box = LocalHub().subscribe("s")
        for n in range(10):
            box.put("error", f"error {n}")
        box.put("sample_step", "step 0")
        box.put("frame", "frame")
        box.put("sample_step", "step 1")
        return [await box.get() for _ in range(box.pending())]

    assert run(main) == [f"error {n}" for n in range(10)] + ["step 0", "frame", "step 1"]


def test_beyond_the_queue_limit_the_oldest_errors_are_dropped():
    async def main() -> list[str | None]:
        box = LocalHub().subscribe("s")
        for n in range(QUEUE_LIMIT + 5):
            box.put("error", f"error {n}")
        return [await box.get() for _ in range(box.pending())]

    assert run(main) == [f"error {n}" for n in range(5, QUEUE_LIMIT + 5)]


def test_a_slow_viewer_gets_the_newest_frame():
    async def main() -> list[str | None]:
        hub = LocalHub()
        slow = hub.subscribe("s")
        for epoch in range(100):
            hub.publish("s", "frame", f"frame {epoch}")
        return [await slow.get()]

    assert run(main) == ["frame 99"]


def test_publishing_never_waits_for_viewers_and_every_viewer_gets_frames():
    async def main() -> tuple[list[str], int]:
        hub = LocalHub()
        fast = hub.subscribe("s")
        stalled = hub.subscribe("s")  # never read
        got: list[str] = []
        for epoch in range(50):
            hub.publish("s", "frame", f"frame {epoch}")
            got.append(await fast.get() or "")
        return got, stalled.pending()

    got, stalled_pending = run(main)
    assert got == [f"frame {e}" for e in range(50)]
    assert stalled_pending == 1


def test_messages_of_different_kinds_keep_their_order():
    async def main() -> list[str | None]:
        hub = LocalHub()
        box = hub.subscribe("s")
        hub.publish("s", "frame", "old frame")
        hub.publish("s", "sample_step", "step")
        hub.publish("s", "frame", "new frame")
        return [await box.get(), await box.get()]

    assert run(main) == ["step", "new frame"]


def test_sessions_are_isolated_and_closing_wakes_readers():
    async def main() -> tuple[int, str | None, int]:
        hub = LocalHub()
        a = hub.subscribe("a")
        b = hub.subscribe("b")
        hub.publish("a", "frame", "for a")
        waiter = asyncio.create_task(b.get())
        await asyncio.sleep(0)
        hub.close_session("b")
        return a.pending(), await waiter, hub.viewers("b")

    assert run(main) == (1, None, 0)


def test_unsubscribe_forgets_the_viewer():
    async def main() -> int:
        hub = LocalHub()
        box = hub.subscribe("s")
        hub.unsubscribe("s", box)
        hub.publish("s", "frame", "x")
        return box.pending() + hub.viewers("s")

    assert run(main) == 0
