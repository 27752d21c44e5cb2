"""Issue 22: the OpenAPI document declares every status code each operation can answer, with
the one error model (``app/web/contract.py``), so that a new route cannot regress.

The rules are read from the routes themselves (their methods, parameters, body and
dependencies), not from a list of paths: a route added later is held to them too. The live
answers behind them are checked by ``tests/test_schemathesis.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import routing
from fastapi.routing import APIRoute

from app.settings import Settings
from app.web.contract import JSON_PREFIX
from app.web.deps import valid_session
from app.web.main import create_app
from app.web.routers.classroom_deps import current_teacher, my_seat, own_classroom

ERROR_REF = "#/components/schemas/ErrorOut"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# a route that depends (at any depth) on one of these answers these codes
CODES_OF_DEPENDENCY: dict[Callable[..., Any], set[int]] = {
    current_teacher: {401},
    own_classroom: {401, 403, 404},
    my_seat: {403, 404},
    valid_session: {403, 404, 409, 503},
}
# answers whose body is not JSON: the media type each declares
MEDIA_TYPES = {
    ("GET", "/api/sessions/{session_id}/export.py"): "text/x-python",
    ("GET", "/api/classrooms/{classroom_id}/export.csv"): "text/csv",
    ("GET", "/api/classrooms/{classroom_id}/answers.csv"): "text/csv",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return create_app(Settings(data_dir=str(tmp_path_factory.mktemp("data"))))


@pytest.fixture(scope="module")
def document(app) -> dict[str, Any]:
    return app.openapi()


def operations(app) -> Iterator[tuple[str, Any]]:
    """(method, route) of every documented operation; a route as FastAPI documents it (with
    the prefixes of the routers it is included in: ``path_format``, ``methods``,
    ``dependant``)."""
    contexts = getattr(routing, "iter_route_contexts", None)  # FastAPI ≥ 0.16x: lazy includes
    for item in contexts(app.routes) if contexts else app.routes:
        route = getattr(item, "original_route", item)
        if isinstance(route, APIRoute) and item.include_in_schema:
            for method in sorted(item.methods):
                yield method, item


def dependencies(route: Any) -> set[Callable[..., Any]]:
    found, todo = set(), list(route.dependant.dependencies)
    while todo:
        dependant = todo.pop()
        if dependant.call is not None:
            found.add(dependant.call)
        todo.extend(dependant.dependencies)
    return found


def required_codes(method: str, route: Any) -> set[int]:
    """The codes ``route`` can answer on ``method`` besides success, from how it is built."""
    codes = {408, 413}  # BodySizeLimit, on any request
    if method in UNSAFE:
        codes.add(403)  # SameOrigin: a cross-site Origin
        if route.path_format.startswith(JSON_PREFIX):
            codes |= {415, 422}  # JsonBody: not JSON, not UTF-8
    dependant = route.dependant
    params = dependant.path_params + dependant.query_params + dependant.header_params
    if params or dependant.body_params:
        codes.add(422)
    if any(p.name.endswith("_id") for p in dependant.path_params):
        codes.add(404)
    for dependency in dependencies(route):
        codes |= CODES_OF_DEPENDENCY.get(dependency, set())
    return codes


def test_the_rules_see_every_operation_of_the_document(app, document):
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert {(m, r.path_format) for m, r in operations(app)} == documented
    assert len(documented) >= 47


def test_every_operation_declares_each_status_code_it_can_answer(app, document):
    missing = {}
    for method, route in operations(app):
        answers = document["paths"][route.path_format][method.lower()]["responses"]
        declared = {int(code) for code in answers}
        lacking = required_codes(method, route) - declared
        if lacking:
            missing[f"{method} {route.path_format}"] = sorted(lacking)
    assert missing == {}, "declare them with app.web.contract.errors(...)"


def test_the_session_and_classroom_routes_are_held_to_their_dependencies_codes(app):
    """The rules above are not vacuous: the dependencies are found where they are used."""
    held = {f"{m} {r.path_format}": required_codes(m, r) for m, r in operations(app)}
    assert {403, 404, 409, 503} <= held["GET /api/sessions/{session_id}/jobs/{job_id}"]
    assert {401, 403, 404} <= held["GET /api/classrooms/{classroom_id}/export.csv"]
    assert {401} <= held["GET /api/lessons"]
    assert {403, 404} <= held["POST /api/classrooms/{classroom_id}/me/session"]
    assert {403, 415, 422} <= held["POST /api/auth/logout"]
    assert held["GET /api/version"] == {408, 413}


def test_every_error_answer_is_the_one_error_model_in_json(document):
    wrong = []
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            for code, answer in operation["responses"].items():
                if int(code) >= 400 and answer.get("content") != {
                    "application/json": {"schema": {"$ref": ERROR_REF}}
                }:
                    wrong.append(f"{method.upper()} {path} {code}")
    assert wrong == []
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ErrorOut"]["required"] == ["detail"]
    assert set(schemas["ErrorItem"]["required"]) == {"loc", "field", "msg", "type"}


def test_every_success_answer_has_a_schema_and_its_real_media_type(document):
    unshaped = []
    for path, ops in document["paths"].items():
        for method, operation in ops.items():
            for code, answer in operation["responses"].items():
                if not code.startswith("2") or code == "204":
                    continue
                content = answer.get("content", {})
                expected = MEDIA_TYPES.get((method.upper(), path), "application/json")
                if list(content) != [expected] or not content[expected].get("schema"):
                    unshaped.append(f"{method.upper()} {path} {code} {list(content)}")
    assert unshaped == []


@pytest.mark.parametrize(
    "method,path,model",
    [
        ("post", "/api/sessions/{session_id}/train", "JobOut"),  # its 202
        ("get", "/api/sessions/{session_id}/jobs/{job_id}", "JobOut"),
        ("delete", "/api/sessions/{session_id}/jobs/{job_id}", "JobOut"),
        ("get", "/api/sessions/{session_id}/replay", "ReplayOut"),
        ("put", "/api/sessions/{session_id}/stop", "StopOut"),
        ("get", "/api/sessions/{session_id}/confusion", "ConfusionOut"),
        ("post", "/api/csv", "CsvOut"),
    ],
)
def test_jobs_replay_stop_confusion_and_csv_answers_have_their_model(document, method, path, model):
    answers = document["paths"][path][method]["responses"]
    code = "202" if path.endswith("/train") else "200"
    schema = answers[code]["content"]["application/json"]["schema"]
    assert schema == {"$ref": f"#/components/schemas/{model}"}


# ---- the errors' locations -------------------------------------------------------------------


def test_an_unknown_session_in_the_path_is_named_as_a_path_parameter(client):
    answer = client.get("/api/sessions/nope")
    assert answer.status_code == 404
    [error] = answer.json()["detail"]
    assert error["loc"] == ["path", "session_id"] and error["field"] == "session_id"


def test_an_unknown_job_is_named_as_a_path_parameter(client, new_session):
    session = new_session()
    answer = client.get(f"/api/sessions/{session['id']}/jobs/nope")
    assert answer.status_code == 404
    assert answer.json()["detail"][0]["loc"] == ["path", "job_id"]


def test_a_missing_login_is_named_as_the_authorization_header(client):
    answer = client.get("/api/classrooms/nope")
    assert answer.status_code == 401
    assert answer.json()["detail"][0]["loc"] == ["header", "authorization"]


def test_an_unknown_classroom_is_named_as_a_path_parameter(client):
    client.app.state.classrooms.accounts.create_teacher("ada", "a long passphrase")
    login = client.post("/api/auth/token", json={"name": "ada", "password": "a long passphrase"})
    token = login.json()["access_token"]
    answer = client.get("/api/classrooms/nope", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404
    assert answer.json()["detail"][0]["loc"] == ["path", "classroom_id"]


def test_a_body_field_is_still_named_in_the_body(client, new_session):
    session = new_session()
    answer = client.post(f"/api/sessions/{session['id']}/train", json={"epochs": 10**12})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "epochs"]


def test_starlettes_own_refusals_have_the_error_shape(client):
    missing = client.get("/api/no-such-thing")
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["loc"] == ["path"]
    wrong_method = client.put("/api/version", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["detail"][0]["field"] == "method"
