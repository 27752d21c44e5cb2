"""The real page, one student alone, in headless Chromium (issue 21).

Two things, against one server started by ``tests/support/server.py``:

  updates   screen updates per second: the page opened on the default network and on 6×8
            (``#hidden=8,8,8,8,8,8``), played at max speed; after ``--warmup`` s, a
            MutationObserver on the epoch counter (``#epoch``) counts its changes for
            ``--seconds`` s; updates/s = changes / window, epochs/s visualised = (last − first
            epoch) / window. Targets: ≥ 55 updates/s for both, ≥ 1,500 epochs/s for the default.
            ``--env KEY=VALUE`` sets the server's settings (e.g. ``BPP_FRAME_RATE=30
            BPP_ADAPTIVE_FRAME_RATE=0``: the design before issue 21).
            Beside the rates, CPU figures that other load on the machine moves less: the
            browser's CPU milliseconds per screen update (every process of the Chromium this
            script started, from /proc) and the server's cores (all its processes).
            ``--baseline REF`` (e.g. ``main``) measures "today" beside "new" in the same run:
            REF's tree (``git archive``, into a temporary folder) served by a second server,
            the two measured in turn, ``--rounds`` times each (medians), with the load average.
  record    (``--record``) what the page sends while it plays the default network for
            ``--seconds`` s: every WebSocket message it sends on its stream and every REST
            request it makes (method, path with the session id as ``{id}``, time from play),
            written as a JSON fixture (``benchmarks/page_traffic.json``) that
            ``bench_stream.py``'s viewers replay: per second, each kind of message and request
            at its recorded rate.

Usage:
  .venv/bin/python benchmarks/bench_page.py
  .venv/bin/python benchmarks/bench_page.py --env BPP_FRAME_RATE=30 --env BPP_ADAPTIVE_FRAME_RATE=0
  .venv/bin/python benchmarks/bench_page.py --baseline main --rounds 3
  .venv/bin/python benchmarks/bench_page.py --record --seconds 10
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import start_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIXTURE = ROOT / "benchmarks" / "page_traffic.json"
NETWORKS = {"default": "", "6x8": "#hidden=8,8,8,8,8,8"}
SESSION_PATH = re.compile(r"/api/sessions/[^/?]+")

OBSERVE = """() => {
  const el = document.getElementById('epoch');
  window.__updates = [];
  new MutationObserver(() => window.__updates.push([performance.now(), Number(el.textContent)]))
    .observe(el, {childList: true, characterData: true, subtree: true});
}"""


def new_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    return context.new_page()


def open_page(browser, url: str, hash_: str):
    page = new_page(browser)
    page.goto(url + "/" + hash_)
    page.wait_for_function("window.__bpp && window.__bpp.ready", timeout=30000)
    page.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return page


TICKS = os.sysconf("SC_CLK_TCK")


def browser_cpu_seconds() -> float:
    """CPU seconds (user + system) so far of every Chromium process this script started (its
    descendants), not the other browsers on a shared machine."""
    stats: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
        except OSError:
            continue
        fields = tail.split()
        comm = head.split("(", 1)[1]
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, comm)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _t, _c) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [os.getpid()]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        if pid in stats and "chrom" in stats[pid][2]:
            total += stats[pid][1]
    return total


def measure_updates(browser, server, hash_: str, warmup: float, seconds: float) -> dict:
    page = open_page(browser, server.url, hash_)
    try:
        page.keyboard.press("Space")
        page.wait_for_function("Number(document.getElementById('epoch').textContent) > 0")
        time.sleep(warmup)
        page.evaluate(OBSERVE)
        seen = page.evaluate("window.__bpp.framesSeen")
        cpu, server_cpu, t0 = browser_cpu_seconds(), server.cpu_seconds(), time.monotonic()
        time.sleep(seconds)
        updates = page.evaluate("window.__updates")
        seen = page.evaluate("window.__bpp.framesSeen") - seen
        span = time.monotonic() - t0
        cpu, server_cpu = browser_cpu_seconds() - cpu, server.cpu_seconds() - server_cpu
        page.keyboard.press("Space")
    finally:
        page.context.close()
    out = {
        "frames_per_s": seen / seconds,
        "updates_per_s": len(updates) / seconds,
        "epochs_per_s": 0.0,
        "browser_ms_per_update": 1000 * cpu / max(1, len(updates)),
        "server_cores": server_cpu / span,
    }
    if len(updates) >= 2:
        out["epochs_per_s"] = (updates[-1][1] - updates[0][1]) / seconds
    return out


def export_tree(ref: str, into: Path) -> Path:
    """``ref``'s tree (``git archive``) unpacked into ``into``: the page and server of "today"."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def record(browser, url: str, warmup: float, seconds: float) -> dict:
    """The page's own traffic while it plays the default network (see the module docstring)."""
    page = new_page(browser)
    sent: list[tuple[float, str]] = []
    received: list[tuple[float, str | bytes]] = []
    rest: list[tuple[float, str, str]] = []
    t0 = [0.0]

    def on_ws(ws) -> None:
        if "/stream" in ws.url:
            ws.on("framesent", lambda payload: sent.append((time.monotonic(), payload)))
            ws.on("framereceived", lambda payload: received.append((time.monotonic(), payload)))

    def on_request(req) -> None:
        if "/api/" in req.url and req.resource_type in ("fetch", "xhr"):
            path = SESSION_PATH.sub("/api/sessions/{id}", req.url.split("//", 1)[1])
            rest.append((time.monotonic(), req.method, "/" + path.split("/", 1)[1]))

    page.on("websocket", on_ws)
    page.on("request", on_request)
    try:
        page.goto(url + "/")
        page.wait_for_function("window.__bpp && window.__bpp.ready", timeout=30000)
        page.wait_for_function("document.getElementById('conn').textContent === 'live'")
        page.wait_for_timeout(warmup * 1000)  # (not time.sleep: events are taken while waiting)
        t0[0] = time.monotonic()
        page.keyboard.press("Space")
        page.wait_for_timeout(seconds * 1000)
        end = time.monotonic()
        page.keyboard.press("Space")
    finally:
        page.context.close()
    kinds: Counter[str] = Counter()
    for t, payload in sent:
        if t0[0] <= t <= end:
            try:
                kinds[json.loads(payload).get("type", "?")] += 1
            except (ValueError, AttributeError):
                kinds["binary"] += 1
    before: Counter[str] = Counter()
    for t, payload in sent:
        if t < t0[0]:
            try:
                before[json.loads(payload).get("type", "?")] += 1
            except (ValueError, AttributeError):
                before["binary"] += 1
    got: Counter[str] = Counter()
    for t, payload in received:
        if t0[0] <= t <= end:
            head = payload[:40] if isinstance(payload, str) else "binary"
            match = re.match(r'\{"type":"(\w+)"', head)
            got[match.group(1) if match else "binary"] += 1
    requests: Counter[tuple[str, str]] = Counter(
        (m, p.split("?", 1)[0]) for t, m, p in rest if t0[0] <= t <= end
    )
    return {
        "recorded": time.strftime("%Y-%m-%d"),
        "what": "the playground page (default network), played at max speed in headless "
        "Chromium; rates per second over the window from play (benchmarks/bench_page.py)",
        "seconds": round(end - t0[0], 2),
        "ws_sent_before_play": dict(sorted(before.items())),
        "rest_before_play": sorted(f"{m} {p.split('?', 1)[0]}" for t, m, p in rest if t < t0[0]),
        "ws_sent_per_s": {k: round(n / (end - t0[0]), 3) for k, n in sorted(kinds.items())},
        "ws_received_per_s": {k: round(n / (end - t0[0]), 3) for k, n in sorted(got.items())},
        "rest_per_s": [
            {"method": m, "path": p, "per_s": round(n / (end - t0[0]), 3)}
            for (m, p), n in sorted(requests.items())
        ],
    }


COLUMNS = (
    ("updates/s", "updates_per_s", ".1f"),
    ("epochs/s", "epochs_per_s", ".0f"),
    ("frames in/s", "frames_per_s", ".1f"),
    ("browser ms/update", "browser_ms_per_update", ".2f"),
    ("server cores", "server_cores", ".2f"),
)


def print_rows(rows: dict[tuple[str, str], list[dict]]) -> None:
    """Medians over the rounds of every (design, network)."""
    print(f"{'design':<7} {'network':<8}" + "".join(f" {title:>17}" for title, _k, _f in COLUMNS))
    for (design, network), ms in rows.items():
        cells = "".join(
            f" {statistics.median(m[key] for m in ms):>17{spec}}" for _t, key, spec in COLUMNS
        )
        print(f"{design:<7} {network:<8}{cells}")
    print("targets: updates/s ≥ 55 (both networks), epochs/s ≥ 1,500 (default)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1, help="measurements per row (medians)")
    parser.add_argument("--baseline", help="a git ref measured beside this tree ('today')")
    parser.add_argument("--record", action="store_true", help="write the traffic fixture")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    opts = parser.parse_args()
    env = dict(kv.split("=", 1) for kv in opts.env)
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        servers = {"new": stack.enter_context(start_server(env=env, log_dir=tmp))}
        if opts.baseline and not opts.record:
            tree = export_tree(opts.baseline, tmp / "today")
            today_env = {**env, "PYTHONPATH": str(tree)}
            servers = {
                "today": stack.enter_context(start_server(env=today_env, log_dir=tmp, cwd=tree)),
                **servers,
            }
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                if opts.record:
                    fixture = record(browser, servers["new"].url, opts.warmup, opts.seconds)
                    FIXTURE.write_text(json.dumps(fixture, indent=2) + "\n")
                    print(json.dumps(fixture, indent=2))
                    return
                print(f"server settings: {env or 'defaults'}; today: {opts.baseline or '-'}")
                print(f"before: {load_average()}")
                rows: dict[tuple[str, str], list[dict]] = {}
                for _round in range(opts.rounds):
                    for name, hash_ in NETWORKS.items():
                        for design, server in servers.items():
                            m = measure_updates(browser, server, hash_, opts.warmup, opts.seconds)
                            rows.setdefault((design, name), []).append(m)
                print_rows(dict(sorted(rows.items(), key=lambda kv: (kv[0][1], kv[0][0]))))
                print(f"after: {load_average()}")
            finally:
                browser.close()


if __name__ == "__main__":
    main()
