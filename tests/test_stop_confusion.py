"""Stop condition (PUT .../stop: test loss below x, or epoch n; enforced in the trainer) and the
confusion matrix (GET .../confusion, ``engine.confusion_matrix``)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine import accuracy, confusion_matrix

XOR = {
    "network": {"hidden_layers": [4], "activations": ["tanh", "tanh"]},
    "dataset": {"name": "xor", "n": 100},
    "training": {"learning_rate": 0.1},
}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_training_stops_at_max_epochs_and_is_refused_there(client, new_session):
    sid = new_session(XOR)["id"]
    put = client.put(f"/api/sessions/{sid}/stop", json={"max_epochs": 7})
    assert put.status_code == 200
    assert put.json() == {"stop": {"max_epochs": 7}, "reached": None}
    frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 20}).json()
    assert frame["epoch"] == 7
    refused = client.post(f"/api/sessions/{sid}/train", json={"epochs": 1})
    assert refused.status_code == 409
    detail = refused.json()["detail"][0]
    assert detail["field"] == "stop" and "max_epochs" in detail["msg"]
    # the condition travels with the session (export, state)
    assert client.get(f"/api/sessions/{sid}").json()["config"]["stop"] == {"max_epochs": 7}
    assert client.get(f"/api/sessions/{sid}/export").json()["stop"] == {"max_epochs": 7}
    client.put(f"/api/sessions/{sid}/stop", json={})
    assert client.post(f"/api/sessions/{sid}/train", json={"epochs": 2}).json()["epoch"] == 9


def test_training_stops_at_the_first_epoch_whose_test_loss_is_below_x(client, new_session):
    sid = new_session(XOR)["id"]
    losses = client.post(f"/api/sessions/{sid}/train", json={"epochs": 40}).json()
    history = client.get(f"/api/sessions/{sid}/history").json()
    target = history["test"][25]  # reached first at some epoch ≤ 25
    first = next(e for e, v in zip(history["epoch"], history["test"], strict=True) if v < target)
    assert losses["epoch"] == 40
    again = new_session(XOR)["id"]
    client.put(f"/api/sessions/{again}/stop", json={"test_loss_below": target})
    frame = client.post(f"/api/sessions/{again}/train", json={"epochs": 40}).json()
    assert frame["epoch"] == first and frame["loss"]["test"] < target


def test_play_stops_by_itself(client, new_session):
    sid = new_session(XOR)["id"]
    client.put(f"/api/sessions/{sid}/stop", json={"max_epochs": 30})
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        ws.send_json({"type": "play"})
        stopped = None
        for _ in range(500):
            m = ws.receive_json()
            if m["type"] == "status" and m.get("stopped"):
                stopped = m
                break
        assert stopped is not None and stopped["status"] == "paused" and stopped["epoch"] == 30
        assert "max_epochs" in stopped["stopped"]
        ws.send_json({"type": "play"})
        for _ in range(50):
            m = ws.receive_json()
            if m["type"] == "error":
                assert m["field"] == "stop"
                break
        else:
            pytest.fail("play past the stop condition was not refused")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"max_epochs": 0}, "max_epochs"),
        ({"max_epochs": "ten"}, "max_epochs"),
        ({"test_loss_below": -1}, "test_loss_below"),
        ({"test_loss_below": "NaN"}, "test_loss_below"),
        ({"epochs": 3}, "epochs"),
    ],
)
def test_a_bad_stop_condition_is_refused_naming_the_field(client, new_session, body, field):
    sid = new_session()["id"]
    response = client.put(f"/api/sessions/{sid}/stop", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == field


def test_a_bad_stop_condition_on_create_names_its_field(client):
    response = client.post("/api/sessions", json={"stop": {"max_epochs": -2}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "stop.max_epochs"


def test_the_confusion_matrix_is_the_engines_and_agrees_with_accuracy(client, new_session):
    sid = new_session(XOR)["id"]
    frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 10}).json()
    c = client.get(f"/api/sessions/{sid}/confusion").json()
    assert c["epoch"] == 10 and c["classes"] == ["0", "1"]
    train, test = np.array(c["train"]), np.array(c["test"])
    assert train.sum() == 50 and test.sum() == 50
    np.testing.assert_allclose(np.trace(train) / 50, frame["metrics"]["train_accuracy"])
    np.testing.assert_allclose(np.trace(test) / 50, frame["metrics"]["test_accuracy"])


def test_regression_has_no_confusion_matrix(client, new_session):
    sid = new_session({"dataset": {"name": "plane"}})["id"]
    response = client.get(f"/api/sessions/{sid}/confusion")
    assert response.status_code == 409
    assert response.json()["detail"][0]["field"] == "task"


def test_engine_confusion_matrix_counts_true_rows_and_predicted_columns():
    A = np.array([[0.9], [0.2], [0.7], [0.4], [0.6]])
    T = np.array([[1.0], [0.0], [0.0], [1.0], [1.0]])
    m = confusion_matrix(A, T, "sigmoid")
    assert m.tolist() == [[1, 1], [1, 2]]
    assert np.trace(m) / 5 == accuracy(A, T, "sigmoid")
    soft = confusion_matrix(np.eye(3)[[0, 1, 2, 2]], np.eye(3)[[0, 2, 2, 1]], "softmax")
    assert soft.tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    tanh = confusion_matrix(np.array([[-0.2], [0.3]]), np.array([[-1.0], [-1.0]]), "tanh")
    assert tanh.tolist() == [[1, 1], [0, 0]]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda K: st.tuples(
            arrays(np.float64, st.tuples(st.integers(1, 40), st.just(K)), elements=st.floats(0, 1)),
            st.data(),
        )
    )
)
def test_the_confusion_matrix_counts_each_sample_once_in_its_true_row_and_predicted_column(case):
    A, data = case
    N, K = A.shape
    T = data.draw(arrays(np.float64, (N, K), elements=st.sampled_from([0.0, 1.0])))
    counts = confusion_matrix(A, T, "sigmoid")
    C = max(K, 2)
    want = np.zeros((C, C), dtype=np.int64)
    for a, t in zip(A, T, strict=True):  # the readable count, one sample at a time
        if K > 1:
            want[int(np.argmax(t)), int(np.argmax(a))] += 1
        else:
            want[int(t[0] >= 0.5), int(a[0] >= 0.5)] += 1
    assert counts.dtype == np.int64 and counts.shape == (C, C)
    np.testing.assert_array_equal(counts, want)
