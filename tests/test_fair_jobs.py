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

from tests.support.server import start_server

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
