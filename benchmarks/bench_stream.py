"""Streaming benchmark for the classroom (issue 7): real servers, measured from the client side.

Each design is one server started by ``tests/support/server.py`` on a free loopback port:
"today" (``BPP_TRAINERS=0``: training in the web process) and "new" (the default settings:
trainer processes). Against each, one asyncio client (``websockets`` + ``httpx``) runs the cases:

  b   N sessions (``--sessions``, default 50) of the default network (``POST /api/sessions {}``),
      one WebSocket viewer each, all sent ``play``; after a warm-up (``--warmup``, 2 s) a window of
      ``--seconds`` (8 s): per session epochs/s = (last − first epoch of the frames received in
      the window) / the time between them, and frames/s = frames received / window.
      Targets: epochs/s p5 ≥ 100 (every session), frames/s median ≥ 20 and p5 ≥ 15.
  b2  the same with ``--many`` sessions (200); target frames/s p5 ≥ 10 (every session).
  e   one session of the largest allowed network (max hidden layers × max units, circle data with
      the largest allowed n, default batch) beside N − 1 default ones: the default ones' frames/s
      median as a fraction of case b's (same design); target ≥ 0.8.
  a   one W2 session (hidden [8]*6 tanh, 250 training points) alternately unwatched and with one
      viewer; target: epochs/s watched / unwatched ≥ 0.9.

Server CPU is the CPU time of the server and all its descendant processes (from /proc) over the
window, in cores; client CPU is this process's. On a small machine the client competes with the
server for the same cores: read both. Frames are parsed cheaply (type and epoch by a regex on
the first bytes), not with ``json.loads``.

Usage:
  .venv/bin/python benchmarks/bench_stream.py                 # all cases, both designs (~4 min)
  .venv/bin/python benchmarks/bench_stream.py --quick         # a smoke run (short, fewer sessions)
  .venv/bin/python benchmarks/bench_stream.py --cases b,e --designs new --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import ServerProcess, start_server  # noqa: E402

DESIGNS = {"today": {"BPP_TRAINERS": "0"}, "new": {}}
CASES = ("b", "b2", "e", "a")
W2 = {
    "network": {"hidden_layers": [8] * 6, "activations": ["tanh"] * 7},
    "dataset": {"name": "circle", "n": 500, "train_fraction": 0.5},
    "training": {"learning_rate": 0.03, "batch_size": 10},
}
# A frame starts like {"type":"frame","epoch":12, — read both without parsing ~10 KB of JSON.
FRAME_HEAD = re.compile(rb'\{"type":"frame","epoch":(\d+)')
PLAY = orjson.dumps({"type": "play"}).decode()
CONNECT = {"max_size": None, "compression": None, "ping_interval": None, "open_timeout": 30}


class BenchError(RuntimeError):
    """The server refused or failed something the benchmark needs."""


# ---- measurement ------------------------------------------------------------------------------


@dataclass
class Window:
    """The measuring window, in ``loop.time()`` (monotonic) seconds."""

    start: float
    end: float


@dataclass
class Viewer:
    """What one viewer received inside the window."""

    frames: int = 0
    first: tuple[float, int] | None = None  # (time, epoch) of the first frame in the window
    last: tuple[float, int] | None = None
    misses: int = 0  # frames whose head the regex could not read (parsed with orjson instead)
    sizes: list[int] = field(default_factory=list)

    def add(self, now: float, data: bytes) -> None:
        if not data.startswith(b'{"type":"frame"'):
            return
        match = FRAME_HEAD.match(data, 0, 60)
        if match:
            epoch = int(match.group(1))
        else:
            self.misses += 1
            epoch = int(orjson.loads(data)["epoch"])
        self.frames += 1
        if len(self.sizes) < 64:
            self.sizes.append(len(data))
        if self.first is None:
            self.first = (now, epoch)
        self.last = (now, epoch)

    def epochs_per_second(self) -> float:
        if self.first is None or self.last is None or self.last[0] <= self.first[0]:
            return 0.0
        return (self.last[1] - self.first[1]) / (self.last[0] - self.first[0])


@dataclass
class Load:
    """CPU cores used by the server's processes and by this client over the window."""

    server: float = float("nan")
    client: float = float("nan")


@dataclass
class Row:
    case: str
    design: str
    eps: list[float]
    fps: list[float]
    load: Load
    target: str = ""
    met: bool | None = None
    note: str = ""


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p5(xs: list[float]) -> float:
    if len(xs) < 2:
        return xs[0] if xs else float("nan")
    return statistics.quantiles(xs, n=20, method="inclusive")[0]


async def sample_load(server: ServerProcess, window: Window) -> Load:
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, window.start - loop.time()))
    s0, c0, t0 = server.cpu_seconds(), time.process_time(), loop.time()
    await asyncio.sleep(max(0.0, window.end - loop.time()))
    s1, c1, t1 = server.cpu_seconds(), time.process_time(), loop.time()
    return Load(server=(s1 - s0) / (t1 - t0), client=(c1 - c0) / (t1 - t0))


async def create_sessions(http: httpx.AsyncClient, bodies: list[dict]) -> list[str]:
    gate = asyncio.Semaphore(8)

    async def create(body: dict) -> str:
        async with gate:
            r = await http.post("/api/sessions", json=body)
        if r.status_code != 201:
            raise BenchError(f"POST /api/sessions: {r.status_code} {r.text[:300]}")
        return r.json()["id"]

    return list(await asyncio.gather(*(create(b) for b in bodies)))


async def delete_sessions(http: httpx.AsyncClient, ids: Iterable[str]) -> None:
    gate = asyncio.Semaphore(8)

    async def delete(sid: str) -> None:
        async with gate:
            await http.delete(f"/api/sessions/{sid}")

    await asyncio.gather(*(delete(s) for s in ids))
    for _ in range(100):  # bounded: until the server holds none (sockets closed, 1001)
        if (await http.get("/healthz")).json().get("sessions", 0) == 0:
            return
        await asyncio.sleep(0.1)


async def watch(
    url: str,
    record: Viewer,
    gate: asyncio.Semaphore,
    arrived: Callable[[BaseException | None], None],
    go: asyncio.Event,
    window: Window,
) -> None:
    """One viewer: connect, report it, wait for ``go``, send play, read until the window ends."""
    loop = asyncio.get_running_loop()
    try:
        async with gate:  # a few handshakes at a time
            ws = await websockets.connect(url, **CONNECT)
    except Exception as e:  # reported to the caller, which stops the case
        arrived(e)
        return
    async with ws:
        arrived(None)
        await go.wait()
        await ws.send(PLAY)
        try:
            async with asyncio.timeout_at(window.end):
                while True:
                    data = await ws.recv(decode=False)
                    now = loop.time()
                    if now >= window.start:
                        record.add(now, data)
        except (TimeoutError, websockets.ConnectionClosed):
            pass


async def play_and_watch(
    server: ServerProcess,
    http: httpx.AsyncClient,
    bodies: list[dict],
    seconds: float,
    warmup: float,
) -> tuple[list[Viewer], Load]:
    """Create one session per body, one viewer each, play them all; measure over the window."""
    ids = await create_sessions(http, bodies)
    records = [Viewer() for _ in ids]
    go, ready, window = asyncio.Event(), asyncio.Event(), Window(0.0, 0.0)
    errors: list[BaseException] = []
    count = 0

    def arrived(error: BaseException | None) -> None:
        nonlocal count
        count += 1
        if error is not None:
            errors.append(error)
        if count == len(ids):
            ready.set()

    gate = asyncio.Semaphore(16)
    tasks = [
        asyncio.create_task(
            watch(f"{server.ws_url}/api/sessions/{sid}/stream", rec, gate, arrived, go, window)
        )
        for sid, rec in zip(ids, records, strict=True)
    ]
    try:
        async with asyncio.timeout(60 + len(ids) * 0.5):
            await ready.wait()
        if errors:
            raise BenchError(f"{len(errors)} viewers could not connect: {errors[0]!r}")
        window.start = asyncio.get_running_loop().time() + warmup
        window.end = window.start + seconds
        go.set()
        load = await sample_load(server, window)
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await delete_sessions(http, ids)
    return records, load


# ---- the cases ---------------------------------------------------------------------------------


def row(case: str, design: str, viewers: list[Viewer], load: Load, seconds: float) -> Row:
    eps = [v.epochs_per_second() for v in viewers]
    fps = [v.frames / seconds for v in viewers]
    sizes = [s for v in viewers for s in v.sizes]
    misses = sum(v.misses for v in viewers)
    note = f"{len(viewers)} sessions, frame {median(sizes) / 1024:.0f} KB"
    if misses:
        note += f", {misses} frames parsed slowly"
    return Row(case, design, eps, fps, load, note=note)


async def case_b(server, http, design, n, seconds, warmup, *, many=False) -> Row:
    viewers, load = await play_and_watch(server, http, [{}] * n, seconds, warmup)
    r = row("b2" if many else "b", design, viewers, load, seconds)
    if many:
        r.target, r.met = "fps p5≥10", p5(r.fps) >= 10
    else:
        r.target = "eps p5≥100, fps med≥20 p5≥15"
        r.met = p5(r.eps) >= 100 and median(r.fps) >= 20 and p5(r.fps) >= 15
    return r


async def case_e(server, http, design, n, seconds, warmup, b_fps: float | None) -> list[Row]:
    limits = (await http.get("/api/catalog")).json()["limits"]
    big = {
        "network": {"hidden_layers": [limits["max_units_per_layer"]] * limits["max_hidden_layers"]},
        "dataset": {"name": "circle", "n": limits["max_samples"]},
    }
    viewers, load = await play_and_watch(server, http, [big] + [{}] * (n - 1), seconds, warmup)
    big_row = row("e big", design, viewers[:1], load, seconds)
    big_row.note = f"{limits['max_hidden_layers']}×{limits['max_units_per_layer']}, " + (
        f"n={limits['max_samples']}, " + big_row.note.split(", ", 1)[1]
    )
    rest = row("e others", design, viewers[1:], load, seconds)
    if b_fps:
        ratio = median(rest.fps) / b_fps
        rest.target, rest.met = f"fps/b = {ratio:.3f} ≥ 0.8", ratio >= 0.8
    else:
        rest.target = "fps/b ≥ 0.8 (run b too)"
    return [big_row, rest]


async def read_into(ws: websockets.ClientConnection, record: Viewer) -> None:
    """Read frames into ``record`` until cancelled or closed."""
    loop = asyncio.get_running_loop()
    try:
        while True:
            record.add(loop.time(), await ws.recv(decode=False))
    except websockets.ConnectionClosed:
        pass


async def epoch_of(http: httpx.AsyncClient, sid: str) -> int:
    return (await http.get(f"/api/sessions/{sid}/history")).json()["epoch"][-1]


async def case_a(server, http, design, seconds, rounds) -> list[Row]:
    """Alternate ``rounds`` times between nobody watching and one viewer, ``seconds / 2`` each,
    so that both see the same machine load; epochs from /history."""
    loop = asyncio.get_running_loop()
    (sid,) = await create_sessions(http, [W2])
    url = f"{server.ws_url}/api/sessions/{sid}/stream"
    alone, watched, fps, ratios, sizes = [], [], [], [], []
    cpu = {"alone": [], "watched": []}

    async def mark() -> tuple[int, float, float, float]:
        """(epoch, time, server CPU seconds, client CPU seconds) now."""
        epoch = await epoch_of(http, sid)
        return epoch, loop.time(), server.cpu_seconds(), time.process_time()

    async def span(key: str) -> float:
        e0, t0, s0, c0 = await mark()
        await asyncio.sleep(seconds / 2)
        e1, t1, s1, c1 = await mark()
        cpu[key].append(((s1 - s0) / (t1 - t0), (c1 - c0) / (t1 - t0)))
        return (e1 - e0) / (t1 - t0)

    try:
        async with websockets.connect(url, **CONNECT) as ws:  # play, then nobody watches
            await ws.send(PLAY)
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
        for _ in range(rounds):
            alone.append(await span("alone"))
            record = Viewer()
            async with websockets.connect(url, **CONNECT) as ws:
                reader = asyncio.create_task(read_into(ws, record))
                await asyncio.sleep(0.3)
                n0, t0 = record.frames, loop.time()
                watched.append(await span("watched"))
                fps.append((record.frames - n0) / (loop.time() - t0))
                reader.cancel()
                await asyncio.gather(reader, return_exceptions=True)
            sizes += record.sizes
            ratios.append(watched[-1] / alone[-1] if alone[-1] else 0.0)
            await asyncio.sleep(0.3)
    finally:
        await delete_sessions(http, [sid])

    def load(key: str) -> Load:
        return Load(median([s for s, _ in cpu[key]]), median([c for _, c in cpu[key]]))

    ratio = median(ratios)
    note = f"W2, {rounds} rounds, frame {median(sizes) / 1024:.0f} KB"
    return [
        Row("a alone", design, alone, [], load("alone")),
        Row(
            "a watched",
            design,
            watched,
            fps,
            load("watched"),
            f"ratio {ratio:.3f} ≥ 0.9",
            ratio >= 0.9,
            note,
        ),
    ]


async def run_design(design: str, env: dict[str, str], opts: argparse.Namespace) -> list[Row]:
    cap = str(max(opts.sessions, opts.many) + 20)
    server_env = {**env, "BPP_MAX_SESSIONS": cap, "BPP_MAX_SESSIONS_PER_CLIENT": cap}
    with tempfile.TemporaryDirectory(prefix="bpp-bench-") as logs:
        return await run_server(design, env, opts, start_server(env=server_env, log_dir=logs))


async def run_server(
    design: str, env: dict[str, str], opts: argparse.Namespace, server: ServerProcess
) -> list[Row]:
    rows: list[Row] = []
    b_fps: float | None = None
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as http:
            limits = (await http.get("/api/catalog")).json()["limits"]
            has = "trainers" in limits
            print(
                f"[{design}] server pid {server.pid}, env {env or '{}'}"
                + ("" if has else " (this server has no `trainers` setting: same as today)"),
                flush=True,
            )
            for case in (c for c in CASES if c in opts.cases):
                print(f"[{design}] case {case} ...", flush=True)
                if case == "b":
                    r = await case_b(server, http, design, opts.sessions, opts.seconds, opts.warmup)
                    b_fps = median(r.fps)
                    rows.append(r)
                elif case == "b2":
                    rows.append(
                        await case_b(
                            server, http, design, opts.many, opts.seconds, opts.warmup, many=True
                        )
                    )
                elif case == "e":
                    rows += await case_e(
                        server, http, design, opts.sessions, opts.seconds, opts.warmup, b_fps
                    )
                elif case == "a":
                    rows += await case_a(server, http, design, opts.seconds, opts.rounds)
                await asyncio.sleep(1.0)
    except BaseException:
        print(f"the server's log ends:\n{server.log_tail(20)}", file=sys.stderr)
        raise
    finally:
        server.stop()
    return rows


def fmt(x: float, digits: int = 0) -> str:
    return "–" if x != x else f"{x:.{digits}f}"


def print_table(rows: list[Row]) -> None:
    head = (
        "case",
        "design",
        "epochs/s med",
        "p5",
        "frames/s med",
        "p5",
        "server cores",
        "client cores",
        "target",
        "met",
        "note",
    )
    lines = [head]
    for r in rows:
        lines.append(
            (
                r.case,
                r.design,
                fmt(median(r.eps)),
                fmt(p5(r.eps)),
                fmt(median(r.fps), 1),
                fmt(p5(r.fps), 1),
                fmt(r.load.server, 2),
                fmt(r.load.client, 2),
                r.target,
                "" if r.met is None else ("yes" if r.met else "NO"),
                r.note,
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(head))]
    for i, line in enumerate(lines):
        print(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if i == 0:
            print("-+-".join("-" * w for w in widths))


async def main(opts: argparse.Namespace) -> None:
    print(
        f"cpus: {os.cpu_count()}  window {opts.seconds} s after {opts.warmup} s warm-up  "
        f"sessions {opts.sessions} (b, e), {opts.many} (b2)",
        flush=True,
    )
    rows: list[Row] = []
    for design in opts.designs:
        rows += await run_design(design, DESIGNS[design], opts)
    print()
    print_table(rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="measuring window (default 8; quick 2)")
    parser.add_argument("--warmup", type=float, help="warm-up before it (default 2; quick 1)")
    parser.add_argument("--sessions", type=int, help="sessions in b and e (default 50; quick 10)")
    parser.add_argument("--many", type=int, help="sessions in b2 (default 200; quick 40)")
    parser.add_argument("--rounds", type=int, help="alternations in a (default 4; quick 1)")
    parser.add_argument("--cases", default="b,b2,e,a", help="comma-separated: b,b2,e,a")
    parser.add_argument("--designs", default="today,new", help="comma-separated: today,new")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    opts = parser.parse_args(argv)
    defaults = (
        {"seconds": 2.0, "warmup": 1.0, "sessions": 10, "many": 40, "rounds": 1}
        if opts.quick
        else {"seconds": 8.0, "warmup": 2.0, "sessions": 50, "many": 200, "rounds": 4}
    )
    for key, value in defaults.items():
        if getattr(opts, key) is None:
            setattr(opts, key, value)
    opts.cases = [c.strip() for c in opts.cases.split(",") if c.strip()]
    opts.designs = [d.strip() for d in opts.designs.split(",") if d.strip()]
    for c in opts.cases:
        if c not in CASES:
            parser.error(f"unknown case {c!r} (choose from {', '.join(CASES)})")
    for d in opts.designs:
        if d not in DESIGNS:
            parser.error(f"unknown design {d!r} (choose from {', '.join(DESIGNS)})")
    if opts.sessions < 2 or opts.many < 1 or opts.seconds <= 0 or opts.warmup < 0:
        parser.error("need --sessions ≥ 2, --many ≥ 1, --seconds > 0, --warmup ≥ 0")
    return opts


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except BenchError as e:
        sys.exit(f"bench_stream: {e}")
