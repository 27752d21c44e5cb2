"""Streaming benchmark: starts the real server on a free port and measures

(a) one session training W2 (2 inputs, hidden [8]*6 tanh, batch 10, 250 circle points)
    without and with a viewer connected: epochs per second and their ratio (target ≥ 0.9);
(b) N concurrent sessions (default 50, the default network), each playing with one viewer:
    frames per second delivered per viewer (target ≥ 10 at the default rate) and the median
    frame size.

Usage: python benchmarks/bench_stream.py [--seconds 5] [--sessions 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent

W2 = {
    "network": {"hidden_layers": [8] * 6, "activations": ["tanh"] * 7},
    "dataset": {"name": "circle", "n": 500, "train_fraction": 0.5},
    "training": {"learning_rate": 0.03, "batch_size": 10},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "BPP_MAX_SESSIONS_PER_CLIENT": "200"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


async def epoch_of(http: httpx.AsyncClient, sid: str) -> int:
    return (await http.get(f"/api/sessions/{sid}/history")).json()["epoch"][-1]


async def command(ws_url: str, message: dict) -> None:
    async with websockets.connect(ws_url) as ws:
        await ws.send(json.dumps(message))
        await asyncio.sleep(0.05)


async def viewer(ws_url: str, stop: asyncio.Event, sizes: list[int], play: bool = False) -> None:
    async with websockets.connect(ws_url, max_size=None) as ws:
        if play:
            await ws.send(json.dumps({"type": "play"}))
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            if text.startswith('{"type":"frame"'):
                sizes.append(len(text))


async def bench_a(base: str, seconds: float, rounds: int = 4) -> dict:
    """Alternate `rounds` times between nobody watching and one viewer, `seconds / 2` each,
    so that both sides see the same machine load; report medians and the median ratio."""
    alone, watched, ratios, fps, sizes = [], [], [], [], []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        sid = (await http.post("/api/sessions", json=W2)).json()["id"]
        ws_url = base.replace("http", "ws") + f"/api/sessions/{sid}/stream"
        await command(ws_url, {"type": "play"})  # then nobody watches
        await asyncio.sleep(0.5)
        half = seconds / 2
        for _ in range(rounds):
            e0, t0 = await epoch_of(http, sid), time.perf_counter()
            await asyncio.sleep(half)
            e1, t1 = await epoch_of(http, sid), time.perf_counter()
            alone.append((e1 - e0) / (t1 - t0))

            stop = asyncio.Event()
            task = asyncio.create_task(viewer(ws_url, stop, sizes))
            await asyncio.sleep(0.3)
            e0, t0, n0 = await epoch_of(http, sid), time.perf_counter(), len(sizes)
            await asyncio.sleep(half)
            e1, t1, n1 = await epoch_of(http, sid), time.perf_counter(), len(sizes)
            stop.set()
            await task
            watched.append((e1 - e0) / (t1 - t0))
            fps.append((n1 - n0) / (t1 - t0))
            ratios.append(watched[-1] / alone[-1])
            await asyncio.sleep(0.3)
        await http.delete(f"/api/sessions/{sid}")
    return {
        "alone": statistics.median(alone),
        "watched": statistics.median(watched),
        "ratio": statistics.median(ratios),
        "fps": statistics.median(fps),
        "frame_bytes": statistics.median(sizes) if sizes else 0,
    }


async def bench_b(base: str, seconds: float, sessions: int) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        ids = [(await http.post("/api/sessions", json={})).json()["id"] for _ in range(sessions)]
        stop = asyncio.Event()
        sizes: list[list[int]] = [[] for _ in ids]
        ws_base = base.replace("http", "ws")
        tasks = [
            asyncio.create_task(viewer(f"{ws_base}/api/sessions/{sid}/stream", stop, s, True))
            for sid, s in zip(ids, sizes, strict=True)
        ]
        await asyncio.sleep(1.0)
        e0 = [await epoch_of(http, sid) for sid in ids]
        n0, t0 = [len(s) for s in sizes], time.perf_counter()
        await asyncio.sleep(seconds)
        n1, t1 = [len(s) for s in sizes], time.perf_counter()
        e1 = [await epoch_of(http, sid) for sid in ids]
        stop.set()
        await asyncio.gather(*tasks)
        for sid in ids:
            await http.delete(f"/api/sessions/{sid}")
    elapsed = t1 - t0
    fps = [(b - a) / elapsed for a, b in zip(n0, n1, strict=True)]
    all_sizes = [x for s in sizes for x in s]
    return {
        "fps_median": statistics.median(fps),
        "fps_min": min(fps),
        "frame_bytes": statistics.median(all_sizes) if all_sizes else 0,
        "epochs_per_s": statistics.median((b - a) / elapsed for a, b in zip(e0, e1, strict=True)),
    }


async def main(seconds: float, sessions: int) -> None:
    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        a = await bench_a(base, seconds)
        b = await bench_b(base, seconds, sessions)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print(f"cpus: {os.cpu_count()}  seconds per measurement: {seconds}")
    print("(a) W2, one session                      value      target")
    print(f"    epochs/s without a viewer         {a['alone']:9.0f}")
    print(f"    epochs/s with one viewer          {a['watched']:9.0f}")
    print(f"    ratio                             {a['ratio']:9.2f}      >= 0.9")
    print(f"    frames/s to the viewer            {a['fps']:9.1f}")
    print(f"    median frame size (bytes)         {a['frame_bytes']:9.0f}")
    print(f"(b) {sessions} sessions, one viewer each")
    print(f"    frames/s per viewer (median)      {b['fps_median']:9.1f}      >= 10")
    print(f"    frames/s per viewer (slowest)     {b['fps_min']:9.1f}")
    print(f"    median frame size (bytes)         {b['frame_bytes']:9.0f}")
    print(f"    epochs/s per session (median)     {b['epochs_per_s']:9.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sessions", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.sessions))
