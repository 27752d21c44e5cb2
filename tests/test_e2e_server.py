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
