"""Property-based fuzzing of request bodies and WebSocket commands: never a 5xx, never a
broken session."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.settings import Settings
from app.trainer.frames import PANEL_KINDS
from app.web.main import create_app

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

numbers = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=12))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
names = st.sampled_from(
    [
        "tanh",
        "sigmoid",
        "relu",
        "softmax",
        "linear",
        "bogus",
        "sse",
        "cross_entropy",
        "circle",
        "xor",
        "spiral",
        "sine",
        "inline",
        "xor_table",
        "xavier",
        "zeros",
        "x1",
        "x1x2",
    ]
)
small = st.one_of(st.integers(-3, 40), st.floats(-2, 2), names, st.none())
matrix = st.lists(st.lists(st.one_of(st.floats(-3, 3), numbers), max_size=3), max_size=4)

session_bodies = st.fixed_dictionaries(
    {},
    optional={
        "network": st.fixed_dictionaries(
            {},
            optional={
                "hidden_layers": st.one_of(st.lists(small, max_size=10), json_values),
                "activations": st.one_of(st.lists(names, max_size=5), json_values),
                "loss": st.one_of(names, json_values),
                "init": st.fixed_dictionaries(
                    {}, optional={"scheme": names, "seed": small, "range": small}
                ),
                "weights": st.one_of(st.lists(matrix, max_size=3), json_values),
                "biases": st.one_of(matrix, json_values),
            },
        ),
        "dataset": st.fixed_dictionaries(
            {},
            optional={
                "name": names,
                "n": st.one_of(small, numbers),
                "noise": small,
                "train_fraction": small,
                "seed": small,
                "features": st.one_of(st.lists(names, max_size=4), json_values),
                "inputs": matrix,
                "targets": matrix,
            },
        ),
        "training": st.fixed_dictionaries(
            {},
            optional={
                "learning_rate": st.one_of(small, numbers),
                "batch_size": small,
                "momentum": small,
                "regularization": st.sampled_from(["none", "l1", "l2", "l9"]),
                "regularization_rate": small,
                "seed": small,
            },
        ),
    },
)


def to_text(value) -> str:
    return json.dumps(value, allow_nan=True)


@pytest.fixture(scope="module")
def fuzz_client():
    with TestClient(
        create_app(Settings(max_sessions=10_000, max_sessions_per_client=10_000)),
        raise_server_exceptions=False,
    ) as client:
        sid = client.post(
            "/api/sessions",
            json={"dataset": {"name": "xor_table"}, "network": {"hidden_layers": [3]}},
        ).json()["id"]
        yield client, sid


def post(client, path: str, body) -> int:
    response = client.post(
        path, content=to_text(body), headers={"content-type": "application/json"}
    )
    return response.status_code


@FUZZ
@given(body=st.one_of(session_bodies, json_values))
def test_fuzzed_session_bodies_never_give_5xx(fuzz_client, body):
    client, _ = fuzz_client
    response = client.post(
        "/api/sessions", content=to_text(body), headers={"content-type": "application/json"}
    )
    assert response.status_code < 500, response.text
    if response.status_code == 201:
        client.delete(f"/api/sessions/{response.json()['id']}")


@FUZZ
@given(
    path=st.sampled_from(["train", "predict", "weights", "biases", "gradient_check", "reset"]),
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "epochs": small,
                "inputs": matrix,
                "targets": matrix,
                "layer": small,
                "i": small,
                "j": small,
                "value": st.one_of(small, numbers),
                "samples": small,
                "eps": small,
            },
        ),
    ),
)
def test_fuzzed_session_requests_never_give_5xx(fuzz_client, path, body):
    client, sid = fuzz_client
    assert post(client, f"/api/sessions/{sid}/{path}", body) < 500
    patch = client.patch(
        f"/api/sessions/{sid}", content=to_text(body), headers={"content-type": "application/json"}
    )
    assert patch.status_code < 500
    assert client.get(f"/api/sessions/{sid}").status_code == 200  # never broken


@FUZZ
@given(
    body=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {
                "network": st.fixed_dictionaries(
                    {
                        "layer_sizes": st.lists(small, max_size=4),
                        "activations": st.lists(names, max_size=3),
                    },
                    optional={
                        "weights": st.lists(matrix, max_size=3),
                        "biases": matrix,
                        "loss": names,
                    },
                )
            },
            optional={
                "inputs": matrix,
                "targets": matrix,
                "learning_rate": st.one_of(small, numbers),
            },
        ),
    )
)
def test_fuzzed_backprop_payloads_never_give_5xx(fuzz_client, body):
    client, _ = fuzz_client
    assert post(client, "/api/backprop", body) < 500


commands = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["play", "pause", "step", "step_sample", "reset", "set", "probe", "jump"]
            )
        },
        optional={
            "epochs": small,
            "index": small,
            "training": st.one_of(
                json_values,
                st.fixed_dictionaries({}, optional={"learning_rate": small, "batch_size": small}),
            ),
        },
    ),
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(commands, min_size=1, max_size=6))
def test_fuzzed_commands_keep_the_stream_usable(fuzz_client, batch):
    client, sid = fuzz_client
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        for command in batch:
            ws.send_text(to_text(command))
        ws.send_text('{"type": "pause", "marker_end_of_batch": 1}')
        for _ in range(10_000):  # every command was answered, the last with this error
            message = ws.receive_json()
            assert message["type"] in {"frame", "status", "error", "sample_step", *PANEL_KINDS}
            if message["type"] == "error" and message["field"] == "marker_end_of_batch":
                break
        ws.send_text('{"type": "pause"}')
        ws.send_text('{"type": "step", "epochs": 1}')
        for _ in range(10_000):  # and the stream still answers
            if ws.receive_json()["type"] == "frame":
                break
    assert client.get(f"/api/sessions/{sid}").status_code == 200
