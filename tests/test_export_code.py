"""GET /api/sessions/{id}/export.py: the trained network as a runnable numpy script (and a
PyTorch module) that reproduces the server's outputs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import numpy as np
import pytest


def run_script(text: str, tmp_path, rows=None) -> np.ndarray:
    path = tmp_path / "network.py"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, str(path)],
        input="" if rows is None else json.dumps(rows),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return np.array(json.loads(done.stdout))


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


@pytest.mark.parametrize(
    "body",
    [
        {},  # circle, 2-[4,2]-1 tanh
        {
            "network": {
                "hidden_layers": [5, 3],
                "activations": ["relu", "leaky_relu", "softmax"],
                "loss": "cross_entropy",
            },
            "dataset": {"name": "spiral", "features": ["x1", "x2", "x1x2", "sin_x2"]},
        },
        {
            "network": {"hidden_layers": [4], "activations": ["softplus", "linear"]},
            "dataset": {"name": "sine"},
        },
        {
            "network": {"hidden_layers": [3], "activations": ["sigmoid", "sigmoid"]},
            "dataset": {"name": "xor_table"},
        },
    ],
)
def test_the_exported_numpy_script_reproduces_predict(client, new_session, tmp_path, body):
    sid = new_session(body)["id"]
    assert client.post(f"/api/sessions/{sid}/train", json={"epochs": 7}).status_code == 200
    state = client.get(f"/api/sessions/{sid}").json()
    rows = [[float(v) for v in r] for r in np.array(state["data"]["test"]["points"])]
    # the network's inputs: the features of the raw points (the server's own featurize)
    n0 = state["layer_sizes"][0]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, n0)).tolist()
    response = client.get(f"/api/sessions/{sid}/export.py")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/x-python")
    assert "attachment" in response.headers["content-disposition"]
    expected = np.array(
        client.post(f"/api/sessions/{sid}/predict", json={"inputs": X}).json()["outputs"]
    )
    got = run_script(response.text, tmp_path, X)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    # the same without rows on stdin: its own example rows run
    assert run_script(response.text, tmp_path).shape[1] == state["layer_sizes"][-1]
    if "features" in body.get("dataset", {}):
        # features(P) of the script maps raw points as the server does
        namespace: dict = {}
        exec(
            compile(response.text.replace('if __name__ == "__main__":', "if False:"), "x", "exec"),
            namespace,
        )
        frame_in = np.array(namespace["features"](rows[:5]))
        assert frame_in.shape == (5, n0)
        out = namespace["forward"](frame_in)
        via_points = client.post(f"/api/sessions/{sid}/predict", json={"inputs": frame_in.tolist()})
        np.testing.assert_allclose(out, via_points.json()["outputs"], rtol=0, atol=1e-12)
        assert np.allclose(frame_in[:, 2], frame_in[:, 0] * frame_in[:, 1])


def test_the_numpy_script_follows_the_weights_after_training(client, new_session, tmp_path):
    sid = new_session()["id"]
    before = client.get(f"/api/sessions/{sid}/export.py").text
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 3})
    after = client.get(f"/api/sessions/{sid}/export.py").text
    assert before != after and "epoch 3" in after


def test_the_pytorch_module_is_valid_python_with_the_trained_weights(client, new_session):
    sid = new_session()["id"]
    client.post(f"/api/sessions/{sid}/train", json={"epochs": 2})
    text = client.get(f"/api/sessions/{sid}/export.py", params={"framework": "pytorch"}).text
    ast.parse(text)
    W = client.get(f"/api/sessions/{sid}/export").json()["network"]["weights"]
    assert repr(W[0][0][0]) in text
    assert "nn.Linear(2, 4, dtype=torch.float64), nn.Tanh()" in text
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    namespace: dict = {}
    exec(compile(text.replace('if __name__ == "__main__":', "if False:"), "t", "exec"), namespace)
    import torch

    X = [[0.3, -1.2], [2.0, 0.5]]
    got = namespace["Network"]()(torch.tensor(X, dtype=torch.float64)).detach().numpy()
    expected = client.post(f"/api/sessions/{sid}/predict", json={"inputs": X}).json()["outputs"]
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_an_unknown_framework_is_refused_naming_the_field(client, new_session):
    sid = new_session()["id"]
    response = client.get(f"/api/sessions/{sid}/export.py", params={"framework": "jax"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "query.framework"


def test_an_unknown_session_is_404(client):
    assert client.get("/api/sessions/nope/export.py").status_code == 404
