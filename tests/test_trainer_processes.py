"""Trainer processes seen from the outside: placement, answers equal to in-process training, a
trainer killed mid-lesson, dashboards' summaries, and viewers that stop reading."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.web.hub import LocalHub
from tests.support.waiting import wait_for

SMALL = {"network": {"hidden_layers": [3]}, "dataset": {"name": "xor", "n": 40}}


def test_sessions_are_spread_over_the_trainer_processes(make_client):
    client = make_client(trainers=2)
    for _ in range(4):
        assert client.post("/api/sessions", json=SMALL).status_code == 201
    pool = client.app.state.pool
    assert [len(link.sessions) for link in pool.links] == [2, 2]
    pids = pool.pids()
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_trainer_processes_answer_exactly_what_in_process_training_answers(make_client):
    answers = []
    for trainers in (0, 2):
        client = make_client(trainers=trainers)
        sid = client.post("/api/sessions", json=SMALL).json()["id"]
        frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 30}).json()
        history = client.get(f"/api/sessions/{sid}/history").json()
        answers.append((frame, history))
    assert answers[0] == answers[1]


def test_a_killed_trainer_is_restarted_and_its_sessions_come_back_from_their_checkpoints(
    make_client,
):
    client = make_client(trainers=1)
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    trained = client.post(f"/api/sessions/{sid}/train", json={"epochs": 20}).json()
    pool = client.app.state.pool
    (pid,) = pool.pids()
    # the trainer's store writer commits the epoch-20 checkpoint in the background (a train's
    # answer does not wait for the database): kill -9 after it is written, not before
    store, deadline = client.app.state.store, time.monotonic() + 30
    while (stored := store.load(sid)) is None or stored.epoch < 20:
        assert time.monotonic() < deadline, "the epoch-20 checkpoint was never written"
        time.sleep(0.02)
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        assert ws.receive_json()["type"] == "frame"
        assert ws.receive_json()["type"] == "status"
        os.kill(pid, signal.SIGKILL)
        while (told := ws.receive_json())["type"] != "status":
            pass  # the panels pushed on connect (history, confusion, replay_range)
        assert told["type"] == "status" and told["status"] == "restoring"
        assert "trainer" in told["message"]
        while (message := ws.receive_json())["type"] != "frame":
            pass
        assert message["epoch"] == 20
        assert message["weights"] == trained["weights"]
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["epoch"] == 20 and state["status"] == "paused"
    assert pool.pids() and pool.pids()[0] != pid
    # its replay checkpoints and loss history came back with it
    assert client.get(f"/api/sessions/{sid}/replay").json()["epochs"] == list(range(21))
    assert client.get(f"/api/sessions/{sid}/history").json()["epoch"] == list(range(21))


def test_a_dashboard_socket_receives_a_summary_of_each_session_it_watches(client):
    ids = [client.post("/api/sessions", json=SMALL).json()["id"] for _ in range(3)]
    with client.websocket_connect("/api/summaries") as ws:
        ws.send_json({"type": "watch", "ids": ids})
        seen: dict[str, dict] = {}
        while len(seen) < 3:
            message = ws.receive_json()
            assert message["type"] == "summary"
            seen[message["id"]] = message
        assert set(seen) == set(ids)
        assert all(m["epoch"] == 0 and m["status"] == "paused" for m in seen.values())
        client.post(f"/api/sessions/{ids[0]}/train", json={"epochs": 5})
        ws.send_json({"type": "watch", "ids": ["nope", ids[0]]})
        message = ws.receive_json()
        while message["type"] == "summary":
            message = ws.receive_json()
        assert message["type"] == "error" and message["field"] == "ids"


def test_a_viewer_that_stops_reading_no_longer_counts_as_watching():
    hub = LocalHub()
    reader = hub.subscribe("s")
    stalled = hub.subscribe("s")
    hub.publish("s", "frame", "{}")
    now = time.monotonic()
    assert hub.live_viewers("s", now, 10.0) == (2, 0)
    assert reader.pending() == 1 and stalled.pending() == 1
    reader.waiting_since = stalled.waiting_since = now - 11.0  # nobody read for 11 s
    assert hub.live_viewers("s", now, 10.0) == (0, 0)
    with ThreadPoolExecutor(1) as pool:  # the reader reads again (its own loop): it counts again
        assert pool.submit(asyncio.run, reader.get()).result(timeout=10) == "{}"
    assert hub.live_viewers("s", time.monotonic(), 10.0) == (1, 0)


def test_a_playing_session_whose_only_viewer_stopped_reading_is_paused(make_client):
    client = make_client(viewer_stall_seconds=5.0, unwatched_pause_seconds=1.0)
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    registry, hub = client.app.state.registry, client.app.state.hub
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        ws.receive_json()
        ws.send_json({"type": "play"})
        wait_for(lambda: registry.get(sid).running)
        now = registry.clock()
        client.portal.call(registry.pause_unwatched, now + 60.0)
        assert registry.get(sid).running  # a reading viewer keeps it playing
        # The test client's socket never blocks a send, so a stalled reader is made by hand:
        # its mailbox has held an untaken message for longer than viewer_stall_seconds.
        (mailbox,) = hub._mailboxes[sid]

        async def stall() -> None:  # on the event loop: no message is taken in between
            mailbox.waiting_since = now - 6.0
            registry.sync_all_viewers(now)

        client.portal.call(stall)
        assert registry.get(sid).unwatched_since == now
        client.portal.call(registry.pause_unwatched, now + 2.0)
        wait_for(lambda: client.get(f"/api/sessions/{sid}").json()["status"] == "paused")


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("not json", "message"),
        ("[" * 5000 + "]" * 5000, "message"),
        ('{"type": "play"}', "type"),
        ('{"type": "watch", "ids": "abc"}', "ids"),
        ('{"type": "watch", "ids": [1, 2]}', "ids"),
        ('{"type": "watch", "ids": ' + str(["x"] * 501).replace("'", '"') + "}", "ids"),
    ],
)
def test_a_dashboard_socket_refuses_bad_messages_naming_the_field_and_goes_on(
    client, message, field
):
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    with client.websocket_connect("/api/summaries") as ws:
        ws.send_text(message)
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == field
        ws.send_bytes(b"\xff\xfe")  # not UTF-8
        assert ws.receive_json()["field"] == "message"
        ws.send_json({"type": "watch", "ids": [sid]})  # still usable
        assert ws.receive_json()["type"] == "summary"


def test_trainer_processes_start_with_one_blas_thread(make_client, monkeypatch):
    """Issue 22 (``app.seam.threads``): a trainer busy with large jobs must not put BLAS
    threads on the other trainers' cores."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    client = make_client(trainers=1)
    assert client.post("/api/sessions", json=SMALL).status_code == 201  # starts the trainer
    (pid,) = client.app.state.pool.pids()
    with open(f"/proc/{pid}/environ", "rb") as f:
        environ = f.read().split(b"\0")
    assert b"OPENBLAS_NUM_THREADS=1" in environ and b"OMP_NUM_THREADS=1" in environ
