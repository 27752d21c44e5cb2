"""End to end: the real ``backprop-playground`` command on a free port, real HTTP, a real
WebSocket (the ``websockets`` library), then a clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command() -> list[str]:
    script = Path(sys.executable).with_name("backprop-playground")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "app"]


@pytest.fixture
def server(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command(), "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start: " + log.read_text())
        yield base, log.read_text().splitlines()[0]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0


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
