"""The protocol page (/protocol) lists every WebSocket command and message with an example
that the server really accepts (commands) or really sends (messages), and /docs links it."""

from __future__ import annotations

import json
import typing

import pytest

from app.schemas import Command
from app.settings import Settings
from app.web.routers import protocol
from app.web.routers.stream import parse_command

SMALL = {"network": {"hidden_layers": [3]}, "dataset": {"name": "xor", "n": 40}}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def command_types() -> set[str]:
    """Every ``type`` of the socket's command union (app/schemas.py)."""
    union = typing.get_args(Command)[0]
    return {typing.get_args(m.model_fields["type"].annotation)[0] for m in typing.get_args(union)}


def test_every_command_of_the_schema_is_listed_and_its_example_is_accepted():
    listed = {c.name for c in protocol.COMMANDS}
    assert listed == command_types()
    for c in protocol.COMMANDS:
        assert c.example["type"] == c.name
        parsed = parse_command(json.dumps(c.example), Settings())
        assert parsed.type == c.name


def keys(message: dict) -> set[str]:
    return set(message)


@pytest.fixture
def real_messages(client) -> dict[str, dict]:
    """One message of each kind the session socket sends, taken from a real session."""
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    seen: dict[str, dict] = {}
    with client.websocket_connect(f"/api/sessions/{sid}/stream") as ws:
        ws.send_json({"type": "step_sample", "index": 1})
        ws.send_json({"type": "step", "epochs": 0})
        ws.send_json({"type": "play"})
        while len(seen) < 8:
            message = ws.receive_json()
            seen.setdefault(message["type"], message)
    return seen


def test_every_message_example_has_the_keys_the_server_sends(real_messages):
    documented = {m.name: m.example for m in protocol.MESSAGES}
    # a classroom seat's message, not a lone session's: its keys are pinned against the real
    # event in tests/test_activity_api.py (the correct-answer-before-the-reveal test)
    assert set(documented.pop("activity")) == {
        "type",
        "event",
        "step",
        "step_open",
        "mode",
        "revealed",
    }
    assert (
        set(documented)
        == set(real_messages)
        == {
            "frame",
            "status",
            "sample_step",
            "error",
            "history",
            "gradient_flow",
            "confusion",
            "replay_range",
        }
    )
    for name, real in real_messages.items():
        assert keys(documented[name]) == keys(real), name
    frame, example = real_messages["frame"], documented["frame"]
    assert keys(example["probe"]) <= keys(frame["probe"])
    assert keys(example["grid"]) == keys(frame["grid"])
    assert keys(example["grid"]["layers"][0][0]) == keys(frame["grid"]["layers"][0][0])
    assert keys(example["probe"]["layers"][0]) == keys(frame["probe"]["layers"][0])


def test_the_summary_example_has_the_keys_a_dashboard_gets(client):
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    with client.websocket_connect("/api/summaries") as ws:
        ws.send_json(protocol.WATCH.example | {"ids": [sid]})
        real = ws.receive_json()
    (example,) = [m.example for m in protocol.SUMMARY_MESSAGES if m.name == "summary"]
    assert keys(example) == keys(real) and keys(example["thumbnail"]) == keys(real["thumbnail"])


def test_the_page_shows_every_command_and_message_with_its_example(client):
    response = client.get("/protocol")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert "<script" not in html  # nothing inline (the site's CSP)
    listed = [("command", c) for c in [*protocol.COMMANDS, protocol.WATCH]]
    for kind, entry in [*listed, *(("message", m) for m in protocol.MESSAGES)]:
        assert f'id="{kind}-{entry.name}"' in html
        assert json.dumps(entry.example["type"]) in html.replace("&#34;", '"')
    for code, _ in protocol.CLOSE_CODES:
        assert f"<code>{code}</code>" in html
    assert "/api/sessions/{id}/stream" in html and "/api/summaries" in html
    assert client.get(response.text.split('rel="stylesheet" href="')[1].split('"')[0]).is_success


def test_the_openapi_description_links_the_protocol_page(client):
    description = client.get("/openapi.json").json()["info"]["description"]
    assert "(/protocol)" in description
    assert "/api/sessions/{session_id}/jobs/{job_id}" in client.get("/openapi.json").json()["paths"]


def test_the_protocol_page_documents_the_binary_frame_with_its_version(client):
    from app.trainer import frame_binary

    page = client.get("/protocol").text
    assert f"Binary frames (version {frame_binary.VERSION})" in page
    assert "?format=binary" in page and "zlen:u32" in page and "4400" in page
