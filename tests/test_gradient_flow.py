"""Gradient flow over time: each layer's mean |δ| and mean |∂E/∂w| per recorded epoch, in the
session's history (``GET .../history`` → ``gradient_flow``), bounded and thinned."""

from __future__ import annotations

import numpy as np
import pytest

from app.trainer.gradflow import GradientFlow


def deep(activation: str) -> dict:
    return {
        "network": {"hidden_layers": [8] * 6, "activations": [activation] * 6 + ["tanh"]},
        "dataset": {"name": "circle", "n": 200},
        "training": {"learning_rate": 0.03},
    }


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_history_holds_each_layers_mean_delta_and_gradient_per_epoch(client, new_session):
    state = new_session(deep("tanh"))
    sid = state["id"]
    frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    flow = client.get(f"/api/sessions/{sid}/history").json()["gradient_flow"]
    assert flow["epoch"] == list(range(6))
    assert all(len(row) == 7 for row in flow["delta"] + flow["grad_w"])
    # the last point is the engine's: mean |δ| over the training set (predict with targets;
    # the circle's inputs are its points x1, x2) ...
    train = state["data"]["train"]
    traced = client.post(
        f"/api/sessions/{sid}/predict",
        json={"inputs": train["points"], "targets": train["targets"]},
    ).json()
    expected = [float(np.mean(np.abs(layer["delta"]))) for layer in traced["layers"]]
    np.testing.assert_allclose(flow["delta"][-1], expected, rtol=1e-12)
    # ... and mean |∂E/∂w| of the epoch's mean gradients (the frame's)
    grads = [float(np.mean(np.abs(g))) for g in frame["gradients"]["weights"]]
    np.testing.assert_allclose(flow["grad_w"][-1], grads, rtol=1e-12)


def test_six_sigmoid_layers_vanish_where_six_relu_layers_do_not(client, new_session):
    ratios = {}
    for activation in ("sigmoid", "relu"):
        sid = new_session(deep(activation))["id"]
        client.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
        flow = client.get(f"/api/sessions/{sid}/history").json()["gradient_flow"]
        first, last = flow["delta"][-1][0], flow["delta"][-1][-1]
        ratios[activation] = first / last
    # σ' ≤ 1/4: six sigmoid layers shrink δ by orders of magnitude on its way to layer 1
    assert ratios["sigmoid"] < 1e-3
    assert ratios["relu"] > 100 * ratios["sigmoid"]


def test_reset_starts_the_flow_again(client, new_session):
    sid = new_session()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 4})
    client.post(f"/api/sessions/{sid}/reset")
    assert client.get(f"/api/sessions/{sid}/history").json()["gradient_flow"]["epoch"] == [0]


def test_the_series_is_bounded_and_thinned_like_the_loss_curve():
    flow = GradientFlow(16)
    measured = 0
    for epoch in range(1000):
        if flow.wants(epoch):
            measured += 1
            flow.add(epoch, [float(epoch)], [1.0])
    assert len(flow.epoch) <= 17
    assert flow.epoch[0] == 0 and flow.epoch == sorted(flow.epoch)
    steps = np.diff(flow.epoch)
    assert len(set(steps)) == 1 and steps[0] == flow.stride  # evenly spaced
    assert flow.delta == [[float(e)] for e in flow.epoch]
    assert measured < 100  # only epochs that are kept are measured
    again = GradientFlow(16)
    again.load_state(flow.state())
    assert again.to_json() == flow.to_json() and again.stride == flow.stride
