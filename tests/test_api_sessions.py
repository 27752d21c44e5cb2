"""REST: every endpoint's happy path (docs/contract.md, "REST")."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from engine.datasets import make_dataset

XOR = {
    "network": {"hidden_layers": [3], "activations": ["tanh", "sigmoid"]},
    "dataset": {"name": "xor_table"},
    "training": {"learning_rate": 0.5, "batch_size": 4},
}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_catalog_lists_registries_and_limits(client):
    body = client.get("/api/catalog").json()
    assert {a["name"] for a in body["activations"]} == set(engine.ACTIVATIONS)
    assert all(a["latex"] and a["latex_prime"] for a in body["activations"])
    assert {loss["name"] for loss in body["losses"]} == set(engine.LOSSES)
    assert set(body["init_schemes"]) == set(engine.INIT_SCHEMES)
    assert {"circle", "xor_table"} <= {d["name"] for d in body["datasets"]}
    assert body["limits"]["max_hidden_layers"] >= 8
    assert body["limits"]["max_units_per_layer"] >= 32
    assert body["limits"]["max_samples"] >= 5000


def test_empty_body_gives_the_tensorflow_playground_default(new_session):
    state = new_session()
    assert len(state["id"]) >= 22  # 16 random bytes, base64url
    assert state["layer_sizes"] == [2, 4, 2, 1]
    assert state["config"]["network"]["activations"] == ["tanh", "tanh", "tanh"]
    assert state["config"]["dataset"]["name"] == "circle"
    assert state["config"]["training"]["learning_rate"] == 0.03
    assert state["config"]["training"]["batch_size"] == 10
    assert state["status"] == "paused" and state["epoch"] == 0
    assert len(state["data"]["train"]["points"]) == 250
    frame = state["frame"]
    assert frame["type"] == "frame" and frame["epoch"] == 0
    assert [np.shape(w) for w in frame["weights"]] == [(2, 4), (4, 2), (2, 1)]


def test_session_ids_are_distinct(new_session):
    assert len({new_session()["id"] for _ in range(5)}) == 5


def test_get_session_returns_its_state(client, new_session):
    sid = new_session(XOR)["id"]
    state = client.get(f"/api/sessions/{sid}").json()
    assert state["id"] == sid
    assert state["layer_sizes"] == [2, 3, 1]


def test_train_runs_epochs_and_lowers_the_loss(client, new_session):
    state = new_session(XOR)
    before = state["frame"]["loss"]["train"]
    frame = client.post(f"/api/sessions/{state['id']}/train", json={"epochs": 300}).json()
    assert frame["epoch"] == 300
    assert frame["loss"]["train"] < before


def test_patch_changes_training_settings_and_keeps_weights(client, new_session):
    sid = new_session(XOR)["id"]
    trained = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    state = client.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.1, "momentum": 0.5})
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["config"]["training"]["learning_rate"] == 0.1
    assert body["config"]["training"]["momentum"] == 0.5
    assert body["config"]["training"]["batch_size"] == 4
    assert body["frame"]["weights"] == trained["weights"]
    assert body["epoch"] == 5


def test_reset_restores_the_initial_weights(client, new_session):
    state = new_session(XOR)
    sid = state["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 20})
    frame = client.post(f"/api/sessions/{sid}/reset").json()
    assert frame["epoch"] == 0
    assert frame["weights"] == state["frame"]["weights"]
    assert client.get(f"/api/sessions/{sid}/history").json()["epoch"] == [0]


def test_history_has_one_point_per_epoch(client, new_session):
    sid = new_session(XOR)["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 7})
    history = client.get(f"/api/sessions/{sid}/history").json()
    assert history["epoch"] == list(range(8))
    assert len(history["train"]) == len(history["test"]) == 8


def test_predict_matches_the_engine_forward_pass(client, new_session):
    state = new_session(XOR)
    inputs = [[0.0, 1.0], [1.0, 1.0]]
    body = client.post(f"/api/sessions/{state['id']}/predict", json={"inputs": inputs}).json()
    spec = engine.NetworkSpec((2, 3, 1), ("tanh", "sigmoid"))
    W = [np.array(w) for w in state["frame"]["weights"]]
    b = [np.array(v) for v in state["frame"]["biases"]]
    cache = engine.forward(spec, engine.Params(W, b), np.array(inputs))
    np.testing.assert_allclose(body["outputs"], cache.a[-1], rtol=0, atol=0)
    assert len(body["layers"]) == 2 and "delta" not in body["layers"][0]


def test_predict_with_targets_adds_delta_and_loss(client, new_session):
    sid = new_session(XOR)["id"]
    body = client.post(
        f"/api/sessions/{sid}/predict", json={"inputs": [[0, 1]], "targets": [[1]]}
    ).json()
    assert "delta" in body["layers"][-1]
    assert body["loss"] >= 0


def test_weight_edit_sets_one_weight(client, new_session):
    state = new_session(XOR)
    sid = state["id"]
    frame = client.post(
        f"/api/sessions/{sid}/weights", json={"layer": 1, "i": 2, "j": 0, "value": 0.75}
    ).json()
    expected = state["frame"]["weights"]
    expected[1][2][0] = 0.75
    assert frame["weights"] == expected


def test_an_edit_keeps_the_momentum_velocity(client, new_session):
    sid = new_session({**XOR, "training": {"learning_rate": 0.3, "momentum": 0.9}})["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
    before = client.get(f"/api/sessions/{sid}/export").json()
    client.post(f"/api/sessions/{sid}/weights", json={"layer": 0, "i": 0, "j": 0, "value": 0.5})
    client.post(f"/api/sessions/{sid}/biases", json={"layer": 1, "j": 0, "value": -0.5})
    after = client.get(f"/api/sessions/{sid}/export").json()
    assert any(v != 0 for v in np.ravel(before["state"]["velocity"]["weights"][0]))
    assert after["state"]["velocity"] == before["state"]["velocity"]
    assert after["network"]["weights"][0][0][0] == 0.5
    assert after["network"]["biases"][1][0] == -0.5


def test_bias_edit_sets_one_bias(client, new_session):
    state = new_session(XOR)
    frame = client.post(
        f"/api/sessions/{state['id']}/biases", json={"layer": 0, "j": 1, "value": -2.5}
    ).json()
    assert frame["biases"][0][1] == -2.5
    assert frame["biases"][0][0] == state["frame"]["biases"][0][0]


def test_gradient_check_agrees(client, new_session):
    sid = new_session(XOR)["id"]
    body = client.post(f"/api/sessions/{sid}/gradient_check", json={}).json()
    assert body["max_rel_error"] < 1e-6
    assert body["samples"] == 4
    assert np.shape(body["analytic"]["weights"][0]) == (2, 3)


def test_export_recreates_the_session_bit_for_bit(client, new_session):
    sid = new_session(
        {**XOR, "training": {"learning_rate": 0.3, "batch_size": 1, "momentum": 0.9}}
    )["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 13})
    exported = client.get(f"/api/sessions/{sid}/export").json()
    copy = client.post("/api/sessions", json=exported)
    assert copy.status_code == 201, copy.text
    copy_id = copy.json()["id"]
    assert client.get(f"/api/sessions/{copy_id}/export").json() == exported
    # and both continue identically (shuffling and momentum restored too)
    a = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    b = client.post(f"/api/sessions/{copy_id}/train", json={"epochs": 5}).json()
    assert a["weights"] == b["weights"] and a["epoch"] == b["epoch"] == 18


def test_delete_removes_the_session(client, new_session):
    sid = new_session()["id"]
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert client.get(f"/api/sessions/{sid}").status_code == 404
    assert client.delete(f"/api/sessions/{sid}").status_code == 404


def test_session_data_matches_the_engine_dataset(new_session):
    state = new_session({"dataset": {"name": "xor", "n": 100, "seed": 3}})
    data = make_dataset("xor", n=100, seed=3)
    np.testing.assert_array_equal(state["data"]["train"]["points"], data.P_train)
    assert state["data"]["task"] == "classification"


def test_grid_encodes_every_unit_over_the_input_plane(new_session):
    frame = new_session()["frame"]
    grid = frame["grid"]
    assert grid["resolution"] == 24
    assert [len(layer) for layer in grid["layers"]] == [2, 4, 2, 1]
    import base64

    unit = grid["layers"][1][0]
    assert len(base64.b64decode(unit["data"])) == 24 * 24
    assert unit["lo"] <= unit["hi"]


def test_inline_data_of_any_width_has_no_grid(new_session):
    body = {
        "dataset": {
            "name": "inline",
            "inputs": [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 1]],
            "targets": [[0, 1], [1, 0], [1, 0], [0, 1]],
        },
        "network": {"hidden_layers": [5], "activations": ["relu", "sigmoid"]},
    }
    state = new_session(body)
    assert state["layer_sizes"] == [3, 5, 2]
    assert state["frame"]["grid"] is None


def test_openapi_documents_every_endpoint_with_examples(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in [
        "/api/backprop",
        "/api/catalog",
        "/api/sessions",
        "/api/sessions/{session_id}",
        "/api/sessions/{session_id}/train",
        "/api/sessions/{session_id}/history",
        "/api/sessions/{session_id}/export",
        "/api/sessions/{session_id}/gradient_check",
        "/healthz",
    ]:
        assert path in paths, path
    create = schema["components"]["schemas"]["SessionCreate"]
    assert create.get("examples")


def test_one_dimensional_data_get_a_fine_curve_not_a_coarse_row(new_session):
    frame = new_session({"dataset": {"name": "sine"}})["frame"]
    grid = frame["grid"]
    assert len(grid["domain"]) == 1
    assert grid["resolution"] == 24 * 24
    import base64

    assert len(base64.b64decode(grid["layers"][-1][0]["data"])) == 24 * 24


def test_answers_with_frames_are_sent_as_encoded_and_never_re_encoded_on_the_event_loop(
    client, new_session, monkeypatch
):
    """A performance guard, not a behaviour: answers are encoded once where they are made (in
    the trainer) and sent as bytes; FastAPI's own encoding of a large frame took ~50 ms on the
    event loop, stalling every socket. A spy on its serializer is the only way to see that."""
    import fastapi.routing

    re_encoded: list[object] = []
    original = fastapi.routing.serialize_response

    async def spy(*args, **kwargs):
        re_encoded.append(kwargs.get("response_content"))
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "serialize_response", spy)
    sid = new_session(XOR)["id"]
    base = f"/api/sessions/{sid}"
    answers = [
        client.post("/api/sessions", json=XOR),
        client.get(base),
        client.patch(base, json={"learning_rate": 0.1}),
        client.post(f"{base}/train", json={"epochs": 2}),
        client.post(f"{base}/reset"),
        client.get(f"{base}/history"),
        client.post(f"{base}/predict", json={"inputs": [[0, 1]], "targets": [[1]]}),
        client.get(f"{base}/export"),
        client.post(f"{base}/weights", json={"layer": 0, "i": 0, "j": 0, "value": 0.5}),
        client.post(f"{base}/biases", json={"layer": 0, "j": 0, "value": 0.5}),
        client.post(f"{base}/gradient_check", json={}),
    ]
    assert [a.status_code for a in answers] == [201] + [200] * 10
    assert all(a.headers["content-type"] == "application/json" for a in answers)
    assert all(isinstance(a.json(), dict) for a in answers)
    assert re_encoded == []


def test_patch_answers_the_same_frame_it_publishes_to_viewers(client, new_session):
    sid = new_session(XOR)["id"]
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        while ws.receive_json()["type"] != "frame":
            pass  # on a Redis bus the session's first status may come before the frame
        state = client.patch(f"/api/sessions/{sid}", json={"learning_rate": 0.2}).json()
        # on a Redis bus a frame published before the patch may still be on its way: the
        # patch's own frame (η = 0.2 in its Eq. 7 values) follows it within a few messages
        for _ in range(20):
            if (published := ws.receive_json())["type"] == "frame" and published == state["frame"]:
                break
    assert published == state["frame"]
    assert state["config"]["training"]["learning_rate"] == 0.2


def test_the_frame_probe_carries_the_samples_own_gradients_like_predict(client, new_session):
    state = new_session({"dataset": {"name": "xor", "n": 60}})
    sid, probe = state["id"], state["frame"]["probe"]
    trace = client.post(
        f"/api/sessions/{sid}/predict",
        json={"inputs": [probe["input"]], "targets": [probe["target"]]},
    ).json()
    for got, want in zip(probe["gradients"]["weights"], trace["gradients"]["weights"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    for got, want in zip(probe["gradients"]["biases"], trace["gradients"]["biases"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
