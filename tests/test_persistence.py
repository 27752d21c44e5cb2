"""Nothing a user made is lost: sessions live in the store, leave memory when idle and come back
exactly, survive a restart of the app and a kill -9 of every process — on SQLite and on a real
PostgreSQL, through the same tests."""

from __future__ import annotations

import time

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.server import start_server
from tests.support.waiting import wait_for

SMALL = {"network": {"hidden_layers": [3]}, "dataset": {"name": "xor", "n": 40}}
MOMENTUM = {**SMALL, "training": {"momentum": 0.9, "batch_size": 4, "learning_rate": 0.1}}
SLOW = {  # about 50 ms an epoch: a long job is still running at the kill
    "network": {"hidden_layers": [16, 16]},
    "dataset": {"name": "circle", "n": 2000},
    "training": {"batch_size": 1},
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_settings(request, tmp_path) -> dict:
    """Settings naming a store: SQLite in a temporary folder, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return {"data_dir": str(tmp_path / "data")}
    return {"database_url": request.getfixturevalue("postgres_url")}


def env_of(settings: dict) -> dict[str, str]:
    return {f"BPP_{k.upper()}": str(v) for k, v in settings.items()}


def test_an_idle_session_leaves_memory_and_comes_back_exactly(make_client, store_settings):
    client = make_client(evict_after_seconds=60, **store_settings)
    sid = client.post("/api/sessions", json=MOMENTUM).json()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 15})
    before = client.get(f"/api/sessions/{sid}/export").json()
    history = client.get(f"/api/sessions/{sid}/history").json()
    registry, pool = client.app.state.registry, client.app.state.pool
    now = registry.clock()
    assert client.portal.call(registry.evict_idle, now + 30) == []
    assert client.portal.call(registry.evict_idle, now + 61) == [sid]
    assert not registry.get(sid).resident
    assert not any(sid in link.sessions for link in pool.links)
    assert client.get(f"/api/sessions/{sid}/export").json() == before  # brought back
    assert client.get(f"/api/sessions/{sid}/history").json() == history
    after = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    twin = client.post("/api/sessions", json=before).json()["id"]  # the export, imported
    assert client.post(f"/api/sessions/{twin}/train", json={"epochs": 5}).json() == after


def test_sessions_survive_a_restart_of_the_app(make_client, store_settings):
    first = make_client(**store_settings)
    sid = first.post("/api/sessions", json=MOMENTUM).json()["id"]
    first.post(f"/api/sessions/{sid}/train", json={"epochs": 12})
    gone = first.post("/api/sessions", json=SMALL).json()["id"]
    assert first.delete(f"/api/sessions/{gone}").status_code == 204
    export = first.get(f"/api/sessions/{sid}/export").json()
    first.__exit__(None, None, None)
    second = make_client(**store_settings)
    assert second.get("/healthz").json()["sessions"] == 1
    state = second.get(f"/api/sessions/{sid}").json()
    assert state["epoch"] == 12 and state["status"] == "paused"
    assert second.get(f"/api/sessions/{sid}/export").json() == export
    assert second.get(f"/api/sessions/{gone}").status_code == 404


def test_sessions_unused_for_the_retention_period_are_deleted(make_client, store_settings):
    client = make_client(retention_days=1 / 86400, **store_settings)  # one second
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    registry = client.app.state.registry
    assert client.portal.call(registry.delete_unused) == []
    time.sleep(1.2)
    assert client.portal.call(registry.delete_unused) == [sid]
    assert client.get(f"/api/sessions/{sid}").status_code == 404


def test_kill_9_of_every_process_loses_at_most_checkpoint_seconds(tmp_path, store_settings):
    """The all-in-one server and its trainers are killed with SIGKILL mid-lesson. After a
    restart a paused session is bit-identical (same export, same next epochs); a playing one
    is back at its last checkpoint, paused, with its loss history and replay checkpoints; a
    running training job trains on."""
    env = {
        **env_of(store_settings),
        "BPP_CHECKPOINT_SECONDS": "0.5",
        "BPP_TRAINERS": "2",
        "BPP_MAX_TRAIN_WORK": str(10**13),  # a job long enough to outlive the kill
    }
    with start_server(env=env, log_dir=tmp_path) as server:
        api = httpx.Client(base_url=server.url, timeout=30)
        paused = api.post("/api/sessions", json=MOMENTUM).json()["id"]
        playing = api.post("/api/sessions", json=SMALL).json()["id"]
        api.post(f"/api/sessions/{paused}/train", json={"epochs": 25})
        export = api.get(f"/api/sessions/{paused}/export").json()
        slow = api.post("/api/sessions", json=SLOW).json()["id"]
        job = api.post(f"/api/sessions/{slow}/train", json={"epochs": 10_000, "job": True}).json()
        with connect(f"{server.ws_url}/api/sessions/{playing}/stream") as ws:
            ws.send('{"type": "play"}')
            wait_for(lambda: api.get(f"/api/sessions/{playing}").json()["epoch"] > 200)
            epoch_of = lambda: api.get(f"/api/sessions/{playing}").json()["epoch"]  # noqa: E731
            t_before, e_before = time.monotonic(), epoch_of()
            time.sleep(1.5)  # at least two checkpoints while playing
            t_read, e_read = time.monotonic(), epoch_of()
            server.kill9()
            # it trains on between the read and the kill: at most at twice its measured rate
            rate = (e_read - e_before) / (t_read - t_before)
            epoch_at_kill = e_read + 2 * rate * (time.monotonic() - t_read) + 1
    with start_server(env=env, log_dir=tmp_path) as server:
        api = httpx.Client(base_url=server.url, timeout=30)
        assert api.get(f"/api/sessions/{paused}/export").json() == export
        next_epochs = api.post(f"/api/sessions/{paused}/train", json={"epochs": 5}).json()
        twin = api.post("/api/sessions", json=export).json()["id"]
        assert api.post(f"/api/sessions/{twin}/train", json={"epochs": 5}).json() == next_epochs
        state = api.get(f"/api/sessions/{playing}").json()
        assert state["status"] == "paused"
        assert 0 < state["epoch"] <= epoch_at_kill
        history = api.get(f"/api/sessions/{playing}/history").json()
        assert state["epoch"] - 8 < history["epoch"][-1] <= state["epoch"]  # thinned curve
        assert len(history["train"]) > 10
        resumed = api.get(job["url"])  # the job is back, training on
        assert resumed.status_code == 200, resumed.text
        assert resumed.json()["status"] == "running" and resumed.json()["epochs"] == 10_000
        wait_for(lambda: api.get(job["url"]).json()["epochs_done"] > resumed.json()["epochs_done"])
        assert api.delete(job["url"]).json()["status"] == "cancelled"
        kept = api.get(f"/api/sessions/{playing}/replay").json()["epochs"]
        assert kept[0] == 0 and len(kept) > 10 and kept[-1] <= state["epoch"]
        assert api.get(f"/api/sessions/{paused}/replay").json()["epochs"] == list(range(31))
