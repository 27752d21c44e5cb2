"""``POST /api/backprop`` is exactly ``engine.backprop_step``."""

from __future__ import annotations

import pytest

import engine
from tests.test_backprop_step import MAZUR as MATT_MAZUR  # one copy of the worked example

INIT = {
    "network": {
        "layer_sizes": [3, 5, 4, 2],
        "activations": ["relu", "tanh", "softmax"],
        "loss": "cross_entropy",
        "init": {"scheme": "he", "seed": 7},
    },
    "inputs": [[0.1, -0.2, 0.3], [1.0, 0.5, -0.5]],
    "targets": [[1, 0], [0, 1]],
    "learning_rate": 0.1,
}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


@pytest.mark.parametrize("payload", [MATT_MAZUR, INIT], ids=["explicit", "init"])
def test_backprop_equals_the_engine(client, payload):
    response = client.post("/api/backprop", json=payload)
    assert response.status_code == 200, response.text
    assert response.json() == engine.backprop_step(payload)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"inputs": [[0.05]]}, "inputs"),
        ({"targets": [[0.01]]}, "targets"),
        ({"learning_rate": -1}, "learning_rate"),
        (
            {"network": {**MATT_MAZUR["network"], "activations": ["sigmoid", "nope"]}},
            "network.activations[1]",
        ),
        (
            {"network": {**MATT_MAZUR["network"], "layer_sizes": [2, 40, 2]}},
            "network.layer_sizes[1]",
        ),
        ({"network": {**MATT_MAZUR["network"], "weights": [[[0.1]]]}}, "network.weights"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_backprop_payload_is_422_naming_the_field(client, change, field):
    response = client.post("/api/backprop", json={**MATT_MAZUR, **change})
    assert response.status_code == 422, response.text
    names = [e["field"] for e in response.json()["detail"]]
    assert any(n.startswith(field) for n in names), names
