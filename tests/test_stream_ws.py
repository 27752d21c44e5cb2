"""The live stream over a WebSocket (TestClient): frames, commands, viewers, errors."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from starlette.websockets import WebSocketDisconnect

import engine
from app.errors import FieldError
from app.settings import Settings
from app.web.routers.stream import parse_command

XOR = {
    "network": {"hidden_layers": [4], "activations": ["tanh", "sigmoid"]},
    "dataset": {"name": "xor_table"},
    "training": {"learning_rate": 0.5, "batch_size": 4},
}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def next_of(ws, kind: str, limit: int = 1000) -> dict:
    """The next message of ``kind`` (other kinds are skipped)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def frames_until(ws, predicate, limit: int = 2000) -> list[dict]:
    got = []
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == "frame":
            got.append(message)
            if predicate(message):
                return got
    raise AssertionError("condition never met")


def stream(client, sid: str):
    return client.websocket_connect(f"/api/sessions/{sid}/stream")


def test_connect_sends_the_current_state_as_a_frame_then_status(client, new_session):
    state = new_session(XOR)
    with stream(client, state["id"]) as ws:
        frame = ws.receive_json()
        assert frame["type"] == "frame" and frame["epoch"] == 0
        assert frame["weights"] == state["frame"]["weights"]
        status = ws.receive_json()
        assert status == {
            "type": "status",
            "status": "paused",
            "epoch": 0,
            "epochs_per_second": 0.0,
        }


def test_play_streams_frames_in_order_with_shapes_of_the_network_and_loss_falls(
    client, new_session
):
    state = new_session(XOR)
    with stream(client, state["id"]) as ws:
        first = next_of(ws, "frame")
        ws.send_json({"type": "play"})
        got = frames_until(ws, lambda f: f["epoch"] >= 1500)
        ws.send_json({"type": "pause"})
    epochs = [f["epoch"] for f in got]
    assert epochs == sorted(epochs) and len(set(epochs)) == len(epochs)
    last = got[-1]
    assert [np.shape(w) for w in last["weights"]] == [(2, 4), (4, 1)]
    assert [np.shape(b) for b in last["biases"]] == [(4,), (1,)]
    assert [np.shape(w) for w in last["gradients"]["weights"]] == [(2, 4), (4, 1)]
    assert [len(layer["delta"]) for layer in last["probe"]["layers"]] == [4, 1]
    assert [len(s["mean_a"]) for s in last["node_stats"]] == [4, 1]
    assert [len(layer) for layer in last["grid"]["layers"]] == [2, 4, 1]
    assert last["loss"]["train"] < 0.5 * first["loss"]["train"]


def test_frames_skip_epochs_rather_than_flood(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        ws.send_json({"type": "play"})
        got = frames_until(ws, lambda f: f["epoch"] >= 3000)
        ws.send_json({"type": "pause"})
    # xor_table trains thousands of epochs per second; 30 frames/s cannot show them all
    assert len(got) < 3000


def test_pause_really_pauses(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        ws.send_json({"type": "play"})
        frames_until(ws, lambda f: f["epoch"] > 50)
        ws.send_json({"type": "pause"})
        while (status := next_of(ws, "status"))["status"] != "paused":
            pass
        epoch = client.get(f"/api/sessions/{sid}").json()["epoch"]
        time.sleep(0.3)
        after = client.get(f"/api/sessions/{sid}").json()
    assert after["status"] == "paused"
    assert after["epoch"] == epoch >= status["epoch"]


def test_a_second_viewer_receives_the_same_frames(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as teacher, stream(client, sid) as student:
        assert next_of(teacher, "frame") == next_of(student, "frame")
        student.send_json({"type": "play"})
        seen_by_teacher = frames_until(teacher, lambda f: f["epoch"] > 200)
        seen_by_student = frames_until(student, lambda f: f["epoch"] > 200)
        student.send_json({"type": "pause"})
        last_of_teacher = frames_until(teacher, lambda f: f["status"] == "paused")[-1]
        last_of_student = frames_until(student, lambda f: f["status"] == "paused")[-1]
    assert last_of_teacher == last_of_student  # the very frame the pause published
    teacher_by_epoch = {f["epoch"]: f for f in seen_by_teacher}
    for frame in seen_by_student:  # any epoch both were shown, they were shown alike
        if frame["epoch"] in teacher_by_epoch:
            assert teacher_by_epoch[frame["epoch"]] == frame


def test_disconnecting_pauses_nothing_and_reconnecting_resumes(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        ws.send_json({"type": "play"})
        left_at = frames_until(ws, lambda f: f["epoch"] > 10)[-1]["epoch"]
    assert client.get(f"/api/sessions/{sid}").json()["status"] == "running"
    with stream(client, sid) as ws:
        resumed = next_of(ws, "frame")
        assert resumed["epoch"] >= left_at
        ws.send_json({"type": "pause"})
    assert client.app.state.hub.viewers(sid) == 0


def test_step_trains_n_epochs(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_json({"type": "step", "epochs": 7})
        assert frames_until(ws, lambda f: f["epoch"] == 7)[-1]["epoch"] == 7


def test_step_sample_is_one_backprop_step_on_that_sample(client, new_session):
    state = new_session(XOR)
    with stream(client, state["id"]) as ws:
        next_of(ws, "frame")
        ws.send_json({"type": "step_sample", "index": 2})
        step = next_of(ws, "sample_step")
        frame = next_of(ws, "frame")
    payload = {
        "network": {"layer_sizes": [2, 4, 1], "activations": ["tanh", "sigmoid"], **step["before"]},
        "inputs": [step["input"]],
        "targets": [step["target"]],
        "learning_rate": step["learning_rate"],
    }
    expected = engine.backprop_step(payload)
    assert step["before"]["weights"] == state["frame"]["weights"]
    assert step["index"] == 2 and step["input"] == [1.0, 0.0]
    np.testing.assert_allclose(step["loss"], expected["loss"], rtol=1e-12)
    assert step["updated"] == expected["updated"]
    assert frame["weights"] == expected["updated"]["weights"]


def test_probe_selects_the_traced_sample(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_json({"type": "probe", "index": 3})
        frame = next_of(ws, "frame")
    assert frame["probe"]["index"] == 3
    assert frame["probe"]["input"] == [1.0, 1.0]


def test_set_changes_training_live(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_json({"type": "set", "training": {"learning_rate": 0.05, "batch_size": 1}})
        next_of(ws, "frame")
    training = client.get(f"/api/sessions/{sid}").json()["config"]["training"]
    assert training["learning_rate"] == 0.05 and training["batch_size"] == 1


def test_reset_over_the_stream(client, new_session):
    state = new_session(XOR)
    with stream(client, state["id"]) as ws:
        ws.send_json({"type": "step", "epochs": 5})
        frames_until(ws, lambda f: f["epoch"] == 5)
        ws.send_json({"type": "reset"})
        frame = frames_until(ws, lambda f: f["epoch"] == 0)[-1]
    assert frame["weights"] == state["frame"]["weights"]


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ("{not json", "message"),
        ("[1, 2]", "message"),
        ('{"type": "dance"}', "type"),
        ('{"epochs": 3}', "type"),
        ('{"type": "step", "epochs": 0}', "epochs"),
        ('{"type": "step", "epochs": 100000}', "epochs"),
        ('{"type": "step", "epochs": "many"}', "epochs"),
        ('{"type": "probe", "index": 99}', "index"),
        ('{"type": "probe", "index": -1}', "index"),
        ('{"type": "step_sample", "index": 4}', "index"),
        ('{"type": "set", "training": {"learning_rate": NaN}}', "training.learning_rate"),
        ('{"type": "set", "training": {"batch_size": -2}}', "training.batch_size"),
        ('{"type": "play", "extra": 1}', "extra"),
        ('{"type": "probe", "index": "1"}', "index"),
        ('{"type": "probe", "index": true}', "index"),
        ('{"type": "step_sample", "index": "0"}', "index"),
        ('{"type": "step", "epochs": true}', "epochs"),
        ('{"type": "step", "epochs": 2.0}', "epochs"),
        ('{"type": "set", "training": {"batch_size": "2"}}', "training.batch_size"),
        ('{"type": "set", "training": {"learning_rate": "0.1"}}', "training.learning_rate"),
    ],
)
def test_bad_commands_answer_an_error_and_the_connection_stays_usable(
    client, new_session, message, field
):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_text(message)
        error = next_of(ws, "error")
        assert error["field"] == field, error
        assert error["message"]
        ws.send_json({"type": "step", "epochs": 2})
        assert frames_until(ws, lambda f: f["epoch"] == 2)[-1]["epoch"] == 2


def test_every_bad_command_of_a_burst_gets_its_own_error(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        for n in range(10):
            ws.send_json({"type": "probe", "index": 100 + n})
        ws.send_json({"type": "step", "epochs": 1})
        errors = []
        while (message := ws.receive_json())["type"] != "frame":
            if message["type"] == "error":
                errors.append(message["message"])
    assert len(errors) == 10
    assert all(m.startswith("must be an integer in [0, 3]") for m in errors)


def test_oversized_message_is_an_error_naming_the_limit(make_client):
    client = make_client(max_ws_message_bytes=1024)
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_text(json.dumps({"type": "play", "pad": "x" * 5000}))
        error = next_of(ws, "error")
        assert "max_ws_message_bytes" in error["message"]
        ws.send_json({"type": "step", "epochs": 1})
        assert next_of(ws, "frame")["epoch"] == 1


def test_unknown_session_gets_an_error_and_a_close(client):
    with stream(client, "nope") as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == "session_id"
        with pytest.raises(WebSocketDisconnect):
            ws.receive_json()


def test_deleting_a_session_closes_its_streams(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        next_of(ws, "status")
        assert client.delete(f"/api/sessions/{sid}").status_code == 204
        with pytest.raises(WebSocketDisconnect):
            for _ in range(100):
                ws.receive_json()


def test_diverging_training_stops_with_a_diverged_status(client, new_session):
    body = {
        "network": {"hidden_layers": [8], "activations": ["relu", "linear"]},
        "dataset": {"name": "plane"},
        "training": {"learning_rate": 90, "batch_size": 1},
    }
    sid = new_session(body)["id"]
    with stream(client, sid) as ws:
        ws.send_json({"type": "play"})
        while next_of(ws, "status")["status"] != "diverged":
            pass
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["status"] == "diverged"
    assert np.isfinite(state["frame"]["loss"]["train"])


def test_a_socket_whose_session_is_deleted_while_connecting_is_closed_4404(
    client, new_session, monkeypatch
):
    from starlette.websockets import WebSocket

    sid = new_session(XOR)["id"]
    registry = client.app.state.registry
    session = registry.get(sid)
    accept = WebSocket.accept

    async def accept_after_a_delete(self, *args, **kwargs):
        await registry.remove(sid)  # a DELETE that lands between lookup and accept
        await accept(self, *args, **kwargs)

    monkeypatch.setattr(WebSocket, "accept", accept_after_a_delete)
    with stream(client, sid) as ws:
        error = ws.receive_json()
        assert error["type"] == "error" and error["field"] == "session_id"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404
    assert client.app.state.hub.viewers(sid) == 0
    assert session.closed and not session.running


def play_then_leave(client, sid: str) -> None:
    with stream(client, sid) as ws:
        ws.send_json({"type": "play"})
        frames_until(ws, lambda f: f["epoch"] > 10)


def test_a_playing_session_nobody_watches_for_unwatched_pause_seconds_is_paused(make_client):
    client = make_client(unwatched_pause_seconds=0.2, sweep_interval_seconds=0.05)
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    play_then_leave(client, sid)
    deadline = time.monotonic() + 10
    while client.get(f"/api/sessions/{sid}").json()["status"] == "running":
        assert time.monotonic() < deadline, "never paused"
        time.sleep(0.05)
    assert client.get(f"/api/sessions/{sid}").json()["status"] == "paused"


def test_a_short_absence_or_a_watcher_keeps_an_unwatched_session_playing(make_client):
    client = make_client(unwatched_pause_seconds=60)
    registry = client.app.state.registry
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    play_then_leave(client, sid)
    now = registry.clock()
    assert client.portal.call(registry.pause_unwatched, now + 30) == []  # a network blip
    with stream(client, sid) as ws:  # someone watches: never paused
        next_of(ws, "frame")
        assert client.portal.call(registry.pause_unwatched, now + 3600) == []
        assert client.get(f"/api/sessions/{sid}").json()["status"] == "running"
    assert client.portal.call(registry.pause_unwatched, registry.clock() + 61) == [sid]
    assert client.get(f"/api/sessions/{sid}").json()["status"] == "paused"


def test_deeply_nested_json_is_refused_as_a_clear_error_and_the_socket_goes_on(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        next_of(ws, "frame")
        ws.send_text("[" * 20_000 + "]" * 20_000)  # under max_ws_message_bytes
        error = next_of(ws, "error")
        assert error["field"] == "message" and "nested" in error["message"]
        ws.send_json({"type": "step", "epochs": 2})
        assert frames_until(ws, lambda f: f["epoch"] == 2)[-1]["epoch"] == 2


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"type": "probe", "index": "1"}', "index"),
        ('{"type": "probe", "index": true}', "index"),
        ('{"type": "step", "epochs": "3"}', "epochs"),
        ('{"type": "set", "training": {"momentum": false}}', "training.momentum"),
    ],
)
def test_the_socket_refuses_loosely_typed_values_naming_the_field(text, field):
    """Issue 22 (item 8): a string or a boolean is no integer on the socket (strict types),
    where plain JSON numbers pass."""
    with pytest.raises(FieldError) as refused:
        parse_command(text, Settings())
    assert refused.value.field == field
    assert "valid" in refused.value.message
    assert parse_command('{"type": "probe", "index": 1}', Settings()).index == 1
    assert parse_command('{"type": "set", "training": {"learning_rate": 1}}', Settings())
