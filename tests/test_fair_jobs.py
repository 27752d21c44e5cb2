"""Issue 22, fair shares against jobs, end to end: a real server with one real trainer process,
two clients told apart by X-Forwarded-For. The calm client's playing session must keep most of
the trainer beside the busy client's four jobs (``app.trainer.shares``: 1 / (1 + job_weight),
0.91 at the default; the old rule gave it a half).

The machine is shared and noisy, so the test compares within itself: the calm session's epochs
per CPU-second of the trainer process, beside the jobs over alone (before and after, pooled) —
the share of the trainer's time it got, whatever share of the machine the trainer got."""

from __future__ import annotations

import json
import os
import threading
import time

import httpx
import pytest
from websockets.sync.client import connect

from app.commands import Shares, UsageReport
from app.seam.pipes import TrainerPool
from app.seam.usage import UsageBoard
from app.settings import Settings
from tests.support.server import start_server
from tests.test_worker import (
    SMALL,
    command,
    create,
    timed,  # noqa: F401 (the fake-clock worker, for ``fake_time``)
)

JOB = {"network": {"hidden_layers": [32] * 4}, "dataset": {"name": "circle", "n": 2000}}
JOBS = 4
WINDOW_SECONDS = 2.5
BOUND = 0.7  # the calm session's share of the trainer: 0.91 expected, 0.5 under the old rule
CALM, BUSY = {"X-Forwarded-For": "10.22.0.1"}, {"X-Forwarded-For": "10.22.0.2"}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` so far (from /proc)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(b")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


def drain(ws, stop: threading.Event) -> None:
    """Take every message, so that the viewer counts as watching (and the session plays)."""
    while not stop.is_set():
        try:
            ws.recv(timeout=0.5)
        except TimeoutError:
            continue
        except Exception:
            return


@pytest.fixture
def server(tmp_path):
    env = {
        "BPP_TRAINERS": "1",
        "BPP_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "BPP_MAX_TRAIN_WORK": str(10**13),
    }
    proc = start_server(env=env, log_dir=tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


def test_a_playing_session_keeps_its_share_of_the_trainer_beside_another_clients_jobs(server):
    calm = httpx.Client(base_url=server.url, headers=CALM, timeout=30, trust_env=False)
    busy = httpx.Client(base_url=server.url, headers=BUSY, timeout=30, trust_env=False)
    sid = calm.post("/api/sessions", json={}).json()["id"]
    trainers = [pid for pid in server.pids() if pid != server.pid]
    url = server.url.replace("http", "ws", 1) + f"/api/sessions/{sid}/stream"

    def epochs_per_trainer_second(seconds: float) -> float:
        epoch, cpu = calm.get(f"/api/sessions/{sid}").json()["epoch"], cpu_seconds(trainers)
        time.sleep(seconds)
        epochs = calm.get(f"/api/sessions/{sid}").json()["epoch"] - epoch
        return epochs / max(cpu_seconds(trainers) - cpu, 1e-3)

    stop = threading.Event()
    with connect(url, open_timeout=30, additional_headers=CALM) as ws:
        reader = threading.Thread(target=drain, args=(ws, stop), daemon=True)
        reader.start()
        ws.send(json.dumps({"type": "play"}))
        epochs_per_trainer_second(0.5)  # warm-up
        before = epochs_per_trainer_second(WINDOW_SECONDS)
        jobs = [busy.post("/api/sessions", json=JOB).json()["id"] for _ in range(JOBS)]
        for job in jobs:
            r = busy.post(f"/api/sessions/{job}/train", json={"epochs": 10_000, "job": True})
            assert r.status_code == 202, r.text
        epochs_per_trainer_second(0.5)
        beside = epochs_per_trainer_second(WINDOW_SECONDS)
        progress = [busy.get(f"/api/sessions/{job}").json()["epoch"] for job in jobs]
        for job in jobs:
            busy.delete(f"/api/sessions/{job}")
        epochs_per_trainer_second(0.5)
        after = epochs_per_trainer_second(WINDOW_SECONDS)
        stop.set()
        reader.join(timeout=5)
    share = beside / ((before + after) / 2)
    assert share >= BOUND, (share, before, beside, after)
    assert sum(progress) > 0  # the jobs trained too


# -- two trainer processes: shares across them (``app.trainer.elsewhere``) ---------------------
REST_BOUND = 0.4  # the jobs-only trainer's CPU over the playing one's: 0.1 expected, ~1 before
REST_WINDOW_SECONDS = 1.5  # CPU seconds per trainer compared within the window: enough


def trainer_pids(server) -> list[int]:
    """The server's trainer processes (spawned by multiprocessing; not its resource tracker)."""
    out = []
    for pid in server.pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"spawn_main" in f.read():
                    out.append(pid)
        except OSError:
            continue
    return out


@pytest.fixture
def two_trainers(tmp_path):
    env = {
        "BPP_TRAINERS": "2",
        "BPP_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "BPP_MAX_TRAIN_WORK": str(10**13),
        **(
            {"BPP_SHARE_INTERVAL": os.environ["BPP_SHARE_INTERVAL"]}
            if "BPP_SHARE_INTERVAL" in os.environ
            else {}
        ),
    }
    proc = start_server(env=env, log_dir=tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


def test_a_trainer_with_only_jobs_rests_while_another_clients_session_plays_on_the_other(
    two_trainers,
):
    """Two trainer processes on shared cores: the calm session plays on one, the busy client's
    jobs run on both. The trainer left with only jobs must rest (eq. 4 of
    ``app.trainer.elsewhere``: job_weight / (1 + job_weight) of the time), so that its core
    is not taken from the playing one; before, it spent as much CPU as the playing trainer.
    Once the calm session pauses it trains flat out again (the shares stay work-conserving).
    CPU seconds per trainer, compared within one run, whatever the machine's load."""
    server = two_trainers
    calm = httpx.Client(base_url=server.url, headers=CALM, timeout=30, trust_env=False)
    busy = httpx.Client(base_url=server.url, headers=BUSY, timeout=30, trust_env=False)
    sid = calm.post("/api/sessions", json={}).json()["id"]  # placed first: trainer 0
    url = server.url.replace("http", "ws", 1) + f"/api/sessions/{sid}/stream"
    stop = threading.Event()
    with connect(url, open_timeout=30, additional_headers=CALM) as ws:
        reader = threading.Thread(target=drain, args=(ws, stop), daemon=True)
        reader.start()
        ws.send(json.dumps({"type": "play"}))
        jobs = [busy.post("/api/sessions", json=JOB).json()["id"] for _ in range(JOBS)]
        for job in jobs:  # two on each trainer (placement: fewest sessions first)
            r = busy.post(f"/api/sessions/{job}/train", json={"epochs": 10_000, "job": True})
            assert r.status_code == 202, r.text
        pids = trainer_pids(server)
        assert len(pids) == 2, pids

        def cpu_each(seconds: float) -> list[float]:
            start = [cpu_seconds([pid]) for pid in pids]
            time.sleep(seconds)
            return [cpu_seconds([pid]) - s for pid, s in zip(pids, start, strict=True)]

        time.sleep(0.5)  # the reports go round (``share_interval``)
        playing = cpu_each(REST_WINDOW_SECONDS)
        progress = [busy.get(f"/api/sessions/{job}").json()["epoch"] for job in jobs]
        ws.send(json.dumps({"type": "pause"}))
        time.sleep(0.5)
        paused = cpu_each(REST_WINDOW_SECONDS)
        for job in jobs:
            busy.delete(f"/api/sessions/{job}")
        stop.set()
        reader.join(timeout=5)
    calm_at = playing.index(max(playing))
    rest = playing[1 - calm_at] / max(playing[calm_at], 1e-3)
    assert rest <= REST_BOUND, (playing, paused)
    assert paused[1 - calm_at] >= 2 * playing[1 - calm_at], (playing, paused)
    assert all(p > 0 for p in progress)  # every job trained, the resting ones too


# -- the parts, one at a time, on a fake clock (``tests.test_worker``'s ``timed``) ----------------


def test_each_trainer_is_told_the_heaviest_weight_runnable_on_the_others_when_it_changes():
    board = UsageBoard()
    assert board.news([0, 1]) == []  # nobody reported: all were told 0 already
    board.report(0, UsageReport(heaviest=1.0).model_dump_json().encode())
    board.report(1, UsageReport(heaviest=0.1).model_dump_json().encode())
    assert sorted(board.news([0, 1])) == [(0, 0.1), (1, 1.0)]
    assert board.news([0, 1]) == []  # nothing changed: nothing told again
    board.report(0, b'{"heaviest": 7}')  # malformed (out of range): dropped
    board.report(0, b"{")
    assert board.news([0, 1]) == []
    board.forget(0)  # trainer 0 restarted empty
    assert sorted(board.news([0, 1])) == [(0, 0.1), (1, 0.0)]


class FakeTrainer:
    pid = None

    def __init__(self) -> None:
        self.sent: list = []

    def send(self, message) -> None:
        self.sent.append(message)

    def stop(self, wait: bool) -> None:
        pass


def test_the_pool_tells_a_trainer_what_another_reports_and_a_late_started_one_too():
    """The pipes' pool (``app.seam.pipes``): a trainer's ``("usage", bytes)`` becomes a
    ``Shares`` command to the others, started ones only; one started later is told at start."""
    started: dict[int, FakeTrainer] = {}

    def launch(index, deliver):
        started[index] = FakeTrainer()
        return started[index]

    pool = TrainerPool(Settings(), hub=None, launch=launch, count=3)  # type: ignore[arg-type]
    pool.links[0].start()
    pool.links[1].start()
    generation = pool.links[0].generation
    pool.dispatch(0, generation, ("usage", UsageReport(heaviest=1.0).model_dump_json().encode()))
    told = [e.command for e in started[1].sent]
    assert told == [Shares(heaviest_elsewhere=1.0)]
    assert started[0].sent == []  # nothing runs elsewhere for trainer 0
    pool.links[2].start()
    assert [e.command for e in started[2].sent] == [Shares(heaviest_elsewhere=1.0)]


@pytest.fixture
def fake_time(request):
    """``tests.test_worker``'s ``timed``: a worker whose clock moves only as epochs cost."""
    return request.getfixturevalue("timed")


def rest_share(w, clock, epochs: float) -> float:
    """Run the worker's loop on fake time (its waits advance the clock) for ``epochs`` job
    epochs; the fraction of the time it trained."""
    start, trained = clock.now, 0.0
    while clock.now - start < epochs * JOB_SECONDS:
        at = clock.now
        w.turn()
        w.flush()
        trained += clock.now - at
        busy = any(r.runnable for r in w.residents.values())
        clock.now += w.elsewhere.wait(busy, 1.0)
    return trained / (clock.now - start)


JOB_SECONDS = 0.05


def jobs_only(w, clock, jobs: int = 2) -> None:
    for n in range(jobs):
        create(w, f"job{n}", SMALL, client="busy")
        clock.costs[id(w.residents[f"job{n}"].trainer)] = JOB_SECONDS
        rid = command(w, "train", f"job{n}", epochs=100_000, job=True)
        assert w.channel.replies()[rid][0] is True


def test_a_trainer_with_only_jobs_trains_job_weight_over_one_plus_it_beside_play_elsewhere(
    fake_time,
):
    """Eq. (4) of ``app.trainer.elsewhere``: told that a session plays on another trainer, a
    trainer with only jobs trains ``w / (1 + w)`` of the time; told nothing plays, all of it."""
    w, _, clock = fake_time
    jobs_only(w, clock)
    assert rest_share(w, clock, 10) == 1.0
    command(w, "shares", heaviest_elsewhere=1.0)
    share = rest_share(w, clock, 200)
    assert share == pytest.approx(w.settings.job_weight / (1 + w.settings.job_weight), abs=0.03)
    command(w, "shares", heaviest_elsewhere=0.0)
    assert rest_share(w, clock, 10) == 1.0


def test_a_trainer_that_plays_itself_trains_all_the_time_whatever_plays_elsewhere(fake_time):
    w, _, clock = fake_time
    jobs_only(w, clock)
    create(w, "calm", SMALL, client="calm")
    clock.costs[id(w.residents["calm"].trainer)] = JOB_SECONDS / 5
    command(w, "play", "calm")
    command(w, "shares", heaviest_elsewhere=1.0)
    assert rest_share(w, clock, 20) == 1.0


def usage_reports(channel) -> list[float]:
    return [UsageReport.model_validate_json(m[1]).heaviest for m in channel.sent if m[0] == "usage"]


def test_a_trainer_reports_the_heaviest_weight_it_trains_and_at_once_when_idle(fake_time):
    """1 while a session plays, ``job_weight`` with only jobs, 0 as soon as nothing runs; no
    report while it does not change (at most one per ``share_interval``)."""
    w, channel, clock = fake_time
    jobs_only(w, clock, jobs=1)
    rest_share(w, clock, 4)
    assert usage_reports(channel) == [w.settings.job_weight]
    create(w, "calm", SMALL, client="calm")
    clock.costs[id(w.residents["calm"].trainer)] = JOB_SECONDS / 5
    command(w, "play", "calm")
    rest_share(w, clock, 20)
    assert usage_reports(channel) == [w.settings.job_weight, 1.0]
    command(w, "pause", "calm")
    command(w, "delete", "job0")
    w.turn()
    assert usage_reports(channel)[-1] == 0.0


def test_trainers_on_a_bus_tell_each_other_the_heaviest_weight_they_train_on_their_host(
    redis_url,
):
    """On a Redis bus (``app.seam.bus``) the reports go through the host's usage hash: a
    trainer hears what the other live trainers of its host train, and 0 once they stop."""
    from app.seam.bus import RedisChannel

    settings = Settings(bus_url=redis_url, heartbeat_seconds=10)  # no beat during the test
    a, b = RedisChannel(settings, "trainer-a"), RedisChannel(settings, "trainer-b")
    try:
        a.send(("usage", UsageReport(heaviest=1.0).model_dump_json().encode()))
        b.share()
        a.share()
        assert b.inbox.get_nowait().command == Shares(heaviest_elsewhere=1.0)
        assert a.inbox.empty()  # nothing trains elsewhere for a
        b.share()
        assert b.inbox.empty()  # no change: not told again
        a.close()
        b.share()
        assert b.inbox.get_nowait().command == Shares(heaviest_elsewhere=0.0)
    finally:
        a.close()
        b.close()
