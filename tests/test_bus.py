"""Several hosts on one real Redis and one real PostgreSQL: 2 web processes and 2 trainer
processes, started as a district would start them (``backprop-playground web`` / ``trainer``).
No sticky routing: REST calls and sockets may reach either web process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import redis
from websockets.sync.client import connect

from tests.support.server import ROOT, ServerProcess, start_server
from tests.support.waiting import wait_for

SMALL = {"network": {"hidden_layers": [3]}, "dataset": {"name": "xor", "n": 40}}


@dataclass
class Cluster:
    redis: redis.Redis
    webs: list[ServerProcess]
    trainers: list[subprocess.Popen]
    env: dict[str, str]

    def live_trainers(self) -> list[str]:
        names = [n.decode() for n in self.redis.hkeys("bpp:trainers")]
        return [n for n in names if self.redis.exists(f"bpp:t:{n}:alive")]

    def owner(self, session_id: str) -> str | None:
        owner = self.redis.hget("bpp:owner", session_id)
        return None if owner is None else owner.decode()

    def trainer_process(self, name: str) -> subprocess.Popen:
        """The trainer command whose process tree holds trainer ``name``."""
        pid = int(name.split("-")[-2])
        for proc in self.trainers:
            if proc.poll() is None and (proc.pid == pid or _parent(pid) == proc.pid):
                return proc
        raise AssertionError(f"no trainer process for {name}")


def _parent(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def start_trainer(env: dict[str, str], log) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "trainer"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("BPP_")}, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture
def cluster(redis_url, postgres_url, tmp_path) -> Iterator[Cluster]:
    env = {
        "BPP_BUS_URL": redis_url,
        "BPP_DATABASE_URL": postgres_url,
        "BPP_TRAINERS": "1",
        "BPP_CHECKPOINT_SECONDS": "0.5",
        "BPP_TAKEOVER_SECONDS": "3",
    }
    client = redis.Redis.from_url(redis_url)
    webs: list[ServerProcess] = []
    trainers: list[subprocess.Popen] = []
    log = (tmp_path / "trainers.log").open("wb")
    try:
        webs.append(start_server(env=env, args=["web"], log_dir=tmp_path / "a"))
        trainers += [start_trainer(env, log) for _ in range(2)]
        webs.append(start_server(env=env, args=["web"], log_dir=tmp_path / "b"))
        c = Cluster(client, webs, trainers, env)
        wait_for(lambda: len(c.live_trainers()) == 2, what="two live trainers")
        yield c
    finally:
        for web in webs:
            web.stop()
        for proc in trainers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in trainers:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        print((tmp_path / "trainers.log").read_text()[-3000:])


def frames_of(ws, count: int, seconds: float = 20.0) -> list[dict]:
    """The next ``count`` frames (other messages skipped)."""
    got: list[dict] = []
    deadline = time.monotonic() + seconds
    while len(got) < count:
        text = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
        if re.match(r'\{"type":"frame"', text):
            got.append(json.loads(text))
    return got


def test_a_viewer_on_one_web_process_watches_a_session_trained_by_any_trainer(cluster):
    a, b = (httpx.Client(base_url=w.url, timeout=30) for w in cluster.webs)
    sids = [a.post("/api/sessions", json=SMALL).json()["id"] for _ in range(4)]
    owners = {cluster.owner(s) for s in sids}
    assert owners == set(cluster.live_trainers())  # spread over both trainers
    for sid in sids:
        # REST on B for a session created on A: no sticky routing
        got = b.get(f"/api/sessions/{sid}")
        assert got.status_code == 200 and got.json()["epoch"] == 0, got.text
        with connect(f"{cluster.webs[1].ws_url}/api/sessions/{sid}/stream") as ws:
            ws.send('{"type": "play"}')
            epochs = [f["epoch"] for f in frames_of(ws, 5)]
            assert epochs == sorted(epochs) and epochs[-1] > 0
            ws.send('{"type": "pause"}')
    state = a.post(f"/api/sessions/{sids[0]}/train", json={"epochs": 3}).json()
    assert b.get(f"/api/sessions/{sids[0]}").json()["frame"] == state


def test_a_killed_trainers_sessions_come_back_on_the_other_within_seconds(cluster):
    a = httpx.Client(base_url=cluster.webs[0].url, timeout=30)
    sid = a.post("/api/sessions", json=SMALL).json()["id"]
    owner = cluster.owner(sid)
    with connect(f"{cluster.webs[1].ws_url}/api/sessions/{sid}/stream") as ws:
        ws.send('{"type": "play"}')
        frames_of(ws, 3)
        time.sleep(1.2)  # a checkpoint or two while playing
        last = frames_of(ws, 1)[0]["epoch"]
        proc = cluster.trainer_process(owner)
        os.killpg(proc.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        # the other trainer takes it over from its last checkpoint and plays on
        after = frames_of(ws, 3, seconds=20)
        took = time.monotonic() - killed_at
    assert took < 12
    assert cluster.owner(sid) != owner and cluster.owner(sid) in cluster.live_trainers()
    assert 0 < after[0]["epoch"] <= last + 2000
    assert after[-1]["epoch"] > after[0]["epoch"]  # training again
    kept = a.get(f"/api/sessions/{sid}/replay").json()["epochs"]
    assert kept[0] == 0 and len(kept) > 10  # its replay checkpoints came along


def test_a_running_job_of_a_killed_trainer_trains_on_at_the_other(cluster):
    a, b = (httpx.Client(base_url=w.url, timeout=30) for w in cluster.webs)
    slow = {  # about 50 ms an epoch
        "network": {"hidden_layers": [16, 16]},
        "dataset": {"name": "circle", "n": 2000},
        "training": {"batch_size": 1},
    }
    sid = a.post("/api/sessions", json=slow).json()["id"]
    job = a.post(f"/api/sessions/{sid}/train", json={"epochs": 200, "job": True}).json()
    wait_for(lambda: a.get(job["url"]).json()["epochs_done"] >= 3)
    time.sleep(1.2)  # a checkpoint or two with the job running
    owner = cluster.owner(sid)
    os.killpg(cluster.trainer_process(owner).pid, signal.SIGKILL)
    done = wait_for(
        lambda: (
            (r := b.get(job["url"])).status_code == 200
            and r.json()["status"] == "done"
            and r.json()
        ),
        seconds=60,
    )
    assert cluster.owner(sid) != owner
    assert done["epochs_done"] == 200 and done["epoch"] == 200 and done["result"]["epoch"] == 200


def test_a_killed_web_process_leaves_the_session_reachable_through_the_other(cluster):
    a = httpx.Client(base_url=cluster.webs[0].url, timeout=30)
    b = httpx.Client(base_url=cluster.webs[1].url, timeout=30)
    sid = a.post("/api/sessions", json=SMALL).json()["id"]
    trained = a.post(f"/api/sessions/{sid}/train", json={"epochs": 7}).json()
    with connect(f"{cluster.webs[0].ws_url}/api/sessions/{sid}/stream") as ws:
        frames_of(ws, 1)
        cluster.webs[0].kill9()
    with connect(f"{cluster.webs[1].ws_url}/api/sessions/{sid}/stream") as ws:  # reconnect
        frame = frames_of(ws, 1)[0]
    assert frame["epoch"] == 7 and frame["weights"] == trained["weights"]
    assert b.post(f"/api/sessions/{sid}/train", json={"epochs": 1}).json()["epoch"] == 8


def test_a_web_process_dropped_by_redis_pub_sub_subscribes_again(cluster):
    """Redis drops a pub/sub client that falls too far behind (client-output-buffer-limit);
    the web process notices, subscribes again, and its viewers get frames again."""
    a = httpx.Client(base_url=cluster.webs[0].url, timeout=30)
    sid = a.post("/api/sessions", json=SMALL).json()["id"]
    with connect(f"{cluster.webs[0].ws_url}/api/sessions/{sid}/stream") as ws:
        ws.send('{"type": "play"}')
        frames_of(ws, 3)
        killed = cluster.redis.client_kill_filter(_type="pubsub")
        assert killed >= 1
        at_kill = a.get(f"/api/sessions/{sid}").json()["epoch"]
        # more epochs than a frame or two still in flight could show: new frames, after the drop
        deadline = time.monotonic() + 15
        while (latest := frames_of(ws, 1, seconds=15)[0]["epoch"]) <= at_kill + 200:
            assert time.monotonic() < deadline, "no frames after the subscription was dropped"
        ws.send('{"type": "pause"}')
    assert latest > at_kill + 200


def test_a_viewer_on_the_bus_gets_the_panels_on_connect_and_at_the_paused_epoch(cluster):
    a = httpx.Client(base_url=cluster.webs[0].url, timeout=30)
    sid = a.post("/api/sessions", json=SMALL).json()["id"]
    newest: dict[str, dict] = {}

    def read_until(done, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            message = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            newest[message["type"]] = message

    with connect(f"{cluster.webs[1].ws_url}/api/sessions/{sid}/stream") as ws:
        read_until(lambda: {"history", "confusion", "replay_range"} <= newest.keys())
        assert newest["history"]["epoch"] == [0] and newest["confusion"]["epoch"] == 0
        ws.send('{"type": "play"}')
        read_until(lambda: newest.get("frame", {}).get("epoch", 0) > 50)
        ws.send('{"type": "pause"}')
        read_until(lambda: newest.get("status", {}).get("status") == "paused")
        epoch = newest["status"]["epoch"]
        assert newest["history"]["epoch"][-1] == epoch == newest["confusion"]["epoch"]
