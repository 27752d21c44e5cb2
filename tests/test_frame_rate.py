"""The adaptive frame rate (issue 21, ``app.trainer.rate``): the rule, equation (1), and a real
trainer loop giving every watched session the same rate."""

from __future__ import annotations

import time

import pytest

from app.settings import Settings
from app.trainer.publisher import Publisher
from app.trainer.rate import UPDATE_SECONDS, FrameRate, class_frame_rate
from app.trainer.resident import Resident
from app.trainer.worker import Worker
from tests.test_worker import BIG, SMALL, Recorder, command, create

RULE = {"max_rate": 60.0, "min_rate": 15.0, "share": 0.5}


def test_one_student_alone_gets_the_cap():
    assert class_frame_rate(1, 0.0005, **RULE) == 60.0


def test_a_class_shares_the_frame_budget_evenly():
    # 200 sessions, 0.1 ms a frame, half the trainer: 0.5 / (200 · 1e-4) = 25 frames/s each
    assert class_frame_rate(200, 1e-4, **RULE) == pytest.approx(25.0)
    # twice the class, half the rate
    assert class_frame_rate(100, 1e-4, **RULE) == pytest.approx(50.0)


def test_a_class_is_capped_at_the_class_rate_while_a_few_students_get_the_full_cap():
    """More than ``solo`` watched sessions are a class: at most ``class_rate`` however cheap a
    frame is; up to ``solo`` of them still get ``max_rate``; the budget rule still lowers a
    class below the class cap, and the floor still holds."""
    rule = {**RULE, "class_rate": 30.0, "solo": 4}
    assert class_frame_rate(1, 1e-5, **rule) == 60.0
    assert class_frame_rate(4, 1e-5, **rule) == 60.0
    assert class_frame_rate(5, 1e-5, **rule) == 30.0
    assert class_frame_rate(50, 1e-5, **rule) == 30.0
    assert class_frame_rate(200, 1e-4, **rule) == pytest.approx(25.0)  # (1) below the cap
    assert class_frame_rate(1000, 1e-3, **rule) == 15.0


def test_a_trainer_framing_a_class_settles_on_the_class_rate():
    rate = FrameRate(Settings(frame_rate=60, class_frame_rate=30, solo_sessions=4))
    rate.note(["alone"], 1e-5, now=1.0)
    assert rate.rate == 60.0
    rate.note([f"s{i}" for i in range(50)], 50 * 1e-5, now=1.0 + UPDATE_SECONDS)
    assert rate.rate == 30.0


def test_the_rate_never_goes_below_the_floor():
    assert class_frame_rate(1000, 1e-3, **RULE) == 15.0


def test_nothing_measured_yet_is_the_cap():
    assert class_frame_rate(0, 1e-3, **RULE) == 60.0
    assert class_frame_rate(50, 0.0, **RULE) == 60.0


def test_the_floor_wins_when_it_is_above_the_cap():
    assert class_frame_rate(1000, 1e-3, max_rate=10.0, min_rate=15.0, share=0.5) == 15.0


def test_frame_rate_follows_the_measured_cost_and_ignores_small_wobbles():
    rate = FrameRate(
        Settings(frame_rate=60, class_frame_rate=60, min_frame_rate=15, frame_time_share=0.5)
    )
    ids = [f"s{i}" for i in range(100)]
    rate.note(ids, 100 * 2e-4, now=1.0)  # 0.5 / (100 · 2e-4) = 25
    assert rate.rate == pytest.approx(25.0)
    rate.note(ids, 100 * 2.1e-4, now=1.0 + 2 * UPDATE_SECONDS)  # (1) moves by < 10 %: kept
    assert rate.rate == pytest.approx(25.0)
    assert rate.interval == pytest.approx(1 / 25)


def test_sessions_unframed_for_a_while_no_longer_count_as_watched():
    rate = FrameRate(Settings(frame_rate=60, min_frame_rate=15, frame_time_share=0.5))
    rate.note([f"s{i}" for i in range(100)], 100 * 2e-4, now=1.0)
    assert rate.rate < 60
    rate.note(["alone"], 2e-4, now=5.0)  # the class left; one student: 0.5 / 2e-4 ≫ 60
    assert rate.rate == 60.0


def test_fixed_rate_when_adaptive_is_off():
    rate = FrameRate(Settings(frame_rate=30, adaptive_frame_rate=False))
    rate.note([f"s{i}" for i in range(500)], 500 * 1e-3, now=1.0)
    assert rate.rate == 30.0


def test_two_sessions_of_one_trainer_get_the_same_rate():
    """A small and a large network in one trainer, both watched, frames squeezed (a tiny share
    of the trainer): both get the floor's rate, the same within a couple of frames."""
    settings = Settings(frame_rate=60, min_frame_rate=10, frame_time_share=0.001)
    channel = Recorder()
    w = Worker(settings, channel)
    create(w, "small", SMALL, client="a")
    create(w, "big", BIG, client="b")
    for sid in ("small", "big"):
        command(w, "watch", sid, viewers=1, summary_viewers=0)
        command(w, "play", sid)
    warm = time.perf_counter() + 0.5
    while time.perf_counter() < warm:
        w.turn()
        w.flush()
    channel.sent.clear()
    window = 2.0
    end = time.perf_counter() + window
    while time.perf_counter() < end:
        w.turn()
        w.flush()
    frames = {sid: len(channel.published(sid, "frame")) for sid in ("small", "big")}
    assert w.publisher.rate.rate == 10.0  # degraded to the floor, not below
    for n in frames.values():
        assert 10 * window * 0.5 <= n <= 10 * window * 1.2 + 1, frames  # (a busy machine: less)
    assert abs(frames["small"] - frames["big"]) <= 3, frames


def test_the_cost_of_sending_frames_counts_with_the_next_ones():
    settings = Settings(frame_rate=60, class_frame_rate=60, min_frame_rate=15, frame_time_share=0.5)
    rate = FrameRate(settings)
    ids = [f"s{i}" for i in range(100)]
    rate.note(ids, 100 * 1e-4, now=1.0)  # 0.5 / (100 · 1e-4) = 50
    assert rate.rate == pytest.approx(50.0)
    rate.seconds_per_frame = None
    rate.add_cost(100 * 1e-4)  # sending them cost as much again: 0.5 / (100 · 2e-4) = 25
    rate.note(ids, 100 * 1e-4, now=1.0 + 2 * UPDATE_SECONDS)
    assert rate.rate == pytest.approx(25.0)


def test_a_chunk_leaves_room_for_its_frames_within_the_interval():
    rate = FrameRate(Settings(frame_rate=50, min_frame_rate=15, frame_time_share=0.5))
    assert rate.training_interval == pytest.approx(0.02)
    for k in range(40):  # one student, 4 ms a frame: 0.5 / 4e-3 ≫ 50, the cap stays
        rate.note(["alone"], 4e-3, now=1.0 + k * 0.02)
    assert rate.rate == 50.0
    assert rate.training_interval == pytest.approx(0.016, abs=1e-4)
    rate.note(["alone"], 1.0, now=3.0)  # a huge turn: never less than half the interval
    assert rate.training_interval == pytest.approx(0.5 * rate.interval)


def test_a_frames_cost_is_the_trainers_cpu_time_not_the_wall_time_it_waited():
    """On a busy machine a frame's wall time counts the time the trainer waited for a core:
    the cost the rate follows is the trainer thread's CPU time (``Publisher.cost_clock``),
    binary frames' part of sending them included."""
    wall, cpu = [0.0], [0.0]

    def wall_clock() -> float:  # a starved trainer: 10 s of waiting between any two reads
        wall[0] += 10.0
        return wall[0]

    def cpu_clock() -> float:  # ... and 1 ms of its own work
        cpu[0] += 1e-3
        return cpu[0]

    pub = Publisher(Settings(), Recorder(), None, wall_clock)
    pub.cost_clock = cpu_clock
    rs = [Resident(f"s{k}", "c", SMALL, Settings()) for k in range(2)]
    for r in rs:
        r.viewers = r.binary_viewers = 1
    pub.send_frames(rs, None, 0.0)  # 1 ms for the two
    assert pub.rate.seconds_per_frame == pytest.approx(0.5e-3)
    pub.flush()  # 1 ms to send them, all of it frames' (binary) bytes
    assert pub.rate.extra == pytest.approx(1e-3)
