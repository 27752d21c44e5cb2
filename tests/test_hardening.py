"""Issue 10: JSON bodies only, one source per bound (schema = engine = contract), every export
imports again, a memory budget per server and per client, and an OpenAPI document that
describes every answer."""

from __future__ import annotations

import pytest

from engine.init import MAX_UNIFORM_RANGE
from engine.training import MAX_MOMENTUM, MAX_REGULARIZATION_RATE

SMALL = {"dataset": {"name": "xor", "n": 20}}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


# ---- item 3: JSON bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data", None]
)
def test_a_body_that_is_not_sent_as_json_is_refused_naming_the_body(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    answer = client.post("/api/sessions", content=b'{"dataset": {"n": 20}}', headers=headers)
    assert answer.status_code == 415
    (error,) = answer.json()["detail"]
    assert error["field"] == "body" and "send a JSON body" in error["msg"]
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    answer = client.post(f"/api/sessions/{sid}/train", content=b"epochs=1", headers=headers)
    assert answer.status_code == 415


@pytest.mark.parametrize(
    "body, says",
    [
        (b"\xff\xfe{}", "UTF-8"),
        (b'{"dataset": {"name": "\xe0\xa4"}}', "UTF-8"),
        (b"{not json", "send a JSON body"),
        (b"[1, 2]", "JSON object"),
        (b'"text"', "JSON object"),
    ],
)
def test_a_body_that_is_not_utf8_json_gets_the_documented_error_shape(client, body, says):
    answer = client.post(
        "/api/sessions", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422
    (error,) = answer.json()["detail"]
    assert error["field"] == "body" and error["loc"] == ["body"]
    assert says in error["msg"]


def test_json_types_with_a_charset_and_bodiless_posts_still_pass(client):
    created = client.post(
        "/api/sessions",
        content=b'{"dataset": {"name": "xor", "n": 20}}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert created.status_code == 201
    sid = created.json()["id"]
    assert client.post(f"/api/sessions/{sid}/reset").status_code == 200  # no body at all
    assert client.post("/api/sessions").status_code == 201


# ---- item 9: one source per bound ---------------------------------------------------------------


def _property(openapi: dict, model: str, name: str) -> dict:
    prop = openapi["components"]["schemas"][model]["properties"][name]
    return next((p for p in prop.get("anyOf", []) if p.get("type") == "number"), prop)


def test_the_published_bounds_are_the_ones_the_engine_enforces(client):
    openapi = client.get("/openapi.json").json()
    assert _property(openapi, "TrainingIn", "momentum")["maximum"] == MAX_MOMENTUM
    assert _property(openapi, "TrainingPatch", "momentum")["maximum"] == MAX_MOMENTUM
    rate = _property(openapi, "TrainingIn", "regularization_rate")["maximum"]
    assert rate == MAX_REGULARIZATION_RATE
    assert _property(openapi, "InitIn", "range")["maximum"] == MAX_UNIFORM_RANGE
    assert _property(openapi, "DatasetIn", "train_fraction")["exclusiveMaximum"] == 1
    limits = client.get("/api/catalog").json()["limits"]
    assert limits["max_regularization_rate"] <= MAX_REGULARIZATION_RATE
    # every bound is accepted at its edge ...
    edge = {
        "dataset": {"name": "xor", "n": 20, "train_fraction": 0.95},
        "network": {"init": {"scheme": "uniform", "range": MAX_UNIFORM_RANGE}},
        "training": {
            "momentum": MAX_MOMENTUM,
            "regularization": "l2",
            "regularization_rate": limits["max_regularization_rate"],
        },
    }
    assert client.post("/api/sessions", json=edge).status_code == 201
    # ... and refused just past it by the schema, naming the field
    for field, value in (
        ("training.momentum", 0.9995),
        ("training.regularization_rate", MAX_REGULARIZATION_RATE * 1.01),
        ("network.init.range", MAX_UNIFORM_RANGE * 1.01),
        ("dataset.train_fraction", 1.0),
    ):
        section, *path, name = field.split(".")
        body = {k: {**v} for k, v in edge.items()}
        target = body[section]
        for part in path:
            target[part] = {**target[part]}
            target = target[part]
        target[name] = value
        answer = client.post("/api/sessions", json=body)
        assert answer.status_code == 422, (field, answer.text)
        assert answer.json()["detail"][0]["field"] == field


# ---- item 7: every export imports -----------------------------------------------------------

BLOWS_UP = {  # full batch past the stable step: |w| grows ~10× an epoch, ∞ after ~140 epochs
    "network": {"hidden_layers": [], "activations": ["linear"]},
    "dataset": {"name": "sine", "n": 40},
    "training": {"learning_rate": 5.0, "batch_size": 100},
}


def _round_trip(client, sid: str) -> dict:
    exported = client.get(f"/api/sessions/{sid}/export").json()
    again = client.post("/api/sessions", json=exported)
    assert again.status_code == 201, again.text
    return exported


def test_training_past_max_abs_value_is_diverged_and_the_export_imports(make_client):
    client = make_client(max_abs_value=50.0)
    sid = client.post("/api/sessions", json=BLOWS_UP).json()["id"]
    frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 200}).json()
    assert frame["status"] == "diverged"
    exported = _round_trip(client, sid)
    numbers = [
        abs(x)
        for part in ("weights", "biases")
        for values in (exported["network"][part], exported["state"]["velocity"][part])
        for x in _flat(values)
    ]
    assert max(numbers) <= 50.0


def test_an_epoch_count_past_2_to_the_53_is_diverged_and_the_export_imports(client):
    first = client.post("/api/sessions", json=SMALL).json()["id"]
    exported = client.get(f"/api/sessions/{first}/export").json()
    exported["state"]["epoch"] = 2**53 - 2
    exported["state"]["samples_seen"] = 2**53 - 30
    sid = client.post("/api/sessions", json=exported).json()["id"]
    frame = client.post(f"/api/sessions/{sid}/train", json={"epochs": 5}).json()
    assert frame["status"] == "diverged" and frame["epoch"] <= 2**53
    state = _round_trip(client, sid)["state"]
    assert state["epoch"] <= 2**53 and state["samples_seen"] <= 2**53


def _flat(values) -> list[float]:
    if isinstance(values, list):
        return [x for v in values for x in _flat(v)]
    return [values]


# ---- item 2: a memory budget ----------------------------------------------------------------

MB = 1 << 20
MEASURED = [
    {},
    {"dataset": {"n": 2000}, "network": {"hidden_layers": [16, 16]}},
    {"dataset": {"n": 1000}, "network": {"hidden_layers": [32] * 8}},
    {
        "dataset": {
            "name": "inline",
            "inputs": [[(i * 7 + j) % 13 / 13 for j in range(32)] for i in range(1000)],
            "targets": [[(i + j) % 2 for j in range(4)] for i in range(1000)],
        },
        "network": {"hidden_layers": [32] * 4, "activations": ["tanh"] * 4 + ["sigmoid"]},
    },
]


@pytest.mark.parametrize("body", MEASURED, ids=["default", "wide", "deep", "inline"])
def test_the_memory_estimate_bounds_what_a_session_holds(body):
    """What a session holds in its trainer after training and streaming, measured with
    tracemalloc, is below the estimate the budget counts, and not far below."""
    import gc
    import tracemalloc

    from app.limits import session_bytes_of
    from app.schemas import SessionCreate
    from app.settings import Settings
    from app.trainer.resident import Resident

    settings = Settings()
    gc.collect()
    tracemalloc.start()
    try:
        resident = Resident("id", "client", body, settings)
        for _ in range(2):
            resident.trainer.run_epoch()
            for encode in (resident.frame_bytes, resident.state_bytes, resident.checkpoint_bytes):
                encode()
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    estimate = session_bytes_of(SessionCreate.model_validate(body), settings)
    assert held <= estimate <= 4 * held + MB, (held / MB, estimate / MB)


def _fill(client, body: dict) -> tuple[list[str], dict]:
    ids = []
    while (answer := client.post("/api/sessions", json=body)).status_code == 201:
        ids.append(answer.json()["id"])
        assert len(ids) < 100
    assert answer.status_code == 429, answer.text
    return ids, answer.json()["detail"][0]


def test_sessions_past_the_memory_budget_are_refused_naming_the_limit(make_client):
    from app.limits import session_bytes_of
    from app.schemas import SessionCreate
    from app.settings import Settings

    body = {"dataset": {"n": 2000}, "network": {"hidden_layers": [16, 16]}}
    each = session_bytes_of(SessionCreate.model_validate(body), Settings())
    for settings, setting in (
        ({"max_memory_mb_per_client": 16}, "max_memory_mb_per_client"),
        ({"max_memory_mb": 16}, "max_memory_mb"),
    ):
        client = make_client(**settings)
        ids, error = _fill(client, body)
        assert len(ids) == 16 * MB // each
        assert error["field"] == "session" and f"({setting})" in error["msg"]
        memory = client.get("/healthz").json()["memory"]
        assert memory["sessions_mb"] == pytest.approx(len(ids) * each / MB, abs=0.1)
        assert memory[setting] == 16
        client.delete(f"/api/sessions/{ids[0]}")
        assert client.get("/healthz").json()["memory"]["sessions_mb"] < memory["sessions_mb"]
        assert client.post("/api/sessions", json=body).status_code == 201


# ---- item 9: every answer described -----------------------------------------------------------

DESCRIBED = [
    ("get", "/healthz", "200"),
    ("get", "/api/catalog", "200"),
    ("post", "/api/backprop", "200"),
    ("post", "/api/sessions", "201"),
    ("get", "/api/sessions/{session_id}", "200"),
    ("patch", "/api/sessions/{session_id}", "200"),
    ("post", "/api/sessions/{session_id}/train", "200"),
    ("post", "/api/sessions/{session_id}/reset", "200"),
    ("get", "/api/sessions/{session_id}/history", "200"),
    ("post", "/api/sessions/{session_id}/predict", "200"),
    ("get", "/api/sessions/{session_id}/export", "200"),
    ("post", "/api/sessions/{session_id}/weights", "200"),
    ("post", "/api/sessions/{session_id}/biases", "200"),
    ("post", "/api/sessions/{session_id}/gradient_check", "200"),
]


def test_every_answer_of_the_session_api_has_a_schema_in_openapi(client):
    doc = client.get("/openapi.json").json()
    for method, path, code in DESCRIBED:
        schema = doc["paths"][path][method]["responses"][code]["content"]["application/json"]
        assert schema.get("schema"), (method, path, code)
        ref = schema["schema"].get("$ref", "")
        assert ref.startswith("#/components/schemas/"), (method, path, ref)
    export = doc["paths"]["/api/sessions/{session_id}/export"]["get"]["responses"]["200"]
    assert "SessionCreate" in export["content"]["application/json"]["schema"]["$ref"]


# ---- item 11: the API docs offline ------------------------------------------------------------


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_load_only_files_of_this_server_under_the_policy(client, path):
    import re

    page = client.get(path)
    assert page.status_code == 200
    assert "script-src 'self';" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/static/") for a in assets), assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_the_catalog_publishes_limits_but_no_secret_or_folder(make_client, tmp_path):
    secret = "postgresql+psycopg://bpp:hunter2@db.school.example/bpp"
    client = make_client(bus_url=None, data_dir=str(tmp_path / "private-folder"))
    client.app.state.settings = client.app.state.settings.model_copy(
        update={"database_url": secret, "bus_url": "redis://:hunter2@redis.example/0"}
    )
    text = client.get("/api/catalog").text
    assert "hunter2" not in text and "private-folder" not in text
    assert client.get("/api/catalog").json()["limits"]["max_units_per_layer"] == 32


def test_an_infinite_parameter_is_diverged_even_where_the_error_stays_finite():
    """w = ∞ into a saturated tanh gives a = 1 = t: E is finite, δ = 0; still diverged."""
    import numpy as np

    from engine import NetworkSpec, Trainer, TrainingConfig, init_params

    spec = NetworkSpec((1, 1), ("tanh",), "sse")
    X, T = np.ones((4, 1)), np.ones((4, 1))
    trainer = Trainer(spec, init_params(spec), X, T, config=TrainingConfig(batch_size=4))
    trainer.run_epoch()
    trainer.params.W[0][0, 0] = np.inf
    assert trainer.run_epoch().status == "diverged"
    assert np.isfinite(trainer.params.W[0]).all()
