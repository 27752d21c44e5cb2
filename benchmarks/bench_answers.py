"""Answers benchmark (issue 18): a class answers a network question all at once.

One real server (trainer processes, the default settings). ``--students`` (60) seats join a
classroom whose activity's step 1 asks δ_k of the output unit for sample 1 (Eq. 5), checked on
each student's own network by the trainer that holds it. Beside the class, ``--load`` (60)
anonymous sessions of the default lesson play, one WebSocket viewer each — the rest of the
server, whose training and frames must not suffer.

Two windows of ``--seconds`` on fresh load sessions, same run: *quiet* (no answers), then
*answers*: the teacher opens step 1 (every student's network freezes) and the whole class
answers at once, again and again (wrong values, so attempts remain; at most ``--bursts``).
Reported: each answer's latency (request to reply: parse, the trainer's ``Quantity``, compare,
the committed row) p50/p95/max — target p95 ≤ 1 s — and the load's epochs/s and frames/s in the
answers window as a ratio of the quiet one (target ≥ 0.8).

    python benchmarks/bench_answers.py --students 60 --load 60 --seconds 8
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_stream as bs  # noqa: E402

from tests.support.classroom import DEFAULT_LESSON, create_teacher  # noqa: E402
from tests.support.server import start_server  # noqa: E402

QUESTION = {
    "kind": "network",
    "prompt": "δ_k of the output unit for sample 1 (Eq. 5)",
    "quantity": {"name": "delta", "layer": 2, "unit": 0},
    "sample": 1,
    "max_attempts": 20,
}
STEPS = [{"title": "Train"}, {"title": "δ_k", "question": QUESTION}]


def percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


async def students_of(url: str, code: str, n: int) -> list[httpx.AsyncClient]:
    """``n`` students who joined, each a client with their seat cookie (closed by the caller)."""
    out = []
    for i in range(n):
        s = httpx.AsyncClient(base_url=url, timeout=60, trust_env=False)
        r = await s.post("/api/join", json={"code": code, "name": f"Student {i + 1:02d}"})
        if r.status_code != 200:
            raise bs.BenchError(f"POST /api/join: {r.status_code} {r.text[:300]}")
        out.append(s)
    return out


async def measure(server, t: httpx.AsyncClient, opts, burst=None):
    """Fresh load sessions, one viewer each, measured over a window; ``burst(window)`` runs
    beside it."""
    ids = await bs.create_sessions(t, [DEFAULT_LESSON] * opts.load)
    window = bs.Window()
    try:
        urls = [f"{server.ws_url}/api/sessions/{sid}/stream" for sid in ids]
        watching = bs.watch_all(
            urls, {"server": server.cpu_seconds}, opts.seconds, opts.warmup, window=window
        )
        if burst is None:
            return await watching, []
        (viewers, load), latencies = await asyncio.gather(watching, burst(window))
        return (viewers, load), latencies
    finally:
        await bs.delete_sessions(t, ids)


async def run(opts: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bpp-bench-answers-") as logs:
        data = Path(logs) / "data"
        create_teacher(data, "teacher", bs.TEACHER_PASSWORD)
        env = {
            "BPP_DATA_DIR": str(data),
            "BPP_MAX_SESSIONS": str(opts.students + 2 * opts.load + 40),
            "BPP_MAX_SESSIONS_PER_CLIENT": str(opts.students + opts.load + 20),
        }
        server = start_server(env=env, log_dir=logs)
        students: list[httpx.AsyncClient] = []
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=60, trust_env=False) as t:
                r = await t.post(
                    "/api/auth/login", json={"name": "teacher", "password": bs.TEACHER_PASSWORD}
                )
                r = await t.post(
                    "/api/lessons",
                    json={"title": "Backward", "setup": DEFAULT_LESSON, "steps": STEPS},
                )
                if r.status_code != 201:
                    raise bs.BenchError(f"POST /api/lessons: {r.status_code} {r.text[:300]}")
                room = (await t.post("/api/classrooms", json={"lesson_id": r.json()["id"]})).json()
                students = await students_of(server.url, room["code"], opts.students)
                cid = room["id"]
                await t.post(f"/api/classrooms/{cid}/steps/open", json={"step": 0})
                print(f"quiet window ({opts.load} load sessions) ...", flush=True)
                (quiet, quiet_load), _ = await measure(server, t, opts)

                async def burst(window: bs.Window) -> list[float]:
                    loop = asyncio.get_running_loop()
                    while loop.time() < window.start:
                        await asyncio.sleep(0.05)
                    r = await t.post(f"/api/classrooms/{cid}/steps/open", json={"step": 1})
                    if r.status_code != 200:
                        raise bs.BenchError(f"open step 1: {r.status_code} {r.text[:300]}")
                    latencies: list[float] = []

                    async def answer(s: httpx.AsyncClient) -> None:
                        began = loop.time()
                        r = await s.post(
                            f"/api/classrooms/{cid}/steps/1/answer", json={"value": "12345,6"}
                        )
                        if r.status_code != 200:
                            raise bs.BenchError(f"answer: {r.status_code} {r.text[:300]}")
                        latencies.append(loop.time() - began)

                    for _ in range(opts.bursts):
                        if loop.time() >= window.end:
                            break
                        await asyncio.gather(*(answer(s) for s in students))
                    return latencies

                print(f"answers window ({opts.students} students at once) ...", flush=True)
                (busy, busy_load), latencies = await measure(server, t, opts, burst)
        finally:
            for s in students:
                await s.aclose()
            server.stop()
    q, b = bs.row("quiet", "new", quiet, quiet_load, opts.seconds), None
    b = bs.row("answers", "new", busy, busy_load, opts.seconds)
    eps = statistics.median(b.eps) / statistics.median(q.eps)
    fps = statistics.median(b.fps) / statistics.median(q.fps)
    p95 = percentile(latencies, 0.95)
    print(
        f"answers: {len(latencies)} in bursts of {opts.students}; latency p50 "
        f"{percentile(latencies, 0.5):.3f} s, p95 {p95:.3f} s, max {max(latencies):.3f} s "
        f"(target p95 ≤ 1 s: {'met' if p95 <= 1 else 'NOT met'})"
    )
    print(
        f"load ({opts.load} sessions): epochs/s med {statistics.median(q.eps):.0f} quiet, "
        f"{statistics.median(b.eps):.0f} answering (×{eps:.2f}); frames/s med "
        f"{statistics.median(q.fps):.1f} quiet, {statistics.median(b.fps):.1f} answering "
        f"(×{fps:.2f}; target ≥ 0.8: {'met' if min(eps, fps) >= 0.8 else 'NOT met'})"
    )
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=60)
    p.add_argument("--load", type=int, default=60)
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--bursts", type=int, default=19, help="At most (max_attempts − 1).")
    return asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
