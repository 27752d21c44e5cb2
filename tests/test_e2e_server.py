"""End to end: the real ``backprop-playground`` command on a free port, real HTTP, a real
WebSocket (the ``websockets`` library), then a clean shutdown."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.server import start_server


def command() -> list[str] | None:
    """The installed ``backprop-playground`` script when there is one (else ``python -m app``)."""
    script = Path(sys.executable).with_name("backprop-playground")
    return [str(script)] if script.exists() else None


@pytest.fixture
def server(tmp_path):
    proc = start_server(command=command(), log_dir=tmp_path)
    try:
        yield proc.url, proc.log_text().splitlines()[0]
    finally:
        code = proc.stop(sig=signal.SIGINT)  # Ctrl-C: a clean shutdown exits with 0
    assert code == 0, proc.log_tail()
    assert "Traceback" not in proc.log_text(), proc.log_tail()


def test_real_server_streams_frames_over_a_real_websocket(server):
    base, first_line = server
    assert base + "/" in first_line  # the command prints its URL
    body = {
        "network": {"hidden_layers": [4], "activations": ["tanh", "sigmoid"]},
        "dataset": {"name": "xor_table"},
        "training": {"learning_rate": 0.5, "batch_size": 4},
    }
    created = httpx.post(f"{base}/api/sessions", json=body, timeout=10)
    assert created.status_code == 201
    sid = created.json()["id"]

    url = base.replace("http", "ws") + f"/api/sessions/{sid}/stream"
    frames: list[dict] = []
    with connect(url, open_timeout=10) as ws:  # websockets' own (threaded) client
        ws.send(json.dumps({"type": "play"}))
        while len(frames) < 10:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == "frame":
                frames.append(message)
        ws.send(json.dumps({"type": "pause"}))
    epochs = [f["epoch"] for f in frames]
    assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
    assert httpx.get(f"{base}/api/sessions/{sid}/history", timeout=10).json()["epoch"][-1] > 0
    assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
    assert httpx.delete(f"{base}/api/sessions/{sid}", timeout=10).status_code == 204


def test_forwarded_addresses_are_trusted_only_from_configured_proxies(tmp_path):
    """X-Forwarded-For from a client that is not a configured proxy does not make it many
    clients: the per-client session limit still counts its real address."""
    limits = {"BPP_MAX_SESSIONS_PER_CLIENT": "2"}
    for env, created in (
        (limits, [201, 201, 429]),  # default: no proxy trusted
        ({**limits, "BPP_FORWARDED_ALLOW_IPS": "127.0.0.1"}, [201, 201, 201]),
    ):
        with start_server(env=env, command=command(), log_dir=tmp_path / str(len(env))) as proc:
            answers = [
                httpx.post(
                    f"{proc.url}/api/sessions",
                    json={"dataset": {"name": "xor", "n": 20}},
                    headers={"X-Forwarded-For": f"10.9.8.{n}"},
                    timeout=30,
                ).status_code
                for n in range(3)
            ]
        assert answers == created


def test_viewers_leaving_while_their_session_is_deleted_leave_no_traceback(server):
    base, _ = server
    ws_base = base.replace("http", "ws", 1)
    for _ in range(15):
        body = {"dataset": {"name": "xor", "n": 20}}
        sid = httpx.post(f"{base}/api/sessions", json=body, timeout=30).json()["id"]
        with connect(f"{ws_base}/api/sessions/{sid}/stream", open_timeout=30) as ws:
            ws.recv(timeout=30)
            httpx.delete(f"{base}/api/sessions/{sid}", timeout=30)  # the page's tab-close path ...
        # ... closes its socket at the same moment
    assert httpx.get(f"{base}/healthz", timeout=30).json()["sessions"] == 0
