"""What the page reads off its stream instead of asking: Eq. 7's updated parameters of the
probe sample in every frame, and the panels (history, gradient flow, confusion matrix, replay
range) pushed on connect, while training runs and when it stops (docs/contract.md)."""

from __future__ import annotations

import numpy as np
import pytest

from app.settings import Settings
from app.trainer import frames
from app.trainer.worker import Worker
from tests.test_worker import Recorder, command, create

XOR = {
    "network": {"hidden_layers": [4], "activations": ["tanh", "sigmoid"]},
    "dataset": {"name": "xor_table"},
    "training": {"learning_rate": 0.5, "batch_size": 4},
}
SINE = {"dataset": {"name": "sine", "n": 40}, "network": {"hidden_layers": [3]}}


def stream(client, sid: str):
    return client.websocket_connect(f"/api/sessions/{sid}/stream")


def collect(ws, until, limit: int = 5000) -> dict[str, dict]:
    """The newest message of each type until ``until(newest)`` holds."""
    newest: dict[str, dict] = {}
    for _ in range(limit):
        message = ws.receive_json()
        newest[message["type"]] = message
        if until(newest):
            return newest
    raise AssertionError(f"condition never met; got {sorted(newest)}")


def backprop_of(frame: dict, config: dict) -> dict:
    """POST /api/backprop's body for the frame's probe sample at the frame's parameters."""
    return {
        "network": {
            "layer_sizes": [len(frame["weights"][0])] + [len(w[0]) for w in frame["weights"]],
            "activations": config["network"]["activations"],
            "loss": config["network"]["loss"],
            "weights": frame["weights"],
            "biases": frame["biases"],
        },
        "inputs": [frame["probe"]["input"]],
        "targets": [frame["probe"]["target"]],
        "learning_rate": config["training"]["learning_rate"],
    }


def assert_same_params(a: dict, b: dict) -> None:
    for key in ("weights", "biases"):
        for x, y in zip(a[key], b[key], strict=True):
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-12, atol=1e-15)


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


@pytest.mark.parametrize("body", [XOR, SINE], ids=["xor", "sine"])
def test_the_frames_eq7_update_is_what_post_backprop_answers_for_the_same_state(
    client, new_session, body
):
    state = new_session(body)
    sid, config = state["id"], state["config"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 7})
    frame = client.get(f"/api/sessions/{sid}").json()["frame"]
    answer = client.post("/api/backprop", json=backprop_of(frame, config))
    assert answer.status_code == 200, answer.text
    probe = frame["probe"]
    assert probe["learning_rate"] == config["training"]["learning_rate"]
    assert_same_params(probe["updated"], answer.json()["updated"])


def test_the_frames_eq7_update_follows_a_live_change_of_the_learning_rate(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        ws.send_json({"type": "set", "training": {"learning_rate": 0.125}})
        got = collect(
            ws, lambda n: n.get("frame", {}).get("probe", {}).get("learning_rate") == 1 / 8
        )
    frame = got["frame"]
    w, g = frame["weights"][0][1][2], frame["probe"]["gradients"]["weights"][0][1][2]
    assert frame["probe"]["updated"]["weights"][0][1][2] == pytest.approx(w - 0.125 * g, rel=1e-15)


def test_connect_pushes_the_history_confusion_and_replay_range(client, new_session):
    sid = new_session(XOR)["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 5})
    with stream(client, sid) as ws:
        got = collect(ws, lambda n: {"history", "confusion", "replay_range"} <= n.keys())
    history = client.get(f"/api/sessions/{sid}/history").json()
    assert got["history"] == {"type": "history", **history}
    assert got["history"]["epoch"][-1] == 5
    assert got["confusion"] == {
        "type": "confusion",
        **client.get(f"/api/sessions/{sid}/confusion").json(),
    }
    assert got["replay_range"] == {
        "type": "replay_range",
        **client.get(f"/api/sessions/{sid}/replay").json(),
    }


def test_regression_gets_no_confusion_message(client, new_session):
    sid = new_session(SINE)["id"]
    with stream(client, sid) as ws:
        got = collect(ws, lambda n: {"history", "replay_range"} <= n.keys())
    assert "confusion" not in got


def test_after_a_pause_the_pushed_panels_are_at_the_paused_epoch(client, new_session):
    sid = new_session(XOR)["id"]
    with stream(client, sid) as ws:
        collect(ws, lambda n: "replay_range" in n)
        ws.send_json({"type": "play"})
        collect(ws, lambda n: n.get("frame", {}).get("epoch", 0) > 300)
        ws.send_json({"type": "pause"})
        got = collect(ws, lambda n: n.get("status", {}).get("status") == "paused")
        # the panels came before the paused status: they are at its epoch
        epoch = got["status"]["epoch"]
        assert got["history"]["epoch"][-1] == epoch
        assert got["confusion"]["epoch"] == epoch
        assert got["replay_range"]["epochs"][-1] <= epoch


def test_while_playing_the_gradient_flow_confusion_and_replay_range_keep_coming(make_client):
    client = make_client(panel_rate=20.0)
    sid = client.post("/api/sessions", json=XOR).json()["id"]
    with stream(client, sid) as ws:
        collect(ws, lambda n: "replay_range" in n)
        ws.send_json({"type": "play"})
        seen: dict[str, list[int]] = {"gradient_flow": [], "confusion": [], "replay_range": []}
        for _ in range(5000):
            m = ws.receive_json()
            if m["type"] == "gradient_flow":
                seen["gradient_flow"].append(m["epoch"][-1])
            elif m["type"] == "confusion":
                seen["confusion"].append(m["epoch"])
            elif m["type"] == "replay_range":
                seen["replay_range"].append(m["epochs"][-1])
            if all(len(v) >= 3 for v in seen.values()):
                break
        ws.send_json({"type": "pause"})
    for epochs in seen.values():
        assert len(epochs) >= 3 and epochs == sorted(epochs) and epochs[-1] > epochs[0]


def test_a_panel_message_is_the_rest_body_with_its_type_in_front():
    assert frames.panel_message("history", b'{"epoch":[0],"train":[1.0]}') == (
        b'{"type":"history","epoch":[0],"train":[1.0]}'
    )
    assert frames.panel_message("replay_range", b"{}") == b'{"type":"replay_range"}'
    with pytest.raises(ValueError):
        frames.panel_message("frame", b"{}")


# -- the trainer's side, driven directly (tests/test_worker.py's recorder) --------------------


@pytest.fixture
def worker() -> tuple[Worker, Recorder]:
    channel = Recorder()
    return Worker(Settings(frame_rate=200), channel), channel


def test_nobody_watching_costs_no_panels_and_a_finished_step_pushes_them_once(worker):
    w, channel = worker
    create(w, "s", XOR)
    command(w, "train", "s", epochs=5)
    while w.residents["s"].runnable:
        w.turn()
    w.publisher.panels.send_stale(w.residents)
    w.flush()
    assert channel.published("s", "history") == []  # unwatched: nothing encoded
    command(w, "watch", "s", viewers=1, summary_viewers=0)
    command(w, "train", "s", epochs=5)
    while w.residents["s"].runnable:
        w.turn()
    w.publisher.panels.last["s"] = -1e9  # the panel interval has passed
    w.publisher.panels.send_stale(w.residents)
    w.publisher.panels.send_stale(w.residents)
    w.flush()
    (history,) = channel.published("s", "history")
    assert history["epoch"][-1] == 10
    assert channel.published("s", "confusion")[-1]["epoch"] == 10
