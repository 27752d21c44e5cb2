"""Fixtures for the browser tests: the real server on a free port (a subprocess) and headless
Debian Chromium driven by Playwright. Screenshots go to test-artifacts/ (gitignored)."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerStartError, start_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[str]:
    """Base URL of a real playground server started as a subprocess."""
    env = {"BPP_MAX_SESSIONS_PER_CLIENT": "200", "BPP_MAX_SESSIONS": "400"}
    if "BPP_TRAINERS" in os.environ:  # `make test` runs the page in both training modes
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    try:
        proc = start_server(env=env, log_dir=tmp_path_factory.mktemp("server"), startup_timeout=20)
    except ServerStartError as e:
        pytest.fail(f"the server did not start: {e}")
    with proc:
        yield proc.url


# package scope: stopped on leaving tests/browser (its event loop runs in the main thread, where
# a later file's asyncio.run would otherwise find it)
@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class PageErrors(list):
    """Console errors and uncaught exceptions seen by a page."""


@pytest.fixture
def page(browser, server):
    """A fresh 1280×800 page on the playground; fails the test on any console error."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, accept_downloads=True, bypass_csp=True
    )
    pg = context.new_page()
    errors = PageErrors()
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    pg.base = server
    yield pg
    context.close()
    assert not errors, f"console errors: {errors}"


FRAME_FORMS = ("binary", "json")  # the stream's frame forms the page reads (?frames=json)


def open_playground(pg, hash_: str = "", frames: str = "binary") -> None:
    """Open the page; ``frames="json"`` makes its stream ask for JSON frames, not binary."""
    pg.goto(pg.base + "/" + ("?frames=json" if frames == "json" else "") + hash_)
    pg.wait_for_function("window.__bpp && window.__bpp.ready", timeout=20000)
    pg.wait_for_function("document.getElementById('conn').textContent === 'live'", timeout=10000)


def rest(pg, method: str, path: str, body=None):
    """Call the server's REST API directly (not through the page)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        pg.base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def paused_epoch(pg, timeout: float = 30.0) -> int:
    """Wait until the server reports the page's session paused and the page shows the epoch it
    stopped at; that epoch. Waited for, not slept for: on a loaded machine a pause and the last
    frames before it may take a while, and a pause that never takes effect still fails here."""
    sid = pg.evaluate("window.__bpp.sessionId")
    deadline = time.monotonic() + timeout
    while (session := rest(pg, "GET", f"/api/sessions/{sid}"))["status"] != "paused":
        assert time.monotonic() < deadline, f"the session never paused: {session['status']}"
        time.sleep(0.05)
    epoch = int(session["epoch"])
    pg.wait_for_function(
        f"Number(document.getElementById('epoch').textContent) === {epoch}",
        timeout=timeout * 1000,
    )
    return epoch


def shot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    pg.screenshot(path=str(path))
    return path
