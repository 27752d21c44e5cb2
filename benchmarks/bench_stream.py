"""Streaming benchmark for the classroom (issues 7, 8): real servers, measured client-side.

Each design is one server started by ``tests/support/server.py`` on a free loopback port:
"today" (``BPP_FRAME_RATE=30 BPP_ADAPTIVE_FRAME_RATE=0``: the design before issue 21, a fixed
30 frames/s) and "new" (the default settings: the adaptive frame rate, up to 60 frames/s alone,
a class degraded evenly, never below 15); "inproc" (``BPP_TRAINERS=0``: training in the web
process, issue 7's "today") when asked. Against each, one asyncio client (``websockets`` +
``httpx``) runs the cases. Every viewer behaves as the real page does (issue 21): beside reading
its stream it replays the page's own traffic recorded in headless Chromium
(``benchmarks/page_traffic.json``, made by ``bench_page.py --record``: the stream messages and
REST requests the page sent while playing, each kind at its recorded rate, a random phase per
viewer); ``--no-page-traffic`` reads the stream only. Viewers ask for the frame form the page
asks for: binary (``?format=binary``), and JSON in "today" (the page before issue 21;
``--json-frames``: JSON in every design). The table gives, per case, epochs/s and
frames/s per session (median, p5), the server's cores and its epochs per CPU-second (all
sessions' epochs/s over the server's cores).

  b   N sessions (``--sessions``, default 50) of the default network (``POST /api/sessions {}``),
      one WebSocket viewer each, all sent ``play``; after a warm-up (``--warmup``, 2 s) a window of
      ``--seconds`` (8 s): per session epochs/s = (last − first epoch of the frames received in
      the window) / the time between them, and frames/s = frames received / window.
      Target (issue 21): "new" ≥ 0.95× "today" of the same run, frames/s and epochs/s medians.
  b2  the same with ``--many`` sessions (200, a lecture hall); targets (issue 21): frames/s
      median ≥ 20 and p5 ≥ 15, epochs/s median ≥ 60 per student.
  e   one session of the largest allowed network (max hidden layers × max units, circle data with
      the largest allowed n, default batch) beside N − 1 default ones: the default ones' frames/s
      median as a fraction of case b's (same design); target ≥ 0.8.
  a   one W2 session (hidden [8]*6 tanh, 250 training points) alternately unwatched and with one
      viewer; target: epochs/s watched / unwatched ≥ 0.9.

Two more cases start servers of their own (issue 8), whatever ``--designs`` says:

  ck  checkpoint cost: the all-in-one server ("new") with N default sessions playing, a viewer
      each, started once per ``BPP_CHECKPOINT_SECONDS`` of 86400 (no checkpoint while playing),
      5 (the default) and 1, in ``--ck-rounds`` interleaved rounds (order reversed every other
      round). The window is ``--seconds`` rounded up to a multiple of 5 s, so that each variant
      sees whole checkpoint periods. Per round, epochs/s median with checkpoints / without;
      the median over rounds. Target: 5 s / off ≥ 0.95 (at most 5 % slower); 1 s shows the trend.
      Beside it, the same ratio of epochs per server CPU-second (all sessions' epochs/s over the
      server's cores): the checkpoints' cost in work, less moved by other load on the machine.
      ``--ck-together`` runs the three servers of a round at once instead, sharing the machine:
      each then sees the same other load, and their epochs/s compare the work per epoch.
  d   distributed: 2 web processes (``python -m app web``) and 2 trainer commands
      (``python -m app trainer``, ``BPP_TRAINERS=1`` each) on one real ``redis-server`` and one
      store — a throwaway PostgreSQL (``tests/support/postgres.py``), or a SQLite file in a
      temporary folder shared by all four when PostgreSQL is not installed or ``--store
      sqlite`` (the output says which). N default sessions, created alternately on the two web
      processes; each viewer connects to the *other* web process than the one that created its
      session (no sticky routing). Epochs/s and frames/s per session beside case b of the "new"
      design run right before and right after d (pooled, as "b (d's ref)"), the CPU of every
      process (web, each trainer command, redis, postgres) and how the sessions were spread over
      the trainers. No target: on a 2-core machine these six processes and this client share
      two cores.

One more starts a server of its own, only when asked (``--cases f``):

  f   the classroom (issue 9): a teacher (made with ``python -m app create-teacher``) opens a
      classroom of the default lesson (XOR, 2-[2]-1, sigmoid, SSE, η = 0.5, batch 1, seed 7);
      ``--students`` (200) join it by code from this one address, each with a seat cookie of
      their own, and open one viewer each (``/api/sessions/{id}/stream`` with that cookie), all
      playing; beside them a teacher's dashboard socket (``/api/summaries`` with the teacher's
      cookie) watches every student's session. Per student: frames/s and epochs/s (median, p5,
      minimum); the dashboard's summaries/s per student. Targets (issue 9): every student
      ≥ 20 frames/s and ≥ 100 epochs/s, the dashboard ≥ 1 summary/s of every student; issue
      21's, met or not in the table: frames/s median ≥ 20, p5 ≥ 15, epochs/s median ≥ 60. Once
      per design of ``--designs``. First,
      on the same server, "f base": as many anonymous sessions of the same lesson with one viewer
      each and no classroom (no seats, no dashboard), right before and again right after the
      class (pooled, as d's reference: the machine's other load drifts), so that the ratios
      show what the classroom costs. Session caps raised for the baseline.

  fa  case f with answers (issue 18): the same lesson as a two-step activity whose step 1 asks
      δ_k of each student's probe sample (a network question, checked on the student's own
      network by its trainer); ``--students`` seats, the teacher opens step 1 for the class
      (networks frozen). As many anonymous sessions play beside them with a viewer each (as
      f's: binary frames, the page's traffic), over one window of four segments, QBBQ, each
      one checkpoint period long (5 s; ``--quick``: 1 s): three times in each B segment every
      student answers at once (six bursts, over kept-alive raw HTTP connections: a cheap load
      generator, standing in for the students' own devices; a student answers again only once
      their last answer is back), the Q segments have none. Prints the answers' p95 latency
      (target ≤ 1 s), the playing sessions' epochs/s and frames/s in the B segments as a ratio
      of the Q segments' (target: unaffected), epochs per trainer CPU-second likewise, and the
      CPU the answers cost (web process, trainers, this client) per answer.

And one more, only when asked (``--cases j``):

  j   fair shares against jobs (issue 22): the "new" design, two clients told apart by
      X-Forwarded-For (``BPP_FORWARDED_ALLOW_IPS=127.0.0.1``). The calm client's one default
      session, one viewer, playing: frames/s and epochs/s alone; then while the busy client runs
      4 large jobs (the largest allowed network on the largest circle data, ``POST .../train``
      with ``"job": true``, ``max_train_work`` raised so that they outlast the window) on 4
      sessions of its own; then alone again. The calm session's frames/s and epochs/s beside
      the jobs over alone (before and after pooled), as ratios of one run. Target: frames/s and
      epochs/s ratios ≥ 0.8. It runs once per design of ``--designs`` ("inproc": the trainer in
      the web process; "today"/"new": trainer processes; "new1": one trainer process, which holds
      the calm session and every job, so that the ratio shows the trainer's shares alone;
      "new2": two trainer processes, where a trainer left with only jobs rests while the calm
      session plays on the other (``app.trainer.elsewhere``); "local2": the same without that,
      each trainer sharing only its own time — the rule before). The note gives each trainer's
      cores beside the jobs (the one with only jobs rests with "new2"), and the calm session's
      epochs per CPU-second of its own trainer beside over alone: ratios that the machine's
      load does not move, where the frames/s and epochs/s ratios move with what the other
      processes on the machine leave the server.

``--job-weights 1,0.1`` runs every server case and j once per ``BPP_JOB_WEIGHT`` (1 is the old
rule: a job weighs as much as a playing session) and prints each case's medians at the later
weights over the first one, in the same run (issue 22: the new rule must not slow the others).

In b, b2, e, d and f the window opens ``--warmup`` s after every viewer has seen a frame of a later
epoch than its first (training reaches it; at most 30 s); the notes give that delay from play
(median, max).

Server CPU is the CPU time of the server and all its descendant processes (from /proc) over the
window, in cores; client CPU is this process's. On a small machine the client competes with the
server for the same cores: read both. Frames are parsed cheaply (type and epoch by a regex on
the first bytes), not with ``json.loads``.

Usage:
  .venv/bin/python benchmarks/bench_stream.py                 # all cases, both designs (~4 min)
  .venv/bin/python benchmarks/bench_stream.py --quick         # a smoke run (short, fewer sessions)
  .venv/bin/python benchmarks/bench_stream.py --cases b,e --designs new --seconds 5
  .venv/bin/python benchmarks/bench_stream.py --cases d,ck --quick
  .venv/bin/python benchmarks/bench_stream.py --cases f               # the classroom (~1 min)
  .venv/bin/python benchmarks/bench_stream.py --cases fa              # a class answering at once
  .venv/bin/python benchmarks/bench_stream.py --cases j --quick       # fair shares vs jobs
  .venv/bin/python benchmarks/bench_stream.py --cases b,j --job-weights 1,0.1   # old vs new rule
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.classroom import DEFAULT_LESSON, create_teacher  # noqa: E402
from tests.support.postgres import find_postgres_bindir, start_postgres  # noqa: E402
from tests.support.redis import find_redis_server, start_redis  # noqa: E402
from tests.support.server import ServerProcess, start_server  # noqa: E402

# "today": the design before issue 21 (a fixed 30 frames/s); "new": the defaults (the adaptive
# frame rate, up to 60 alone); "inproc": issue 7's "today" (training in the web process);
# "new1": one trainer process (case j: a trainer's shares apart from how the OS splits cores);
# "new2": two trainer processes; "local2": two, each sharing only its own time (case j: the rule
# before the shares across trainers, ``BPP_SHARE_INTERVAL=0``).
DESIGNS = {
    "today": {"BPP_FRAME_RATE": "30", "BPP_ADAPTIVE_FRAME_RATE": "0"},
    "new": {},
    "inproc": {"BPP_TRAINERS": "0"},
    "new1": {"BPP_TRAINERS": "1"},
    "new2": {"BPP_TRAINERS": "2"},
    "local2": {"BPP_TRAINERS": "2", "BPP_SHARE_INTERVAL": "0"},
}
# The frame form each design's viewers ask for: the page before issue 21 read JSON frames; the
# page now asks for binary ones (``static/js/stream.js``: ``?format=binary``), and so do the
# viewers of the other designs (``--json-frames``: every viewer reads JSON).
FRAMES = {"today": "json"}
# The real page's traffic beside its stream, recorded in headless Chromium (bench_page.py
# --record): every viewer replays it at the recorded rates (``--no-page-traffic``: frames only).
PAGE_TRAFFIC = ROOT / "benchmarks" / "page_traffic.json"
SERVER_CASES = ("b", "b2", "e", "a")  # run against one server per design
CASES = (*SERVER_CASES, "ck", "d", "f", "fa", "j")
CK_INTERVALS = (86400.0, 5.0, 1.0)  # BPP_CHECKPOINT_SECONDS: off while playing, default, short
CK_DEFAULT = 5.0
W2 = {
    "network": {"hidden_layers": [8] * 6, "activations": ["tanh"] * 7},
    "dataset": {"name": "circle", "n": 500, "train_fraction": 0.5},
    "training": {"learning_rate": 0.03, "batch_size": 10},
}
# A frame starts like {"type":"frame","epoch":12, — read both without parsing ~10 KB of JSON.
FRAME_HEAD = re.compile(rb'\{"type":"frame","epoch":(\d+)')
# A binary frame (app/frame_format.py): "BPF", its header, then sizes, names and the scalars,
# epoch first.
BINARY_HEAD = struct.Struct("<3sBBBHHBBBx")


def frames_of(design: str, opts: argparse.Namespace | None = None) -> str:
    """The frame form ``design``'s viewers ask for (``FRAMES``; binary unless said)."""
    if opts is not None and getattr(opts, "json_frames", False):
        return "json"
    return FRAMES.get(design, "binary")


def stream_url(ws_url: str, sid: str, frames: str = "json") -> str:
    url = f"{ws_url}/api/sessions/{sid}/stream"
    return url + "?format=binary" if frames == "binary" else url


def frame_epoch(data: bytes) -> int | None:
    """The epoch of a frame, JSON or binary (read from its head, not parsed); None: no frame."""
    if data[:3] == b"BPF":
        _m, _v, _k, _st, _fl, _p, n_sizes, _nm, names_len = BINARY_HEAD.unpack_from(data)
        at = BINARY_HEAD.size + 2 * n_sizes + names_len
        return int(struct.unpack_from("<d", data, at)[0])
    if not data.startswith(b'{"type":"frame"'):
        return None
    match = FRAME_HEAD.match(data, 0, 60)
    return int(match.group(1)) if match else int(orjson.loads(data)["epoch"])


PLAY = orjson.dumps({"type": "play"}).decode()
CONNECT = {"max_size": None, "compression": None, "ping_interval": None, "open_timeout": 30}


class BenchError(RuntimeError):
    """The server refused or failed something the benchmark needs."""


# ---- measurement ------------------------------------------------------------------------------


@dataclass
class Window:
    """The measuring window, in ``loop.time()`` (monotonic) seconds; infinite until set."""

    start: float = math.inf
    end: float = math.inf


@dataclass
class Viewer:
    """What one viewer received inside the window."""

    frames: int = 0
    first: tuple[float, int] | None = None  # (time, epoch) of the first frame in the window
    last: tuple[float, int] | None = None
    misses: int = 0  # frames whose head the regex could not read (parsed with orjson instead)
    sizes: list[int] = field(default_factory=list)
    wait: float | None = None  # seconds from sending play to the first frame of a later epoch

    def add(self, now: float, data: bytes) -> None:
        epoch = frame_epoch(data)
        if epoch is None:
            return
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
    """CPU cores used by the server's processes and by this client over the window; ``parts``
    splits ``server`` by kind of process (case d: web, trainers, redis, postgres)."""

    server: float = float("nan")
    client: float = float("nan")
    parts: dict[str, float] = field(default_factory=dict)


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


Meters = dict[str, Callable[[], float]]  # kind of process → its CPU seconds so far


async def sample_load(meters: Meters, window: Window) -> Load:
    """CPU of each meter and of this client over the window, in cores."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, window.start - loop.time()))
    s0, c0, t0 = {k: m() for k, m in meters.items()}, time.process_time(), loop.time()
    await asyncio.sleep(max(0.0, window.end - loop.time()))
    s1, c1, t1 = {k: m() for k, m in meters.items()}, time.process_time(), loop.time()
    parts = {k: (s1[k] - s0[k]) / (t1 - t0) for k in meters}
    return Load(server=sum(parts.values()), client=(c1 - c0) / (t1 - t0), parts=parts)


_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(groups: Iterable[int]) -> float:
    """CPU seconds (user + system, with reaped children) of every process in the process
    ``groups`` (from /proc): each process here is started in a session of its own, so its group
    holds it and whatever it forked (trainer children, postgres backends)."""
    wanted, ticks = set(groups), 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                text = f.read()
        except OSError:
            continue
        fields = text[text.rindex(b")") + 2 :].split()  # state ppid pgrp ... utime stime ...
        if int(fields[2]) in wanted:
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / _TICKS_PER_SECOND


async def create_sessions(
    http: httpx.AsyncClient | Sequence[httpx.AsyncClient], bodies: list[dict]
) -> list[str]:
    """Create one session per body; with several clients, session i on ``http[i % len]``."""
    clients = [http] if isinstance(http, httpx.AsyncClient) else list(http)
    gate = asyncio.Semaphore(8)

    async def create(client: httpx.AsyncClient, body: dict) -> str:
        async with gate:
            r = await client.post("/api/sessions", json=body)
        if r.status_code != 201:
            raise BenchError(f"POST /api/sessions: {r.status_code} {r.text[:300]}")
        return r.json()["id"]

    return list(
        await asyncio.gather(*(create(clients[i % len(clients)], b) for i, b in enumerate(bodies)))
    )


async def delete_sessions(
    http: httpx.AsyncClient, ids: Iterable[str], *, wait: bool = True
) -> None:
    gate = asyncio.Semaphore(8)

    async def delete(sid: str) -> None:
        async with gate:
            await http.delete(f"/api/sessions/{sid}")

    await asyncio.gather(*(delete(s) for s in ids))
    for _ in range(
        100 if wait else 0
    ):  # bounded: until the server holds none (sockets closed, 1001)
        if (await http.get("/healthz")).json().get("sessions", 0) == 0:
            return
        await asyncio.sleep(0.1)


@dataclass
class Traffic:
    """What a viewer sends beside reading its stream, as the real page does
    (``PAGE_TRAFFIC``): stream messages and REST requests, each kind at its recorded rate
    (per second, from play); ``sent`` counts the REST requests made, ``failed`` those answered
    with an error status."""

    ws_per_s: dict[str, float] = field(default_factory=dict)
    rest_per_s: list[tuple[str, str, float]] = field(default_factory=list)
    base_url: str = ""
    sent: int = 0
    failed: int = 0

    @classmethod
    def load(cls, base_url: str, path: Path = PAGE_TRAFFIC) -> Traffic:
        doc = orjson.loads(path.read_bytes())
        return cls(
            {k: v for k, v in doc["ws_sent_per_s"].items() if k != "play"},  # play: sent at go
            [(r["method"], r["path"], r["per_s"]) for r in doc["rest_per_s"]],
            base_url,
        )

    def describe(self) -> str:
        kinds = [f"{k} {v:g}/s" for k, v in self.ws_per_s.items()]
        kinds += [f"{m} {p.rsplit('/', 1)[-1]} {r:g}/s" for m, p, r in self.rest_per_s]
        return "page traffic: " + (", ".join(kinds) or "stream only")

    async def replay(
        self,
        ws: websockets.ClientConnection,
        http: httpx.AsyncClient,
        sid: str,
        until: Callable[[], float],
        headers: dict[str, str] | None,
    ) -> None:
        """Send every recorded kind at its rate (a random phase per viewer) until ``until()``."""
        loop = asyncio.get_running_loop()
        due: list[tuple[float, float, Callable[[], Awaitable[None]]]] = []

        def ws_send(kind: str) -> Callable[[], Awaitable[None]]:
            return lambda: ws.send(orjson.dumps({"type": kind}).decode())

        def rest(method: str, path: str) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                self.sent += 1
                r = await http.request(
                    method, self.base_url + path.replace("{id}", sid), headers=headers
                )
                self.failed += r.status_code >= 400

            return call

        for kind, per_s in self.ws_per_s.items():
            due.append((1.0 / per_s, 0.0, ws_send(kind)))
        for method, path, per_s in self.rest_per_s:
            due.append((1.0 / per_s, 0.0, rest(method, path)))
        now = loop.time()
        due = [(every, now + random.uniform(0, every), act) for every, _, act in due]
        while due and loop.time() < until():
            due.sort(key=lambda d: d[1])
            every, at, act = due[0]
            await asyncio.sleep(max(0.0, min(at, until()) - loop.time()))
            if loop.time() >= until():
                break
            with contextlib.suppress(httpx.HTTPError, websockets.ConnectionClosed):
                await act()
            due[0] = (every, at + every, act)


async def watch(
    url: str,
    record: Viewer,
    gate: asyncio.Semaphore,
    arrived: Callable[[BaseException | None], None],
    go: asyncio.Event,
    window: Window,
    first: Callable[[], None],
    headers: dict[str, str] | None = None,
    traffic: tuple[Traffic, httpx.AsyncClient] | None = None,
) -> None:
    """One viewer: connect, report it, wait for ``go``, send play, say when the first frame of
    a later epoch than the first one seen came (``first``: training reaches this viewer), record
    frames inside the window (set meanwhile), stop when it ends."""
    loop = asyncio.get_running_loop()
    try:
        async with gate:  # a few handshakes at a time
            ws = await websockets.connect(url, additional_headers=headers, **CONNECT)
    except Exception as e:  # reported to the caller, which stops the case
        arrived(e)
        return
    async with ws:
        arrived(None)
        await go.wait()
        await ws.send(PLAY)
        played, epoch0 = loop.time(), None
        page = None
        if traffic is not None:
            sid = url.rsplit("/api/sessions/", 1)[1].split("/", 1)[0]
            page = asyncio.create_task(
                traffic[0].replay(ws, traffic[1], sid, lambda: window.end, headers)
            )
        try:
            while loop.time() < window.end:
                try:  # recv is cancellation-safe; wake now and then: the window may be set
                    async with asyncio.timeout(min(window.end - loop.time(), 0.5)):
                        data = await ws.recv(decode=False)
                except TimeoutError:
                    continue
                now = loop.time()
                if record.wait is None and (epoch := frame_epoch(data)) is not None:
                    if epoch0 is None:
                        epoch0 = epoch
                    elif epoch > epoch0:
                        record.wait = now - played
                        first()
                if window.start <= now < window.end:
                    record.add(now, data)
        except websockets.ConnectionClosed:
            pass
        finally:
            if page is not None:
                page.cancel()
                await asyncio.gather(page, return_exceptions=True)


async def play_and_watch(
    server: ServerProcess,
    http: httpx.AsyncClient,
    bodies: list[dict],
    seconds: float,
    warmup: float,
    traffic: Traffic | None = None,
    frames: str = "json",
) -> tuple[list[Viewer], Load]:
    """Create one session per body, one viewer each (asking for ``frames``: json or binary),
    play them all; measure over the window."""
    ids = await create_sessions(http, bodies)
    try:
        urls = [stream_url(server.ws_url, sid, frames) for sid in ids]
        return await watch_all(
            urls, {"server": server.cpu_seconds}, seconds, warmup, traffic=traffic
        )
    finally:
        await delete_sessions(http, ids)


async def watch_all(
    urls: list[str],
    meters: Meters,
    seconds: float,
    warmup: float,
    *,
    headers: Sequence[dict[str, str] | None] | None = None,
    window: Window | None = None,
    traffic: Traffic | None = None,
    viewer: Callable[[], Viewer] = Viewer,
) -> tuple[list[Viewer], Load]:
    """One viewer per stream URL, all connected before any sends play; the window opens
    ``warmup`` s after every viewer has seen its session train (or after 30 s without); measure
    over it (CPU from ``meters``). ``headers``: each viewer's handshake headers (a cookie);
    ``window``: set in place, for others measuring beside the viewers (f's dashboard);
    ``viewer``: what records each viewer's frames (fa: every frame's time)."""
    loop = asyncio.get_running_loop()
    records = [viewer() for _ in urls]
    go, ready, window = asyncio.Event(), asyncio.Event(), window or Window()
    headers = list(headers) if headers is not None else [None] * len(urls)
    all_first = asyncio.Event()
    errors: list[BaseException] = []
    count = firsts = 0

    def arrived(error: BaseException | None) -> None:
        nonlocal count
        count += 1
        if error is not None:
            errors.append(error)
        if count == len(urls):
            ready.set()

    def first() -> None:
        nonlocal firsts
        firsts += 1
        if firsts == len(urls):
            all_first.set()

    gate = asyncio.Semaphore(16)
    rest = httpx.AsyncClient(timeout=30, trust_env=False, limits=httpx.Limits(max_connections=64))
    page = (traffic, rest) if traffic is not None else None
    tasks = [
        asyncio.create_task(watch(url, rec, gate, arrived, go, window, first, head, page))
        for url, rec, head in zip(urls, records, headers, strict=True)
    ]
    try:
        async with asyncio.timeout(60 + len(urls) * 0.5):
            await ready.wait()
        if errors:
            raise BenchError(f"{len(errors)} viewers could not connect: {errors[0]!r}")
        go.set()
        with contextlib.suppress(TimeoutError):  # those still without a frame count as 0
            async with asyncio.timeout(30):
                await all_first.wait()
        window.start = loop.time() + warmup
        window.end = window.start + seconds
        load = await sample_load(meters, window)
        async with asyncio.timeout(30):
            await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await rest.aclose()
    return records, load


# ---- the cases ---------------------------------------------------------------------------------


def row(case: str, design: str, viewers: list[Viewer], load: Load, seconds: float) -> Row:
    eps = [v.epochs_per_second() for v in viewers]
    fps = [v.frames / seconds for v in viewers]
    sizes = [s for v in viewers for s in v.sizes]
    misses = sum(v.misses for v in viewers)
    waits = [v.wait for v in viewers if v.wait is not None]
    note = f"{len(viewers)} sessions, frame {median(sizes) / 1024:.0f} KB"
    if waits:
        note += f", play→new epoch med {median(waits):.2f} s max {max(waits):.2f} s"
    if len(waits) < len(viewers):
        note += f", {len(viewers) - len(waits)} viewers saw no new epoch in 30 s"
    if misses:
        note += f", {misses} frames parsed slowly"
    return Row(case, design, eps, fps, load, note=note)


async def case_b(
    server,
    http,
    design,
    n,
    seconds,
    warmup,
    *,
    many=False,
    traffic: Traffic | None = None,
    frames: str = "json",
) -> Row:
    viewers, load = await play_and_watch(
        server, http, [{}] * n, seconds, warmup, traffic, frames=frames
    )
    r = row("b2" if many else "b", design, viewers, load, seconds)
    r.note += f"; {frames} frames"
    if traffic is not None:
        r.note += f"; {traffic.describe()}, {traffic.sent} REST calls ({traffic.failed} failed)"
        traffic.sent = traffic.failed = 0
    if many:  # issue 21: a lecture hall
        r.target = "fps med≥20 p5≥15, eps med≥60"
        r.met = median(r.fps) >= 20 and p5(r.fps) >= 15 and median(r.eps) >= 60
    else:  # issue 21: ≥ 0.95× today's design in the same run (main's compare_b)
        r.target = "fps, eps med ≥0.95× today"
    return r


def compare_b(rows: list[Row]) -> None:
    """Case b's "new" against "today" of the same run: frames/s and epochs/s medians ≥ 0.95×."""
    by = {r.design: r for r in rows if r.case == "b"}
    if "new" not in by or "today" not in by:
        return
    new, today = by["new"], by["today"]
    fps = median(new.fps) / median(today.fps) if median(today.fps) else float("nan")
    eps = median(new.eps) / median(today.eps) if median(today.eps) else float("nan")
    new.target = f"fps ×{fps:.2f}, eps ×{eps:.2f} of today ≥0.95"
    new.met = fps >= 0.95 and eps >= 0.95


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


def caps(opts: argparse.Namespace) -> dict[str, str]:
    """Session limits with room for every case's sessions (all from one client address)."""
    cap = str(max(opts.sessions, opts.many) + 20)
    return {"BPP_MAX_SESSIONS": cap, "BPP_MAX_SESSIONS_PER_CLIENT": cap}


async def run_design(
    design: str, env: dict[str, str], opts: argparse.Namespace, cases: Sequence[str]
) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bpp-bench-") as logs:
        server = start_server(env={**env, **caps(opts)}, log_dir=logs)
        return await run_server(design, env, opts, server, cases)


async def run_server(
    design: str,
    env: dict[str, str],
    opts: argparse.Namespace,
    server: ServerProcess,
    cases: Sequence[str],
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
            for case in (c for c in SERVER_CASES if c in cases):
                print(f"[{design}] case {case} ...", flush=True)
                traffic = None if opts.no_page_traffic else Traffic.load(server.url)
                if case == "b":
                    r = await case_b(
                        server,
                        http,
                        design,
                        opts.sessions,
                        opts.seconds,
                        opts.warmup,
                        traffic=traffic,
                        frames=frames_of(design, opts),
                    )
                    b_fps = median(r.fps)
                    rows.append(r)
                elif case == "b2":
                    rows.append(
                        await case_b(
                            server,
                            http,
                            design,
                            opts.many,
                            opts.seconds,
                            opts.warmup,
                            many=True,
                            traffic=traffic,
                            frames=frames_of(design, opts),
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


# ---- issue 8: checkpoint cost and the distributed cluster ---------------------------------------


def ck_name(interval: float) -> str:
    return "ck off" if interval >= 3600 else f"ck {interval:g} s"


async def ck_round(
    opts: argparse.Namespace, order: Sequence[float], seconds: float
) -> dict[float, tuple[list[Viewer], Load]]:
    """One round of ck: a server per checkpoint interval, one after the other in ``order``, or
    all at once (``--ck-together``)."""
    got: dict[float, tuple[list[Viewer], Load]] = {}
    groups = [list(order)] if opts.ck_together else [[i] for i in order]
    for intervals in groups:
        print(
            "[new] case ck, BPP_CHECKPOINT_SECONDS="
            + " and ".join(f"{i:g}" for i in intervals)
            + (" at once" if len(intervals) > 1 else "")
            + " ...",
            flush=True,
        )
        with contextlib.ExitStack() as stack:
            servers: list[ServerProcess] = []
            try:
                for interval in intervals:
                    logs = stack.enter_context(tempfile.TemporaryDirectory(prefix="bpp-bench-"))
                    env = {**caps(opts), "BPP_CHECKPOINT_SECONDS": f"{interval:g}"}
                    servers.append(stack.enter_context(start_server(env=env, log_dir=logs)))
                async with contextlib.AsyncExitStack() as clients:
                    https = [
                        await clients.enter_async_context(
                            httpx.AsyncClient(base_url=s.url, timeout=60, trust_env=False)
                        )
                        for s in servers
                    ]
                    ids = [await create_sessions(h, [{}] * opts.sessions) for h in https]
                    urls = [
                        f"{server.ws_url}/api/sessions/{sid}/stream"
                        for server, some in zip(servers, ids, strict=True)
                        for sid in some
                    ]
                    meters = {
                        f"{i:g}": sv.cpu_seconds for i, sv in zip(intervals, servers, strict=True)
                    }
                    try:
                        viewers, load = await watch_all(urls, meters, seconds, opts.warmup)
                    finally:
                        for h, some in zip(https, ids, strict=True):
                            await delete_sessions(h, some)
            except BaseException:
                for server in servers:
                    print(
                        f"server {server.pid}'s log ends:\n{server.log_tail(20)}", file=sys.stderr
                    )
                raise
        n = opts.sessions
        for k, interval in enumerate(intervals):
            cores = load.parts[f"{interval:g}"]
            got[interval] = (viewers[k * n : (k + 1) * n], Load(cores, load.client))
    return got


async def case_ck(opts: argparse.Namespace) -> list[Row]:
    """The all-in-one server ("new") once per checkpoint interval, in interleaved rounds.

    Besides epochs/s (the target), each variant's epochs per server CPU-second (all sessions'
    epochs/s over the server's cores): what a checkpoint costs in work, which other load on
    the machine changes less than it changes epochs/s (though frames take a larger share of a
    server given fewer cores)."""
    seconds = CK_DEFAULT * max(1, math.ceil(opts.seconds / CK_DEFAULT - 1e-9))
    eps: dict[float, list[float]] = {i: [] for i in CK_INTERVALS}
    fps: dict[float, list[float]] = {i: [] for i in CK_INTERVALS}
    loads: dict[float, list[Load]] = {i: [] for i in CK_INTERVALS}
    ratios: dict[float, list[float]] = {i: [] for i in CK_INTERVALS}
    work: dict[float, list[float]] = {i: [] for i in CK_INTERVALS}  # epochs per CPU-second
    work_ratios: dict[float, list[float]] = {i: [] for i in CK_INTERVALS}
    off = CK_INTERVALS[0]
    for round_ in range(opts.ck_rounds):
        print(f"[new] case ck round {round_ + 1}/{opts.ck_rounds}", flush=True)
        order = CK_INTERVALS if round_ % 2 == 0 else CK_INTERVALS[::-1]
        medians: dict[float, float] = {}
        for interval, (viewers, load) in (await ck_round(opts, order, seconds)).items():
            got = [v.epochs_per_second() for v in viewers]
            eps[interval] += got
            fps[interval] += [v.frames / seconds for v in viewers]
            loads[interval].append(load)
            medians[interval] = median(got)
            work[interval].append(sum(got) / load.server if load.server > 0 else 0.0)
        for interval in CK_INTERVALS:
            ratios[interval].append(medians[interval] / medians[off] if medians[off] else 0.0)
            w_off = work[off][-1]
            work_ratios[interval].append(work[interval][-1] / w_off if w_off else 0.0)
        print(
            f"[new] case ck round {round_ + 1}: "
            + ", ".join(
                f"{ck_name(i)} {medians[i]:.0f} epochs/s ({loads[i][-1].server:.2f} cores)"
                for i in CK_INTERVALS
            ),
            flush=True,
        )

    rows = []
    how = "at once" if opts.ck_together else "one after the other"
    for interval in CK_INTERVALS:
        load = Load(
            median([x.server for x in loads[interval]]),
            median([x.client for x in loads[interval]]),
        )
        note = (
            f"BPP_CHECKPOINT_SECONDS={interval:g}, {opts.sessions} sessions, "
            f"{opts.ck_rounds} round(s) of {seconds:g} s {how}, "
            f"{median(work[interval]):.0f} epochs per CPU-s"
        )
        design = "new, 3 at once" if opts.ck_together else "new"
        r = Row(ck_name(interval), design, eps[interval], fps[interval], load, note=note)
        ratio, work_ratio = median(ratios[interval]), median(work_ratios[interval])
        if interval == CK_DEFAULT:
            r.target, r.met = f"eps/off = {ratio:.3f} ≥ 0.95", ratio >= 0.95
        elif interval != off:
            r.target = f"eps/off = {ratio:.3f} (trend)"
        if interval != off:
            r.target += f"; per CPU-s/off = {work_ratio:.3f}"
        rows.append(r)
    return rows


@dataclass
class Store:
    """The cluster's session store: its settings and what to say about it."""

    env: dict[str, str]
    name: str
    meter: Callable[[], float] | None = None  # postgres' CPU seconds; None for SQLite


def postmaster_group(data_dir: Path) -> int:
    """The process group of a PostgreSQL server: its postmaster's pid (first line of
    ``postmaster.pid``), which ``tests/support/postgres.py`` starts in a session of its own."""
    return int((data_dir / "postmaster.pid").read_text().split()[0])


@contextlib.contextmanager
def cluster_store(folder: Path, choice: str = "auto") -> Iterator[Store]:
    """A throwaway PostgreSQL, or else (or if ``choice`` is "sqlite") a SQLite file in
    ``folder`` shared by all processes."""
    why = "not installed" if choice == "auto" else "not asked for: --store sqlite"
    if choice == "postgres" and find_postgres_bindir() is None:
        raise BenchError("--store postgres: PostgreSQL is not installed")
    if choice != "sqlite" and find_postgres_bindir() is not None:
        try:
            pg = start_postgres()
        except Exception as e:  # reported, and SQLite used instead
            if choice == "postgres":
                raise
            why = f"did not start: {str(e).splitlines()[0]}"
        else:
            try:
                url = pg.create_database("bench")
                group = postmaster_group(pg.data_dir)
                version = pg.bindir.parent.name
                yield Store(
                    {"BPP_DATABASE_URL": url},
                    f"PostgreSQL {version}",
                    lambda: group_cpu_seconds([group]),
                )
            finally:
                pg.stop()
            return
    data = folder / "store"
    data.mkdir()
    yield Store({"BPP_DATA_DIR": str(data)}, f"SQLite in {data} (PostgreSQL {why})")


def start_trainers(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """``python -m app trainer``, in a session of its own (its group holds its children)."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "trainer"],
            cwd=ROOT,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("BPP_")}, **env},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_group(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """SIGTERM to the process group, SIGKILL after ``timeout`` s."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


async def wait_for_trainers(bus, count: int, trainers: list[subprocess.Popen]) -> None:
    """Until ``count`` trainers heartbeat on the bus (30 s at most)."""
    for _ in range(300):
        names = [n.decode() for n in await bus.hkeys("bpp:trainers")]
        alive = [n for n in names if await bus.exists(f"bpp:t:{n}:alive")]
        if len(alive) >= count:
            return
        if any(p.poll() is not None for p in trainers):
            raise BenchError("a trainer command exited before it was on the bus")
        await asyncio.sleep(0.1)
    raise BenchError(f"fewer than {count} trainers on the bus after 30 s")


async def case_d(opts: argparse.Namespace) -> Row:
    """2 web + 2 trainer processes on one Redis and one store; viewers on the other web."""
    import redis.asyncio as aredis

    if find_redis_server() is None:
        return Row("d", "2 web + 2 trainers", [], [], Load(), note="skipped: no redis-server")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bpp-bench-d-")))
        redis_server = stack.enter_context(start_redis())
        store = stack.enter_context(cluster_store(folder, opts.store))
        print(f"[d] redis {redis_server.url}, store: {store.name}", flush=True)
        env = {
            "BPP_BUS_URL": redis_server.url,
            "BPP_TRAINERS": "1",
            **store.env,
            **caps(opts),
        }
        webs: list[ServerProcess] = []
        trainers: list[subprocess.Popen] = []

        def stop_all() -> None:
            for web in webs:
                web.stop()
            for proc in trainers:
                stop_group(proc)

        stack.callback(stop_all)
        try:
            webs.append(start_server(env=env, args=["web"], log_dir=folder / "web-a"))
            trainers += [start_trainers(env, folder / "trainers.log") for _ in range(2)]
            webs.append(start_server(env=env, args=["web"], log_dir=folder / "web-b"))
            bus = aredis.Redis.from_url(redis_server.url)
            try:
                await wait_for_trainers(bus, 2, trainers)
                redis_group = int((await bus.info("server"))["process_id"])
            finally:
                await bus.aclose()
            meters: Meters = {"web": lambda: sum(w.cpu_seconds() for w in webs)}
            for i, proc in enumerate(trainers, 1):
                meters[f"trainer {i}"] = lambda pid=proc.pid: group_cpu_seconds([pid])
            meters["redis"] = lambda: group_cpu_seconds([redis_group])
            if store.meter is not None:
                meters["postgres"] = store.meter
            print(
                f"[d] web pids {[w.pid for w in webs]}, trainer commands "
                f"{[p.pid for p in trainers]}, case d ...",
                flush=True,
            )
            async with (
                httpx.AsyncClient(base_url=webs[0].url, timeout=60, trust_env=False) as a,
                httpx.AsyncClient(base_url=webs[1].url, timeout=60, trust_env=False) as b,
            ):
                ids = await create_sessions([a, b], [{}] * opts.sessions)
                # session i was created on web i % 2: its viewer goes to the other one
                urls = [
                    f"{webs[(i + 1) % 2].ws_url}/api/sessions/{sid}/stream"
                    for i, sid in enumerate(ids)
                ]
                try:
                    viewers, load = await watch_all(urls, meters, opts.seconds, opts.warmup)
                    bus = aredis.Redis.from_url(redis_server.url)
                    try:  # how the sessions were spread over the trainers
                        owners = sorted((await bus.hgetall("bpp:owner")).values())
                    finally:
                        await bus.aclose()
                finally:
                    await delete_sessions(a, ids[0::2], wait=False)
                    await delete_sessions(b, ids[1::2], wait=False)
        except BaseException:
            for web in webs:
                print(f"web {web.pid} log ends:\n{web.log_tail(10)}", file=sys.stderr)
            log = (folder / "trainers.log").read_text(errors="replace").splitlines()
            print("trainers' log ends:\n" + "\n".join(log[-20:]), file=sys.stderr)
            raise

    r = row("d", "2 web + 2 trainers", viewers, load, opts.seconds)
    parts = " + ".join(f"{k} {v:.2f}" for k, v in load.parts.items())
    kind = store.name.split(" (")[0] if store.meter is None else store.name
    spread = "/".join(str(owners.count(o)) for o in sorted(set(owners)))
    r.note = f"{kind}, {r.note}; sessions per trainer {spread}; cores: {parts}"
    if (os.cpu_count() or 1) <= 2:
        r.note += f"; all share {os.cpu_count()} cores"
    return r


async def case_d_with_reference(opts: argparse.Namespace) -> list[Row]:
    """Case b of the "new" design right before and right after d (pooled: the machine's other
    load drifts), then d beside it."""
    print("[new] case b, d's reference before it ...", flush=True)
    (before,) = await run_design("new", DESIGNS["new"], opts, ["b"])
    d = await case_d(opts)
    print("[new] case b, d's reference after it ...", flush=True)
    (after,) = await run_design("new", DESIGNS["new"], opts, ["b"])
    ref = Row(
        "b (d's ref)",
        "new",
        before.eps + after.eps,
        before.fps + after.fps,
        Load(
            (before.load.server + after.load.server) / 2,
            (before.load.client + after.load.client) / 2,
        ),
        note=f"case b right before and after d, pooled (epochs/s med {median(before.eps):.0f} "
        f"before, {median(after.eps):.0f} after)",
    )
    if d.eps and median(ref.eps) and median(ref.fps):
        d.target = (
            f"vs b ref: eps ×{median(d.eps) / median(ref.eps):.2f}, "
            f"fps ×{median(d.fps) / median(ref.fps):.2f}, "
            f"cores ×{d.load.server / ref.load.server:.2f}"
        )
    return [ref, d]


# ---- issue 9: the classroom --------------------------------------------------------------------

TEACHER_PASSWORD = "bench-teacher-password"


@dataclass
class Dashboard:
    """What the teacher's dashboard socket received: (time, session id) of every summary."""

    arrivals: list[tuple[float, str]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def rates(self, ids: list[str], window: Window) -> list[float]:
        """Summaries per second of each session in ``ids`` over the window."""
        counts = dict.fromkeys(ids, 0)
        for t, sid in self.arrivals:
            if window.start <= t < window.end and sid in counts:
                counts[sid] += 1
        return [counts[sid] / (window.end - window.start) for sid in ids]


async def dashboard(url: str, cookie: str, ids: list[str], record: Dashboard) -> None:
    """A teacher's dashboard: watch ``ids`` on ``/api/summaries``; record every summary until
    cancelled (``ready`` once each session has sent its first)."""
    loop = asyncio.get_running_loop()
    unseen = set(ids)
    async with websockets.connect(url, additional_headers={"Cookie": cookie}, **CONNECT) as ws:
        await ws.send(orjson.dumps({"type": "watch", "ids": ids}).decode())
        try:
            while True:
                message = orjson.loads(await ws.recv(decode=False))
                if message["type"] == "error":
                    raise BenchError(f"the dashboard was refused: {message}")
                if message["type"] == "summary":
                    record.arrivals.append((loop.time(), message["id"]))
                    unseen.discard(message["id"])
                    if not unseen:
                        record.ready.set()
        except websockets.ConnectionClosed:
            pass


def cookie_of(client: httpx.AsyncClient) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


async def seat_students(url: str, code: str, n: int) -> list[tuple[str, str]]:
    """``n`` students join by code, each in a browser (cookie jar) of their own; returns each
    one's (session id, seat cookie)."""
    gate = asyncio.Semaphore(8)

    async def one(i: int) -> tuple[str, str]:
        async with gate, httpx.AsyncClient(base_url=url, timeout=60, trust_env=False) as s:
            r = await s.post("/api/join", json={"code": code, "name": f"Student {i + 1:02d}"})
            if r.status_code != 200:
                raise BenchError(f"POST /api/join: {r.status_code} {r.text[:300]}")
            return r.json()["seat"]["session_id"], cookie_of(s)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


async def case_f(opts: argparse.Namespace, design: str = "new") -> list[Row]:
    """The classroom: ``--students`` seats of the default lesson with a viewer each and a
    teacher's dashboard on all of them, after a baseline of as many anonymous sessions."""
    n = opts.students
    with tempfile.TemporaryDirectory(prefix="bpp-bench-f-") as logs:
        data = Path(logs) / "data"
        create_teacher(data, "teacher", TEACHER_PASSWORD)
        cap = str(max(n, opts.sessions) + 20)
        env = {"BPP_DATA_DIR": str(data), "BPP_MAX_SESSIONS": str(2 * n + 40)}
        env["BPP_MAX_SESSIONS_PER_CLIENT"] = cap  # for the baseline's anonymous sessions
        server = start_server(env={**DESIGNS[design], **env}, log_dir=logs)
        traffic = None if opts.no_page_traffic else Traffic.load(server.url)
        try:
            print(f"[{design}] server pid {server.pid}, case f base ({n} sessions) ...", flush=True)
            async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as t:
                before = await play_and_watch(
                    server, t, [DEFAULT_LESSON] * n, opts.seconds, opts.warmup, traffic
                )
                await asyncio.sleep(1.0)
                print(f"[{design}] case f class ({n} students + a dashboard) ...", flush=True)
                r = await t.post(
                    "/api/auth/login", json={"name": "teacher", "password": TEACHER_PASSWORD}
                )
                if r.status_code != 200:
                    raise BenchError(f"POST /api/auth/login: {r.status_code} {r.text[:300]}")
                r = await t.post(
                    "/api/lessons", json={"title": "XOR by hand", "setup": DEFAULT_LESSON}
                )
                if r.status_code != 201:
                    raise BenchError(f"POST /api/lessons: {r.status_code} {r.text[:300]}")
                r = await t.post("/api/classrooms", json={"lesson_id": r.json()["id"]})
                room = r.json()
                students = await seat_students(server.url, room["code"], n)
                ids = [sid for sid, _ in students]
                board = Dashboard()
                watcher = asyncio.create_task(
                    dashboard(f"{server.ws_url}/api/summaries", cookie_of(t), ids, board)
                )
                try:
                    async with asyncio.timeout(60):  # every session's first summary came
                        await asyncio.wait(
                            [watcher, asyncio.create_task(board.ready.wait())],
                            return_when=asyncio.FIRST_COMPLETED,
                        )
                    if watcher.done():
                        watcher.result()  # its error
                        raise BenchError("the dashboard closed before every summary came")
                    window = Window()
                    viewers, load = await watch_all(
                        [stream_url(server.ws_url, sid, frames_of(design, opts)) for sid in ids],
                        {"server": server.cpu_seconds},
                        opts.seconds,
                        opts.warmup,
                        headers=[{"Cookie": cookie} for _, cookie in students],
                        window=window,
                        traffic=traffic,
                    )
                    sps = board.rates(ids, window)
                finally:
                    watcher.cancel()
                    await asyncio.gather(watcher, return_exceptions=True)
                    await t.post(f"/api/classrooms/{room['id']}/close")  # pauses every seat
                await asyncio.sleep(1.0)
                print(f"[{design}] case f base again, after the class ...", flush=True)
                after = await play_and_watch(
                    server, t, [DEFAULT_LESSON] * n, opts.seconds, opts.warmup, traffic
                )
        except BaseException:
            print(f"the server's log ends:\n{server.log_tail(20)}", file=sys.stderr)
            raise
        finally:
            server.stop()

    # the baseline right before and right after the class, pooled (the machine's load drifts)
    base = row("f base", design, before[0] + after[0], before[1], opts.seconds)
    base.load = Load(
        (before[1].server + after[1].server) / 2, (before[1].client + after[1].client) / 2
    )
    halves = [row("f base", design, v, load, opts.seconds) for v, load in (before, after)]
    base.note = (
        f"{n} anonymous sessions of the lesson, no classroom, right before and after the class "
        f"(pooled; epochs/s med {median(halves[0].eps):.0f} before, "
        f"{median(halves[1].eps):.0f} after; frames/s med {median(halves[0].fps):.1f} before, "
        f"{median(halves[1].fps):.1f} after)"
    )
    cls = row("f class", design, viewers, load, opts.seconds)
    eps_min, fps_min = min(cls.eps), min(cls.fps)

    def work(r: Row) -> float:
        """All sessions' epochs per second of server CPU: less moved by other load. The
        baseline's: the mean of its two runs'."""
        if r is base:
            return statistics.fmean(work(h) for h in halves)
        return sum(r.eps) / r.load.server if r.load.server > 0 else float("nan")

    cls.target = (
        f"fps med≥20 p5≥15, eps med≥60 (min eps {eps_min:.0f}, min fps {fps_min:.1f}); "
        f"vs base: eps ×{median(cls.eps) / median(base.eps):.2f}, "
        f"fps ×{median(cls.fps) / median(base.fps):.2f}, "
        f"cores ×{cls.load.server / base.load.server:.2f}, "
        f"epochs per CPU-s ×{work(cls) / work(base):.2f}"
    )
    cls.met = median(cls.fps) >= 20 and p5(cls.fps) >= 15 and median(cls.eps) >= 60
    cls.note = f"{n} seats, 1 address, seat cookies; " + cls.note
    cls.note += f", {work(cls):.0f} epochs per CPU-s"
    if traffic is not None:
        cls.note += (
            f"; {traffic.describe()}, {traffic.sent} REST calls in all ({traffic.failed} failed)"
        )
    base.note += f", {work(base):.0f} epochs per CPU-s"
    dash = Row("f dashboard", design, [], sps, load)
    dash.target, dash.met = f"min summaries/s {min(sps):.2f} ≥ 1", min(sps) >= 1
    dash.note = (
        f"frames/s columns = summaries/s per student on one /api/summaries socket "
        f"({len(board.arrivals)} summaries in all)"
    )
    print(
        f"[f] per student: epochs/s median {median(cls.eps):.0f} min {eps_min:.0f}; frames/s "
        f"median {median(cls.fps):.1f} min {fps_min:.1f}; dashboard summaries/s per student "
        f"median {median(sps):.2f} min {min(sps):.2f}  (base: epochs/s median "
        f"{median(base.eps):.0f} min {min(base.eps):.0f}; frames/s median "
        f"{median(base.fps):.1f} min {min(base.fps):.1f})",
        flush=True,
    )
    return [base, cls, dash]


# ---- issue 18: every student answers a network question at once --------------------------------

WRONG = "12345"  # an answer that is never right: every burst is checked, none ends the question
# fa's window in segments, each one quiet (Q) or with answer bursts (B), in ABBA order, so that
# a drift of the machine's other load over the window weighs on both kinds alike. A segment
# lasts one checkpoint period (``BPP_CHECKPOINT_SECONDS``, 5 s by default): every segment holds
# one round of the sessions' checkpoints, whatever its phase. With 1.6 s segments, runs without
# any answer (--fa-dry) showed B ×1.3-1.5 of Q four times out of four; the checkpoint rounds
# landing in Q segments more often is the suspected cause (not proven); with these segments
# and the margins, two dry runs gave ×1.07 and ×0.77.
FA_ORDER = "QBBQ"
FA_SEGMENT_SECONDS = CK_DEFAULT
FA_BURSTS_PER_SEGMENT = 3  # at 0, ⅓, ⅔ of a B segment: 0.6 bursts/s (the old 5 in 8 s: 0.625)
ANSWER_BURSTS = FA_ORDER.count("B") * FA_BURSTS_PER_SEGMENT  # each: every student at once
FA_MARGIN_SECONDS = 1.0  # frames recorded before the first segment and after the last
FA_WARMUP_SECONDS = CK_DEFAULT  # fa's warm-up at least: the frame rate settles, a checkpoint


def activity_lesson(bursts: int) -> dict:
    """The default lesson as a two-step activity: step 0 plays; step 1 asks δ_k of the output
    unit for each student's probe sample (Eq. 5), checked on the student's own network."""
    return {
        "title": "δ_k at once",
        "setup": DEFAULT_LESSON,
        "steps": [
            {"title": "play"},
            {
                "title": "δ_k",
                "question": {
                    "kind": "network",
                    "prompt": "Compute δ_k of the output unit for your probe sample.",
                    "quantity": {"name": "delta", "layer": 2, "unit": 0},
                    "feedback": "immediate",
                    "max_attempts": min(20, bursts + 1),
                },
            },
        ],
    }


def p95(xs: list[float]) -> float:
    if len(xs) < 2:
        return xs[0] if xs else float("nan")
    return statistics.quantiles(xs, n=20, method="inclusive")[-1]


@dataclass
class TimedViewer(Viewer):
    """A viewer that keeps every frame's (arrival time, epoch) in the window: fa splits the
    window into segments afterwards."""

    points: list[tuple[float, int]] = field(default_factory=list)

    def add(self, now: float, data: bytes) -> None:
        super().add(now, data)
        epoch = frame_epoch(data)
        if epoch is not None:
            self.points.append((now, epoch))

    def epoch_at(self, t: float) -> float:
        """The epoch at time ``t``, interpolated between the frames either side (clamped)."""
        pts = self.points
        if not pts:
            return float("nan")
        if t <= pts[0][0]:
            return float(pts[0][1])
        for (t0, e0), (t1, e1) in zip(pts, pts[1:], strict=False):
            if t0 <= t <= t1:
                return e0 + (e1 - e0) * ((t - t0) / (t1 - t0) if t1 > t0 else 1.0)
        return float(pts[-1][1])

    def rates(self, a: float, b: float) -> tuple[float, float]:
        """(epochs/s, frames/s) over [a, b)."""
        frames = sum(1 for t, _ in self.points if a <= t < b)
        return (self.epoch_at(b) - self.epoch_at(a)) / (b - a), frames / (b - a)


class RawAnswers:
    """The students' answers as cheap HTTP/1.1 requests on one kept-alive connection each,
    pre-encoded: the load generator stands in for 60 students' own devices, so on a small
    machine its CPU (which competes with the server's) is kept as low as it can be (httpx cost
    ~5 ms of client CPU per request here, as much as the server's work per answer)."""

    def __init__(self, url: str, room_id: str, cookies: list[str]) -> None:
        self.host, port = url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)
        body = orjson.dumps({"value": WRONG})
        path = f"/api/classrooms/{room_id}/steps/1/answer"
        self.requests = [
            (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Origin: {url}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\n\r\n"
            ).encode()
            + body
            for cookie in cookies
        ]
        self.conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [None] * len(
            cookies
        )
        # a student answers again only once their last answer came back (as the page does)
        self.locks = [asyncio.Lock() for _ in cookies]
        self.waited = 0  # answers that waited for the same student's previous one

    async def _connect(self, i: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        conn = self.conns[i]
        if conn is None or conn[1].is_closing():
            conn = self.conns[i] = await asyncio.open_connection(self.host, self.port)
        return conn

    async def connect_all(self) -> None:
        for i in range(len(self.requests)):
            await self._connect(i)

    async def send(self, i: int, started: Callable[[], None] = lambda: None) -> tuple[int, bytes]:
        """Student ``i``'s answer, once their previous one is back (``started`` is called
        then): (status, body); reconnects once if the server had closed the kept-alive
        connection before any byte of the reply."""
        self.waited += self.locks[i].locked()
        async with self.locks[i]:
            started()
            return await self._send(i)

    async def _send(self, i: int) -> tuple[int, bytes]:
        for attempt in (0, 1):
            reader, writer = await self._connect(i)
            try:
                writer.write(self.requests[i])
                head = await reader.readuntil(b"\r\n\r\n")
            except (ConnectionError, asyncio.IncompleteReadError):
                self.conns[i] = None
                if attempt:
                    raise
                continue
            lines = head.split(b"\r\n")
            status = int(lines[0].split()[1])
            length, close = 0, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await reader.readexactly(length)
            if close:
                writer.close()
                self.conns[i] = None
            return status, body
        raise AssertionError("unreachable")

    async def close(self) -> None:
        for conn in self.conns:
            if conn is not None:
                conn[1].close()
        self.conns = [None] * len(self.conns)


def segments(window: Window, order: str = FA_ORDER) -> list[tuple[str, float, float]]:
    """The window less ``FA_MARGIN_SECONDS`` at each end, cut into ``len(order)`` equal
    segments: (kind, start, end). The viewers record frames over the whole window, so that
    every segment's bounds lie between two frames (an epoch at a bound is interpolated, never
    clamped to the first or last frame seen)."""
    start, end = window.start + FA_MARGIN_SECONDS, window.end - FA_MARGIN_SECONDS
    step = (end - start) / len(order)
    return [(k, start + i * step, start + (i + 1) * step) for i, k in enumerate(order)]


async def answer_bursts(
    answers: RawAnswers, window: Window, meters: Meters, dry: bool = False
) -> tuple[list[float], dict[int, int], list[dict[str, float]], int]:
    """Inside ``window`` (set by ``watch_all`` meanwhile), ``FA_BURSTS_PER_SEGMENT`` times
    evenly in every B segment of ``FA_ORDER``: every student posts an answer to step 1 at
    once (``dry``: none at all,
    ``--fa-dry``: the ratios' noise floor). Reads every meter (and this client's CPU) at each
    segment's bounds. Returns every answer's latency (s), the count of each status code, the
    meters' readings at the bounds and how many answers were still in flight when their
    segment ended."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    codes: dict[int, int] = {}
    marks: list[dict[str, float]] = []
    late = 0

    def read() -> dict[str, float]:
        return {"t": loop.time(), "client": time.process_time()} | {
            k: m() for k, m in meters.items()
        }

    async def one(i: int, end: float) -> None:
        nonlocal late
        start = loop.time()

        def started() -> None:
            nonlocal start
            start = loop.time()

        status, _ = await answers.send(i, started)
        done = loop.time()
        latencies.append(done - start)
        codes[status] = codes.get(status, 0) + 1
        late += done > end

    while window.start == math.inf:  # the viewers are still warming up
        await asyncio.sleep(0.05)
    bursts: list[asyncio.Task] = []
    parts = segments(window)
    for kind, a, b in parts:
        await asyncio.sleep(max(0.0, a - loop.time()))
        marks.append(read())
        if kind != "B" or dry:
            continue
        for k in range(FA_BURSTS_PER_SEGMENT):
            await asyncio.sleep(max(0.0, a + k * (b - a) / FA_BURSTS_PER_SEGMENT - loop.time()))
            bursts += [asyncio.create_task(one(i, b)) for i in range(len(answers.requests))]
    await asyncio.sleep(max(0.0, parts[-1][2] - loop.time()))
    marks.append(read())
    await asyncio.gather(*bursts)
    return latencies, codes, marks, late


def web_cpu_seconds(server: ServerProcess) -> Callable[[], float]:
    """The web process's own CPU seconds (not its trainer children's)."""

    def read() -> float:
        try:
            with open(f"/proc/{server.pid}/stat", "rb") as f:
                text = f.read()
        except OSError:
            return float("nan")
        fields = text[text.rindex(b")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND

    return read


async def case_fa(opts: argparse.Namespace) -> list[Row]:
    """Case f with answers (issue 18): ``--students`` seats of a two-step activity (the
    default lesson, then "δ_k of your probe sample", a network question checked on each
    student's own network by its trainer); the teacher opens step 1 for the class (every
    network frozen, δ concealed). Beside them, as many anonymous sessions of the lesson play
    with a viewer each (binary frames and the page's traffic, as case f's), over one window of
    ``FA_ORDER``'s segments of ``FA_SEGMENT_SECONDS`` (``--quick``: 1 s): in each B segment
    every student answers at once ``FA_BURSTS_PER_SEGMENT`` times, the Q segments have none.
    The playing sessions' epochs/s and frames/s in the B segments as a ratio of the Q
    segments' (target: unaffected,
    ×1.0 within the noise): the same sessions, the same viewers, interleaved, so the machine's
    other load weighs on both alike. Prints the answers' p95 latency (target ≤ 1 s) and what
    the answers cost in CPU (web process, trainers, this client) per answer."""
    n = opts.answer_students
    design = "new"
    bursts = ANSWER_BURSTS
    seconds = len(FA_ORDER) * (1.0 if opts.quick else FA_SEGMENT_SECONDS)  # the window
    with tempfile.TemporaryDirectory(prefix="bpp-bench-fa-") as logs:
        data = Path(logs) / "data"
        create_teacher(data, "teacher", TEACHER_PASSWORD)
        env = {"BPP_DATA_DIR": str(data), "BPP_MAX_SESSIONS": str(2 * n + 40)}
        env["BPP_MAX_SESSIONS_PER_CLIENT"] = str(max(n, opts.sessions) + 20)
        server = start_server(env={**DESIGNS[design], **env}, log_dir=logs)
        traffic = None if opts.no_page_traffic else Traffic.load(server.url)
        web = web_cpu_seconds(server)
        meters: Meters = {"web": web, "trainers": lambda: server.cpu_seconds() - web()}
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as t:
                r = await t.post(
                    "/api/auth/login", json={"name": "teacher", "password": TEACHER_PASSWORD}
                )
                if r.status_code != 200:
                    raise BenchError(f"POST /api/auth/login: {r.status_code} {r.text[:300]}")
                r = await t.post("/api/lessons", json=activity_lesson(bursts))
                if r.status_code != 201:
                    raise BenchError(f"POST /api/lessons: {r.status_code} {r.text[:300]}")
                room = (await t.post("/api/classrooms", json={"lesson_id": r.json()["id"]})).json()
                students = await seat_students(server.url, room["code"], n)
                loop = asyncio.get_running_loop()
                start = loop.time()
                r = await t.post(
                    f"/api/classrooms/{room['id']}/steps/open", json={"step": 1, "mode": "class"}
                )
                opened = loop.time() - start
                if r.status_code != 200:
                    raise BenchError(
                        f"POST …/steps/open: {r.status_code} {r.text[:300]} (does this server "
                        "have the activities' endpoints? docs/activities.md)"
                    )
                print(
                    f"[{design}] case fa: {n} students on a network question (opened for the "
                    f"class in {opened:.2f} s); {n} anonymous sessions play; segments "
                    f"{FA_ORDER} of {seconds / len(FA_ORDER):.1f} s, in each B every "
                    "student answers at once ...",
                    flush=True,
                )
                answers = RawAnswers(server.url, room["id"], [c for _, c in students])
                await answers.connect_all()
                ids = await create_sessions(t, [DEFAULT_LESSON] * n)
                window = Window()
                try:
                    burster = asyncio.create_task(
                        answer_bursts(answers, window, meters, opts.fa_dry)
                    )
                    viewers, load = await watch_all(
                        [stream_url(server.ws_url, sid, frames_of(design, opts)) for sid in ids],
                        {"server": server.cpu_seconds},
                        seconds + 2 * FA_MARGIN_SECONDS,
                        opts.warmup if opts.quick else max(opts.warmup, FA_WARMUP_SECONDS),
                        window=window,
                        traffic=traffic,
                        viewer=TimedViewer,
                    )
                    latencies, codes, marks, late = await burster
                    waited = answers.waited
                finally:
                    await answers.close()
                    await delete_sessions(t, ids)
                await t.post(f"/api/classrooms/{room['id']}/close")
        except BaseException:
            print(f"the server's log ends:\n{server.log_tail(20)}", file=sys.stderr)
            raise
        finally:
            server.stop()
    return fa_rows(opts, n, viewers, load, window, latencies, codes, marks, late, waited)


def fa_rows(
    opts: argparse.Namespace,
    n: int,
    viewers: list,
    load: Load,
    window: Window,
    latencies: list[float],
    codes: dict[int, int],
    marks: list[dict[str, float]],
    late: int,
    waited: int,
) -> list[Row]:
    """fa's two rows (Q segments, B segments) from one window's viewers and meter readings."""
    design = "new"
    parts = segments(window)
    per: dict[str, tuple[list[float], list[float]]] = {"Q": ([], []), "B": ([], [])}
    for v in viewers:
        for kind in "QB":
            rates = [v.rates(a, b) for k, a, b in parts if k == kind]
            per[kind][0].append(statistics.fmean(e for e, _ in rates))
            per[kind][1].append(statistics.fmean(f for _, f in rates))
    cores: dict[str, dict[str, float]] = {"Q": {}, "B": {}}
    spent: dict[str, dict[str, float]] = {"Q": {}, "B": {}}  # CPU seconds per kind of segment
    seconds = {"Q": 0.0, "B": 0.0}
    for (kind, _a, _b), m0, m1 in zip(parts, marks, marks[1:], strict=False):
        seconds[kind] += m1["t"] - m0["t"]
        for k in m0:
            if k != "t":
                spent[kind][k] = spent[kind].get(k, 0.0) + m1[k] - m0[k]
    for kind in "QB":
        cores[kind] = {k: v / seconds[kind] for k, v in spent[kind].items()}
    extra_ms = {  # CPU the B segments used beyond the Q segments', per answer
        k: 1000 * (cores["B"][k] - cores["Q"][k]) * seconds["B"] / max(1, len(latencies))
        for k in cores["B"]
    }

    def made(kind: str, name: str) -> Row:
        c = cores[kind]
        r = Row(
            name,
            design,
            per[kind][0],
            per[kind][1],
            Load(c["web"] + c["trainers"], c["client"], {"web": c["web"], "tr": c["trainers"]}),
        )
        r.note = (
            f"{len(viewers)} sessions, segments {FA_ORDER} in one "
            f"{window.end - window.start:.0f} s window; "
            f"cores: web {c['web']:.2f} + trainers {c['trainers']:.2f}; "
            f"{c['trainers'] and sum(per[kind][0]) / c['trainers']:.0f} epochs per trainer CPU-s"
        )
        return r

    base = made("Q", "fa quiet")
    base.note = f"{n} anonymous sessions playing beside {n} frozen seats, no answers; " + base.note
    busy = made("B", "fa answers")
    ok = codes.get(200, 0)
    if not latencies:
        latencies = [float("nan")]  # --fa-dry
    eps_ratio = median(busy.eps) / median(base.eps)
    fps_ratio = median(busy.fps) / median(base.fps)
    work_ratio = (sum(busy.eps) / cores["B"]["trainers"]) / (sum(base.eps) / cores["Q"]["trainers"])
    p95_s = p95(latencies)
    busy.target = (
        f"answers p95 {p95_s:.3f} s ≤ 1 s; vs no answers: eps ×{eps_ratio:.2f}, "
        f"fps ×{fps_ratio:.2f} (epochs per trainer CPU-s ×{work_ratio:.2f})"
    )
    busy.met = p95_s <= 1.0 and ok == len(latencies)
    cost = ", ".join(f"{k} {v:.2f}" for k, v in extra_ms.items())
    busy.note = (
        f"{ANSWER_BURSTS} bursts of {n} answers at once ({len(latencies)} in all, status {codes}; "
        f"median {median(latencies):.3f} s, max {max(latencies):.3f} s, {late} still in flight "
        f"at their segment's end); CPU ms per answer beyond the quiet segments: {cost}; "
        + busy.note
    )
    trend = " ".join(
        f"{k}{median([v.rates(a, b)[0] for v in viewers]):.0f}/"
        f"{median([v.rates(a, b)[1] for v in viewers]):.0f}"
        for k, a, b in parts
    )
    print(f"[fa] per segment, epochs/s/frames/s medians: {trend}", flush=True)
    print(
        f"[fa] answers: p95 {p95_s:.3f} s, median {median(latencies):.3f} s, max "
        f"{max(latencies):.3f} s over {len(latencies)} ({codes}, {late} past their segment, "
        f"{waited} waited for the student's previous answer); "
        f"playing sessions in B segments vs Q, same window: epochs/s ×{eps_ratio:.2f}, "
        f"frames/s ×{fps_ratio:.2f}, epochs per trainer CPU-s ×{work_ratio:.2f}; CPU ms per "
        f"answer: {cost}",
        flush=True,
    )
    return [base, busy]


# ---- issue 22: fair shares against one client's large jobs --------------------------------------

JOBS = 4  # the busy client's large jobs in case j


def trainer_cpu(server: ServerProcess) -> dict[int, float]:
    """CPU seconds so far of each of the server's trainer processes (spawned by
    multiprocessing: ``spawn_main`` on their command line; not its resource tracker)."""
    out = {}
    for pid in server.pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if b"spawn_main" not in f.read():
                    continue
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND
    return out


async def case_j(
    opts: argparse.Namespace, design: str = "new", design_env: dict[str, str] | None = None
) -> list[Row]:
    """The calm client's session alone, beside the busy client's ``JOBS`` large jobs, alone
    again (see the module docstring)."""
    env = {
        **(design_env or {}),
        "BPP_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "BPP_MAX_TRAIN_WORK": str(10**15),
    }
    calm_head, busy_head = {"X-Forwarded-For": "10.22.0.1"}, {"X-Forwarded-For": "10.22.0.2"}
    with tempfile.TemporaryDirectory(prefix="bpp-bench-") as logs:
        server = start_server(env=env, log_dir=logs)
        try:
            async with (
                httpx.AsyncClient(
                    base_url=server.url, timeout=60, trust_env=False, headers=calm_head
                ) as calm,
                httpx.AsyncClient(
                    base_url=server.url, timeout=60, trust_env=False, headers=busy_head
                ) as busy,
            ):
                limits = (await calm.get("/api/catalog")).json()["limits"]
                (sid,) = await create_sessions(calm, [{}])
                url = f"{server.ws_url}/api/sessions/{sid}/stream"
                meters = {"server": server.cpu_seconds}

                async def calm_window(label: str) -> tuple[list[Viewer], Load]:
                    print(f"[{design}] server pid {server.pid}, case j: {label} ...", flush=True)
                    return await watch_all(
                        [url], meters, opts.seconds, opts.warmup, headers=[calm_head]
                    )

                cpu_a, t_a = trainer_cpu(server), time.monotonic()
                before = await calm_window("the calm session alone")
                cpu_b, t_b = trainer_cpu(server), time.monotonic()
                alone_cores = max(
                    ((cpu_b[p] - cpu_a[p]) / (t_b - t_a) for p in cpu_b if p in cpu_a), default=0
                )
                big = {
                    "network": {
                        "hidden_layers": [limits["max_units_per_layer"]]
                        * limits["max_hidden_layers"]
                    },
                    "dataset": {"name": "circle", "n": limits["max_samples"]},
                }
                jobs = await create_sessions(busy, [big] * JOBS)
                for job_sid in jobs:
                    r = await busy.post(
                        f"/api/sessions/{job_sid}/train",
                        json={"epochs": limits["max_epochs_per_request"], "job": True},
                    )
                    if r.status_code != 202:
                        raise BenchError(f"POST .../train: {r.status_code} {r.text[:300]}")
                cpu0, t0 = trainer_cpu(server), time.monotonic()
                beside = await calm_window(f"beside {JOBS} large jobs of another client")
                cpu1, t1 = trainer_cpu(server), time.monotonic()
                trainer_cores = sorted(
                    ((cpu1[p] - cpu0[p]) / (t1 - t0) for p in cpu1 if p in cpu0), reverse=True
                )
                await delete_sessions(busy, jobs, wait=False)
                await asyncio.sleep(1.0)
                after = await calm_window("the calm session alone again")
                await delete_sessions(calm, [sid], wait=False)
        except BaseException:
            print(f"the server's log ends:\n{server.log_tail(20)}", file=sys.stderr)
            raise
        finally:
            server.stop()
    alone = row("j alone", design, before[0] + after[0], before[1], opts.seconds)
    alone.note = "the calm session before and after the jobs, pooled"
    with_jobs = row("j beside jobs", design, beside[0], beside[1], opts.seconds)
    fps_ratio = median(with_jobs.fps) / median(alone.fps) if median(alone.fps) else 0.0
    eps_ratio = median(with_jobs.eps) / median(alone.eps) if median(alone.eps) else 0.0
    with_jobs.target = f"fps ratio {fps_ratio:.3f}, eps ratio {eps_ratio:.3f}: both ≥ 0.8"
    with_jobs.met = fps_ratio >= 0.8 and eps_ratio >= 0.8
    own = ""  # the calm session's epochs per CPU-second of its trainer, beside over alone
    before_eps = median([v.epochs_per_second() for v in before[0]])
    if trainer_cores and trainer_cores[0] > 0 and alone_cores > 0 and before_eps > 0:
        own = (
            "; the calm session's epochs per CPU-second of its trainer, beside over alone "
            f"(its trainer's own shares, whatever the machine gave it): "
            f"×{(median(with_jobs.eps) / trainer_cores[0]) / (before_eps / alone_cores):.2f}"
        )
    with_jobs.note = (
        f"{JOBS} jobs of {limits['max_hidden_layers']}×{limits['max_units_per_layer']}, "
        f"n={limits['max_samples']} from another client; trainers' cores meanwhile "
        + " / ".join(f"{c:.2f}" for c in trainer_cores)
        + f" (the busiest alone before: {alone_cores:.2f})"
        + (
            f" (the least busy over the busiest: {trainer_cores[-1] / trainer_cores[0]:.2f})"
            if len(trainer_cores) > 1 and trainer_cores[0] > 0
            else ""
        )
        + own
    )
    return [alone, with_jobs]


def weighted(design: str, opts: argparse.Namespace) -> list[tuple[str, dict[str, str]]]:
    """(label, env) of ``design`` once per ``--job-weights`` (just the design without it)."""
    if not opts.job_weights:
        return [(design, DESIGNS[design])]
    return [(f"{design} w={w}", {**DESIGNS[design], "BPP_JOB_WEIGHT": w}) for w in opts.job_weights]


def print_weight_ratios(rows: list[Row], opts: argparse.Namespace) -> None:
    """Each case's medians at the later ``--job-weights`` over those at the first one."""
    if len(opts.job_weights) < 2:
        return
    print(f"\nmedians at each job weight over those at w={opts.job_weights[0]} (same run):")
    by = {(r.case, r.design): r for r in rows}
    for (case, label), r in by.items():
        design, _, w = label.partition(" w=")
        if not w or w == opts.job_weights[0]:
            continue
        ref = by.get((case, f"{design} w={opts.job_weights[0]}"))
        if ref is None:
            continue
        eps = median(r.eps) / median(ref.eps) if median(ref.eps) else float("nan")
        fps = median(r.fps) / median(ref.fps) if median(ref.fps) else float("nan")
        print(f"  {case:<14} {design:<6} w={w}: epochs/s ×{eps:.3f}, frames/s ×{fps:.3f}")


def fmt_load() -> str:
    """The machine's load averages: other work competing with the servers for the cores."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


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
        "epochs/CPU-s",
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
                fmt(sum(r.eps) / r.load.server if r.eps and r.load.server > 0 else float("nan")),
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
        f"sessions {opts.sessions} (b, e, ck, d), {opts.many} (b2)  "
        f"load average (1, 5, 15 min): {fmt_load()}",
        flush=True,
    )
    rows: list[Row] = []
    server_cases = [c for c in opts.cases if c in SERVER_CASES]
    for design in opts.designs if server_cases else ():
        for label, env in weighted(design, opts):
            rows += await run_design(label, env, opts, server_cases)
    if "ck" in opts.cases:
        rows += await case_ck(opts)
    if "d" in opts.cases:
        rows += await case_d_with_reference(opts)
    if "f" in opts.cases:
        for design in opts.designs:
            rows += await case_f(opts, design)
    compare_b(rows)
    if "fa" in opts.cases:
        rows += await case_fa(opts)
    if "j" in opts.cases:
        for design in opts.designs:
            for label, env in weighted(design, opts):
                rows += await case_j(opts, label, env)
    print()
    print_table(rows)
    print_weight_ratios(rows, opts)
    print(f"load average at the end (1, 5, 15 min): {fmt_load()}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, help="measuring window (default 8; quick 2)")
    parser.add_argument("--warmup", type=float, help="warm-up before it (default 2; quick 1)")
    parser.add_argument(
        "--sessions", type=int, help="sessions in b, e, ck, d (default 50; quick 10)"
    )
    parser.add_argument("--many", type=int, help="sessions in b2 (default 200; quick 40)")
    parser.add_argument("--rounds", type=int, help="alternations in a (default 4; quick 1)")
    parser.add_argument(
        "--ck-rounds", type=int, help="interleaved rounds in ck (default 3; quick 1)"
    )
    parser.add_argument(
        "--cases",
        default="b,b2,e,a",
        help="comma-separated: b,b2,e,a,ck,d,f,fa,j (default b,b2,e,a)",
    )
    parser.add_argument(
        "--designs",
        default="today,new",
        help="comma-separated: today (30 frames/s fixed), new (adaptive), inproc (BPP_TRAINERS=0), "
        "new1 (one trainer process), new2 (two), local2 (two, no shares across them: case j)",
    )
    parser.add_argument(
        "--json-frames",
        action="store_true",
        help="every viewer reads JSON frames (default: as the page, binary; today's design: JSON)",
    )
    parser.add_argument(
        "--no-page-traffic",
        action="store_true",
        help="viewers only read their stream (default: they replay benchmarks/page_traffic.json)",
    )
    parser.add_argument(
        "--ck-together",
        action="store_true",
        help="ck: the three servers at once (each sees the same other load), not in turn",
    )
    parser.add_argument(
        "--store",
        choices=("auto", "postgres", "sqlite"),
        default="auto",
        help="d's session store (default auto: PostgreSQL if installed, else shared SQLite)",
    )
    parser.add_argument(
        "--students",
        type=int,
        help="students in f's classroom (default 200) and fa's (default 60); quick 10",
    )
    parser.add_argument(
        "--job-weights",
        default="",
        help="comma-separated BPP_JOB_WEIGHT values: the server cases and j once per value, "
        "with ratios to the first (e.g. 1,0.1: the old rule, the new)",
    )
    parser.add_argument(
        "--fa-dry",
        action="store_true",
        help="fa without answers: its B segments against its Q ones, the ratios' noise floor",
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    opts = parser.parse_args(argv)
    defaults = (
        {
            "seconds": 2.0,
            "warmup": 1.0,
            "sessions": 10,
            "many": 40,
            "rounds": 1,
            "ck_rounds": 1,
            "students": 10,
        }
        if opts.quick
        else {
            "seconds": 8.0,
            "warmup": 2.0,
            "sessions": 50,
            "many": 200,
            "rounds": 4,
            "ck_rounds": 3,
            "students": 200,
        }
    )
    # case fa's classroom is issue 18's 60 students unless --students says otherwise
    opts.answer_students = opts.students or (10 if opts.quick else 60)
    for key, value in defaults.items():
        if getattr(opts, key) is None:
            setattr(opts, key, value)
    opts.cases = [c.strip() for c in opts.cases.split(",") if c.strip()]
    opts.designs = [d.strip() for d in opts.designs.split(",") if d.strip()]
    opts.job_weights = [w.strip() for w in opts.job_weights.split(",") if w.strip()]
    for w in opts.job_weights:
        try:
            ok = 0 < float(w) <= 1
        except ValueError:
            ok = False
        if not ok:
            parser.error(f"--job-weights: {w!r} is not a number in (0, 1]")
    for c in opts.cases:
        if c not in CASES:
            parser.error(f"unknown case {c!r} (choose from {', '.join(CASES)})")
    for d in opts.designs:
        if d not in DESIGNS:
            parser.error(f"unknown design {d!r} (choose from {', '.join(DESIGNS)})")
    if opts.sessions < 2 or opts.many < 1 or opts.seconds <= 0 or opts.warmup < 0:
        parser.error("need --sessions ≥ 2, --many ≥ 1, --seconds > 0, --warmup ≥ 0")
    if opts.students < 1:
        parser.error("need --students ≥ 1")
    if opts.rounds < 1 or opts.ck_rounds < 1:
        parser.error("need --rounds ≥ 1, --ck-rounds ≥ 1")
    return opts


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except BenchError as e:
        sys.exit(f"bench_stream: {e}")
