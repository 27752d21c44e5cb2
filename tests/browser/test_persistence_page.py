"""The page and durable sessions (issue 8): it picks its session up again by itself after the
server is killed (SIGKILL) and started again on the same port and data folder; it says so while
a trainer restarts; and a session the server truly lost is never dropped silently — the page
offers its setup and its last export back.

Each test starts servers of its own (``tests.support.server``), so that it can kill them."""

from __future__ import annotations

import os
import signal
import time
import urllib.error
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, start_server

from .conftest import open_playground, rest, shot

pytestmark = pytest.mark.browser

# What Chromium itself logs while the server is down or a session is gone: failed connections
# and the 404 with which the page learns that a session is gone. The page logs nothing.
EXPECTED_NOISE = ("ERR_CONNECTION_REFUSED", "WebSocket connection to", "status of 404")


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "BPP_DATA_DIR": str(data_dir),
        "BPP_MAX_SESSIONS_PER_CLIENT": "50",
        "BPP_CHECKPOINT_SECONDS": "0.5",  # a playing session is saved often: kill -9 loses little
        **extra,
    }
    if "BPP_TRAINERS" in os.environ and "BPP_TRAINERS" not in extra:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    return env


def new_page(browser, server: ServerProcess, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors
    pg.base = server.url
    return context, pg


def unexpected_errors(pg) -> list[str]:
    return [e for e in pg.errors if not any(n in e for n in EXPECTED_NOISE)]


def shown_epoch(pg) -> int:
    return int(pg.inner_text("#epoch"))


def wait_epoch_above(pg, epoch: int, timeout: float = 15000) -> None:
    pg.wait_for_function(
        f"Number(document.getElementById('epoch').textContent) > {epoch}", timeout=timeout
    )


def test_the_page_picks_its_session_up_again_after_a_kill_9_and_a_restart(browser, tmp_path):
    env = server_env(tmp_path / "data")
    servers = [start_server(env=env, log_dir=tmp_path, startup_timeout=30)]
    context, pg = new_page(browser, servers[0])
    try:
        open_playground(pg, "#dataset=gaussian&lr=0.1")
        sid = pg.evaluate("window.__bpp.sessionId")
        pg.keyboard.press("Space")  # play (on the server)
        wait_epoch_above(pg, 40)
        time.sleep(1.2)  # a few checkpoints while it plays

        port = servers[0].port
        assert servers[0].kill9() == -9
        pg.wait_for_function(
            "document.getElementById('conn').textContent.includes('reconnecting')", timeout=5000
        )
        time.sleep(2.0)  # down for a while: every try meanwhile is refused
        assert pg.is_visible("#notice")
        assert "reconnecting" in pg.inner_text("#notice")
        assert "gone" not in pg.inner_text("#conn")
        shot(pg, "persistence-reconnecting.png")

        servers.append(start_server(env=env, port=port, log_dir=tmp_path, startup_timeout=30))
        # the back-off waits at most 5 s between tries
        pg.wait_for_function(
            "document.getElementById('conn').textContent === 'live'", timeout=20000
        )
        assert pg.evaluate("window.__bpp.sessionId") == sid
        state = rest(pg, "GET", f"/api/sessions/{sid}")
        assert state["status"] == "paused"
        assert state["epoch"] > 0  # its last checkpoint while it played
        pg.wait_for_function(
            f"Number(document.getElementById('epoch').textContent) === {state['epoch']}"
        )
        pg.wait_for_function(  # shown paused
            "document.getElementById('btn-play').getAttribute('aria-label') === 'Play'"
        )
        assert pg.is_hidden("#notice")
        # the loss curve is the server's whole history again, up to the restored epoch
        history = rest(pg, "GET", f"/api/sessions/{sid}/history")
        assert history["epoch"][-1] == state["epoch"] and len(history["epoch"]) > 20
        pg.wait_for_function(
            f"window.__bpp.app.loss.epochs.length >= {len(history['epoch'])}"
            f" && window.__bpp.app.loss.epochs.at(-1) === {state['epoch']}"
        )
        assert pg.evaluate("window.__bpp.app.loss.epochs") == history["epoch"]
        shot(pg, "persistence-after-restart.png")

        pg.keyboard.press("Space")  # play works again
        wait_epoch_above(pg, state["epoch"] + 30)
        assert pg.get_attribute("#btn-play", "aria-label") == "Pause"
        pg.keyboard.press("Space")
        pg.wait_for_function(
            "document.getElementById('btn-play').getAttribute('aria-label') === 'Play'"
        )
        assert rest(pg, "GET", f"/api/sessions/{sid}")["epoch"] > state["epoch"] + 30
        assert pg.evaluate("window.__bpp.sessionId") == sid
        assert unexpected_errors(pg) == []
    finally:
        context.close()
        for server in servers:
            server.stop()


def test_a_restarted_trainer_shows_restoring_until_the_session_is_back(browser, tmp_path):
    server = start_server(
        env=server_env(tmp_path / "data", BPP_TRAINERS="1"), log_dir=tmp_path, startup_timeout=30
    )
    context, pg = new_page(browser, server)
    try:
        open_playground(pg, "#dataset=gaussian&lr=0.1")
        sid = pg.evaluate("window.__bpp.sessionId")
        pg.keyboard.press("Space")
        wait_epoch_above(pg, 20)
        # every banner the page shows, in order (a restore may take well under a second)
        pg.evaluate(
            """(() => { const n = window.__bpp.app.notice, show = n.show.bind(n);
                window.__notices = [];
                n.show = (o) => { window.__notices.push([o.kind, o.title]); show(o); }; })()"""
        )
        trainers = [p for p in server.pids() if p != server.pid and is_trainer(p)]
        assert len(trainers) == 1
        os.kill(trainers[0], signal.SIGKILL)
        pg.wait_for_function("window.__notices.some((n) => n[0] === 'restoring')", timeout=10000)
        _, title = next(n for n in pg.evaluate("window.__notices") if n[0] == "restoring")
        assert "restoring from the last checkpoint" in title and "trainer" in title.lower()
        # a frame of the restored session clears it; it plays on
        pg.wait_for_function("window.__bpp.app.notice.kind === null", timeout=15000)
        assert pg.inner_text("#conn") == "live"
        epoch = shown_epoch(pg)
        if rest(pg, "GET", f"/api/sessions/{sid}")["status"] != "running":
            pg.keyboard.press("Space")
        wait_epoch_above(pg, epoch + 20)
        assert pg.evaluate("window.__bpp.sessionId") == sid
        assert unexpected_errors(pg) == []
    finally:
        context.close()
        server.stop()


def is_trainer(pid: int) -> bool:
    """A spawned trainer process (not multiprocessing's resource tracker)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"spawn_main" in cmdline


def test_a_deleted_session_says_so_and_comes_back_from_the_last_export(browser, tmp_path):
    server = start_server(env=server_env(tmp_path / "data"), log_dir=tmp_path, startup_timeout=30)
    context, pg = new_page(browser, server, 1024, 768)
    try:
        open_playground(pg, "#dataset=xor&hidden=4,3&lr=0.1&momentum=0.5")
        sid = pg.evaluate("window.__bpp.sessionId")
        for k in range(1, 4):
            pg.click("#btn-step")
            pg.wait_for_function(f"Number(document.getElementById('epoch').textContent) === {k}")
        # the page keeps the newest export of its session (memory and localStorage)
        pg.wait_for_function(f"window.__bpp.app.backup.get('{sid}')?.epoch === 3", timeout=5000)
        export = rest(pg, "GET", f"/api/sessions/{sid}/export")
        assert pg.evaluate(f"window.__bpp.app.backup.get('{sid}').doc") == export
        assert pg.evaluate(f"localStorage.getItem('bpp.export.{sid}') !== null")
        weights = rest(pg, "GET", f"/api/sessions/{sid}")["frame"]["weights"]

        # a 4404 for a session that REST still has (one being brought back) is not "gone": the
        # page asks, then connects again
        pg.evaluate("window.__bpp.app.stream.ws.onclose({ code: 4404 })")
        pg.wait_for_function(
            "document.getElementById('conn').textContent === 'live'"
            " && window.__bpp.app.stream.live",
            timeout=10000,
        )
        assert pg.evaluate("window.__bpp.sessionId") == sid
        assert pg.is_hidden("#notice")

        rest(pg, "DELETE", f"/api/sessions/{sid}")
        pg.wait_for_selector("#notice.gone", timeout=10000)
        notice = pg.inner_text("#notice")
        assert "gone" in notice and "epoch 3" in notice
        assert pg.is_visible("#btn-start-again") and pg.is_enabled("#btn-restore-export")
        assert pg.inner_text("#conn") == "session gone"
        assert pg.evaluate("document.documentElement.scrollWidth") <= 1024
        time.sleep(0.3)
        shot(pg, "persistence-gone-1024x768.png")
        pg.set_viewport_size({"width": 1440, "height": 900})
        time.sleep(0.3)
        shot(pg, "persistence-gone-1440x900.png")
        pg.set_viewport_size({"width": 1024, "height": 768})
        # nothing runs into the void meanwhile: play and step only point at the banner
        pg.keyboard.press("Space")
        assert pg.get_attribute("#btn-play", "aria-label") == "Play"

        pg.click("#btn-restore-export")
        pg.wait_for_function(
            f"window.__bpp.sessionId !== '{sid}'"
            " && document.getElementById('conn').textContent === 'live'",
            timeout=10000,
        )
        new = pg.evaluate("window.__bpp.sessionId")
        assert pg.is_hidden("#notice")
        state = rest(pg, "GET", f"/api/sessions/{new}")
        assert state["epoch"] == 3 and state["frame"]["weights"] == weights
        again = rest(pg, "GET", f"/api/sessions/{new}/export")
        assert again["network"] == export["network"] and again["state"] == export["state"]
        assert shown_epoch(pg) == 3
        pg.click("#btn-step")  # it trains on
        pg.wait_for_function("Number(document.getElementById('epoch').textContent) === 4")

        # gone again, this time started again from its setup: fresh weights, same config
        rest(pg, "DELETE", f"/api/sessions/{new}")
        pg.wait_for_selector("#notice.gone", timeout=10000)
        pg.click("#btn-start-again")
        pg.wait_for_function(
            f"window.__bpp.sessionId !== '{new}'"
            " && document.getElementById('conn').textContent === 'live'",
            timeout=10000,
        )
        fresh = rest(pg, "GET", f"/api/sessions/{pg.evaluate('window.__bpp.sessionId')}")
        assert fresh["epoch"] == 0
        assert fresh["config"]["dataset"] == state["config"]["dataset"]
        assert fresh["config"]["network"]["hidden_layers"] == [4, 3]
        with pytest.raises(urllib.error.HTTPError):
            rest(pg, "GET", f"/api/sessions/{new}")
        assert unexpected_errors(pg) == []
    finally:
        context.close()
        server.stop()
