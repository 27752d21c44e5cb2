"""The real page, one student alone, in headless Chromium (issue 21).

Two things, against one server started by ``tests/support/server.py``:

  updates   screen updates per second: the page opened on the default network and on 6×8
            (``#hidden=8,8,8,8,8,8``), played at max speed; after ``--warmup`` s, a
            MutationObserver on the epoch counter (``#epoch``) counts its changes for
            ``--seconds`` s; updates/s = changes / window, epochs/s visualised = (last − first
            epoch) / window. Targets: ≥ 55 updates/s for both, ≥ 1,500 epochs/s for the default.
            ``--env KEY=VALUE`` sets the server's settings (e.g. ``BPP_FRAME_RATE=30
            BPP_ADAPTIVE_FRAME_RATE=0``: the design before issue 21).
  record    (``--record``) what the page sends while it plays the default network for
            ``--seconds`` s: every WebSocket message it sends on its stream and every REST
            request it makes (method, path with the session id as ``{id}``, time from play),
            written as a JSON fixture (``benchmarks/page_traffic.json``) that
            ``bench_stream.py``'s viewers replay: per second, each kind of message and request
            at its recorded rate.

Usage:
  .venv/bin/python benchmarks/bench_page.py
  .venv/bin/python benchmarks/bench_page.py --env BPP_FRAME_RATE=30 --env BPP_ADAPTIVE_FRAME_RATE=0
  .venv/bin/python benchmarks/bench_page.py --record --seconds 10
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
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


def measure_updates(browser, url: str, hash_: str, warmup: float, seconds: float) -> dict:
    page = open_page(browser, url, hash_)
    try:
        page.keyboard.press("Space")
        page.wait_for_function("Number(document.getElementById('epoch').textContent) > 0")
        time.sleep(warmup)
        page.evaluate(OBSERVE)
        seen = page.evaluate("window.__bpp.framesSeen")
        time.sleep(seconds)
        updates = page.evaluate("window.__updates")
        seen = page.evaluate("window.__bpp.framesSeen") - seen
        page.keyboard.press("Space")
    finally:
        page.context.close()
    if len(updates) < 2:
        return {"updates_per_s": 0.0, "epochs_per_s": 0.0, "frames_per_s": seen / seconds}
    return {
        "frames_per_s": seen / seconds,
        "updates_per_s": len(updates) / seconds,
        "epochs_per_s": (updates[-1][1] - updates[0][1]) / seconds,
    }


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--record", action="store_true", help="write the traffic fixture")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    opts = parser.parse_args()
    env = dict(kv.split("=", 1) for kv in opts.env)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, start_server(env=env, log_dir=Path(tmp)) as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                if opts.record:
                    fixture = record(browser, server.url, opts.warmup, opts.seconds)
                    FIXTURE.write_text(json.dumps(fixture, indent=2) + "\n")
                    print(json.dumps(fixture, indent=2))
                    return
                print(f"server settings: {env or 'defaults'}")
                print(
                    f"{'network':<10} {'updates/s':>10} {'epochs/s':>10} {'frames in/s':>12}"
                    "   targets: updates/s ≥55, epochs/s ≥1500 (default)"
                )
                for name, hash_ in NETWORKS.items():
                    m = measure_updates(browser, server.url, hash_, opts.warmup, opts.seconds)
                    print(
                        f"{name:<10} {m['updates_per_s']:>10.1f} {m['epochs_per_s']:>10.0f}"
                        f" {m['frames_per_s']:>12.1f}"
                    )
            finally:
                browser.close()


if __name__ == "__main__":
    main()
