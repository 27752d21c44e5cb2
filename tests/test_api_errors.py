"""REST: bad input is a 4xx that names the field; unknown sessions are 404; limits hold."""

from __future__ import annotations

import pytest

SMALL = {"dataset": {"name": "xor_table"}, "network": {"hidden_layers": [2]}}


def fields(response) -> list[str]:
    return [error["field"] for error in response.json()["detail"]]


def assert_refused(response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert any(f == field or f.startswith(field) for f in fields(response)), response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"network": {"hidden_layers": [4] * 9}}, "network.hidden_layers"),
        ({"network": {"hidden_layers": [4, 33]}}, "network.hidden_layers[1]"),
        ({"network": {"hidden_layers": [0]}}, "network.hidden_layers[0]"),
        ({"network": {"hidden_layers": [-3]}}, "network.hidden_layers[0]"),
        ({"network": {"activations": ["tanh", "bogus", "tanh"]}}, "network.activations[1]"),
        ({"network": {"activations": ["tanh"]}}, "network.activations"),
        ({"network": {"loss": "hinge"}}, "network.loss"),
        ({"network": {"init": {"scheme": "magic"}}}, "network.init.scheme"),
        ({"network": {"weights": [[[1.0]]]}}, "network.biases"),
        ({"network": {"surprise": 1}}, "network.surprise"),
        ({"dataset": {"name": "moons"}}, "dataset.name"),
        ({"dataset": {"n": 5001}}, "dataset.n"),
        ({"dataset": {"n": 10**12}}, "dataset.n"),
        ({"dataset": {"n": 3}}, "dataset.n"),
        ({"dataset": {"noise": -1}}, "dataset.noise"),
        ({"dataset": {"train_fraction": 1.5}}, "dataset.train_fraction"),
        ({"dataset": {"features": ["x1", "x9"]}}, "dataset.features"),
        (
            {"dataset": {"name": "inline", "inputs": [[1, 2], [3]], "targets": [[0], [1]]}},
            "dataset.inputs[1]",
        ),
        (
            {"dataset": {"name": "inline", "inputs": [[0.0] * 65], "targets": [[0]]}},
            "dataset.inputs[0]",
        ),
        (
            {"dataset": {"name": "inline", "inputs": [[0.0]], "targets": [[0.0] * 17]}},
            "dataset.targets[0]",
        ),
        ({"training": {"learning_rate": -0.1}}, "training.learning_rate"),
        ({"training": {"learning_rate": 1e9}}, "training.learning_rate"),
        ({"training": {"batch_size": 0}}, "training.batch_size"),
        ({"training": {"momentum": 1.0}}, "training.momentum"),
        ({"training": {"regularization": "l3"}}, "training.regularization"),
        ({"training": {"seed": -1}}, "training.seed"),
        ({"training": {"learning_rate": "fast"}}, "training.learning_rate"),
    ],
)
def test_bad_session_bodies_are_422_naming_the_field(module_client, body, field):
    assert_refused(module_client.post("/api/sessions", json=body), 422, field)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(module_client, literal):
    text = '{"training": {"learning_rate": LIT}}'.replace("LIT", literal)
    response = module_client.post(
        "/api/sessions", content=text, headers={"content-type": "application/json"}
    )
    assert_refused(response, 422, "training.learning_rate")
    inline = '{"dataset": {"name": "inline", "inputs": [[0, LIT]], "targets": [[1]]}}'
    inline = inline.replace("LIT", literal)
    response = module_client.post(
        "/api/sessions", content=inline, headers={"content-type": "application/json"}
    )
    assert_refused(response, 422, "dataset.inputs[0][1]")


def test_malformed_json_is_422(module_client):
    response = module_client.post(
        "/api/sessions", content="{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_oversized_body_is_413(make_client):
    client = make_client(max_body_bytes=2048)
    response = client.post(
        "/api/sessions",
        content=b"{" + b" " * 4096 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "max_body_bytes" in response.text


def test_unknown_session_is_404_everywhere(module_client):
    sid = "no-such-session"
    for method, path, body in [
        ("get", "", None),
        ("patch", "", {"learning_rate": 0.1}),
        ("post", "/train", {"epochs": 1}),
        ("post", "/reset", None),
        ("get", "/history", None),
        ("post", "/predict", {"inputs": [[0, 0]]}),
        ("get", "/export", None),
        ("delete", "", None),
        ("post", "/weights", {"layer": 0, "i": 0, "j": 0, "value": 1}),
        ("post", "/biases", {"layer": 0, "j": 0, "value": 1}),
        ("post", "/gradient_check", {}),
    ]:
        response = module_client.request(method, f"/api/sessions/{sid}{path}", json=body)
        assert response.status_code == 404, (method, path, response.text)


def test_too_many_epochs_per_request_is_422(module_client, module_session):
    sid = module_session(SMALL)["id"]
    response = module_client.post(f"/api/sessions/{sid}/train", json={"epochs": 10_001})
    assert_refused(response, 422, "epochs")
    assert "max_epochs_per_request" in response.text
    assert_refused(
        module_client.post(f"/api/sessions/{sid}/train", json={"epochs": 0}), 422, "epochs"
    )


LARGEST = {
    "network": {"hidden_layers": [32] * 8},
    "dataset": {"name": "circle", "n": 5000, "train_fraction": 0.99},
    "training": {"batch_size": 1},
}


def test_train_work_beyond_max_train_work_is_422_naming_the_largest_allowed_epochs(
    module_client, module_session
):
    # the largest network on the largest data, online: about a second per epoch
    sid = module_session(LARGEST)["id"]
    response = module_client.post(f"/api/sessions/{sid}/train", json={"epochs": 100})
    assert_refused(response, 422, "epochs")
    message = response.json()["detail"][0]["msg"]
    assert "max_train_work" in message
    allowed = int(message.split("at most ")[1].split()[0])
    assert 1 <= allowed < 100
    assert module_client.get(f"/api/sessions/{sid}").json()["epoch"] == 0


def test_the_largest_allowed_epochs_are_accepted_and_one_more_is_refused(make_client):
    client = make_client(max_train_work=50_000)
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    refused = client.post(f"/api/sessions/{sid}/train", json={"epochs": 10_000})
    assert_refused(refused, 422, "epochs")
    allowed = int(refused.json()["detail"][0]["msg"].split("at most ")[1].split()[0])
    assert allowed >= 1
    ok = client.post(f"/api/sessions/{sid}/train", json={"epochs": allowed})
    assert ok.status_code == 200 and ok.json()["epoch"] == allowed
    more = client.post(f"/api/sessions/{sid}/train", json={"epochs": allowed + 1})
    assert_refused(more, 422, "epochs")


def test_a_step_beyond_max_train_work_is_an_error_on_the_socket(make_client):
    client = make_client(max_train_work=50_000)
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        ws.send_json({"type": "step", "epochs": 10_000})
        while (message := ws.receive_json())["type"] != "error":
            pass
    assert message["field"] == "epochs" and "max_train_work" in message["message"]
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] == 0


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"epoch": 10**23}, "state.epoch"),
        ({"samples_seen": 2**53 + 1}, "state.samples_seen"),
        ({"probe_index": 2**40}, "state.probe_index"),
        ({"probe_index": 4}, "state.probe_index"),
        (
            {"velocity": {"weights": [[[1e300, 0]], [[0], [0]]], "biases": [[0, 0], [0]]}},
            "state.velocity.weights[0][0][0]",
        ),
    ],
)
def test_absurd_exported_state_is_422_naming_the_field(module_client, state, field):
    body = {**SMALL, "state": state}
    assert_refused(module_client.post("/api/sessions", json=body), 422, field)


def test_bad_patch_is_422_and_keeps_the_session(module_client, module_session):
    sid = module_session(SMALL)["id"]
    assert_refused(
        module_client.patch(f"/api/sessions/{sid}", json={"batch_size": -1}), 422, "batch_size"
    )
    assert_refused(module_client.patch(f"/api/sessions/{sid}", json={"seed": 3}), 422, "seed")
    assert module_client.post(f"/api/sessions/{sid}/train", json={"epochs": 2}).status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"layer": 5, "i": 0, "j": 0, "value": 1}, "layer"),
        ({"layer": 0, "i": 2, "j": 0, "value": 1}, "i"),
        ({"layer": 0, "i": 0, "j": 2, "value": 1}, "j"),
        ({"layer": 0, "i": -1, "j": 0, "value": 1}, "i"),
        ({"layer": 0, "i": 0, "j": 0, "value": 1e300}, "value"),
        ({"layer": 0, "i": 0, "j": 0}, "value"),
    ],
)
def test_bad_weight_edits_are_422(module_client, module_session, body, field):
    sid = module_session(SMALL)["id"]
    assert_refused(module_client.post(f"/api/sessions/{sid}/weights", json=body), 422, field)


def test_bad_bias_edit_is_422(module_client, module_session):
    sid = module_session(SMALL)["id"]
    response = module_client.post(
        f"/api/sessions/{sid}/biases", json={"layer": 0, "j": 9, "value": 0}
    )
    assert_refused(response, 422, "j")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inputs": [[0.0, 1.0, 2.0]]}, "inputs"),
        ({"inputs": []}, "inputs"),
        ({"inputs": [[0, 1]], "targets": [[1, 1]]}, "targets"),
        ({"inputs": [[0, 1]] * 1001}, "inputs"),
    ],
)
def test_bad_predict_is_422(module_client, module_session, body, field):
    sid = module_session(SMALL)["id"]
    assert_refused(module_client.post(f"/api/sessions/{sid}/predict", json=body), 422, field)


def test_session_limits_are_429_naming_the_setting(make_client):
    client = make_client(max_sessions=3, max_sessions_per_client=2)
    for _ in range(2):
        assert client.post("/api/sessions", json=SMALL).status_code == 201
    response = client.post("/api/sessions", json=SMALL)
    assert response.status_code == 429
    assert "max_sessions_per_client" in response.text


def test_gradient_check_refuses_absurd_work(make_client):
    client = make_client(max_gradient_check_work=100)
    sid = client.post("/api/sessions", json={}).json()["id"]
    response = client.post(f"/api/sessions/{sid}/gradient_check", json={"samples": 50})
    assert_refused(response, 422, "samples")
