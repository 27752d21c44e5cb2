"""Safe on a school network: cross-site pages cannot drive sessions, and every answer carries
headers that keep the page from being framed, sniffed or fed inline script."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

SMALL = {"dataset": {"name": "xor", "n": 20}}


# one app for the file, fresh sessions per test (tests/conftest.py, ``client``)
pytestmark = pytest.mark.shared_app


def test_a_page_on_another_origin_cannot_create_or_change_sessions(client):
    evil = {"Origin": "http://evil.example"}
    refused = client.post("/api/sessions", json=SMALL, headers=evil)
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["field"] == "origin"
    sid = client.post("/api/sessions", json=SMALL).json()["id"]  # no Origin: a script
    assert client.delete(f"/api/sessions/{sid}", headers=evil).status_code == 403
    assert client.get(f"/api/sessions/{sid}", headers=evil).status_code == 200  # reads are fine
    own = {"Origin": "http://testserver"}
    assert client.post(f"/api/sessions/{sid}/train", json={"epochs": 1}, headers=own).is_success


def test_a_socket_from_another_origin_is_refused(client):
    sid = client.post("/api/sessions", json=SMALL).json()["id"]
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect(
            f"/api/sessions/{sid}/stream", headers={"Origin": "http://evil.example"}
        ) as ws:
            ws.receive_json()
    assert refused.value.code == 1008
    with client.websocket_connect(
        f"/api/sessions/{sid}/stream", headers={"Origin": "http://testserver"}
    ) as ws:
        assert ws.receive_json()["type"] == "frame"


def test_origins_on_the_allow_list_may_drive_sessions(make_client):
    client = make_client(allowed_origins="https://lms.school.example, https://other.example/")
    for origin in ("https://lms.school.example", "https://other.example"):
        answer = client.post("/api/sessions", json=SMALL, headers={"Origin": origin})
        assert answer.status_code == 201
    refused = client.post("/api/sessions", json=SMALL, headers={"Origin": "https://x.example"})
    assert refused.status_code == 403


def test_every_answer_carries_the_security_headers_and_the_page_a_strict_policy(client):
    for path in ("/", "/api/catalog", "/healthz", "/nope"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
    policy = client.get("/").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    assert "frame-ancestors 'none'" in policy
