"""The page listens (issue 20): while it plays it asks the server nothing beside its stream —
the history, gradient flow, confusion matrix and replay range are pushed on it, and Eq. 7's new
weight comes in the frame — and after a pause every panel is at the counter's epoch at once.
Chromium with the page's Content-Security-Policy enforced."""

from __future__ import annotations

import pytest

from tests.support.waiting import wait_for

from .conftest import rest

pytestmark = pytest.mark.browser

PLAY_SECONDS = 5.0


@pytest.fixture
def csp_page(browser, server):
    """A playground page with its Content-Security-Policy enforced; fails on console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.base = server
    yield pg
    context.close()
    assert not errors, f"console errors: {errors}"


def until(pg, expression: str, seconds: float = 20.0):
    """Poll ``expression`` in the page (the policy forbids the eval wait_for_function uses)."""
    return wait_for(lambda: pg.evaluate(expression), seconds, what=expression)


def open_playground(pg) -> None:
    pg.goto(pg.base + "/")
    until(pg, "window.__bpp && window.__bpp.ready")
    until(pg, "document.getElementById('conn').textContent === 'live'")


def click_diagram(pg, x: float, y: float) -> None:
    box = pg.locator("#diagram").bounding_box()
    pg.mouse.click(box["x"] + x, box["y"] + y)


def shown_epoch(pg) -> int:
    return int(pg.inner_text("#epoch"))


def test_while_playing_the_page_sends_no_rest_request_beside_its_stream(csp_page):
    pg = csp_page
    open_playground(pg)
    pg.click("#btn-step")
    until(pg, "Number(document.getElementById('epoch').textContent) === 1")
    # a selected weight: its Eq. 7 value comes in every frame, not from POST /api/backprop
    click_diagram(pg, *pg.evaluate("window.__bpp.edgePoint(1, 2, 1)"))
    pg.wait_for_selector('#inspector [data-q="updated"]')
    pg.wait_for_timeout(1000)  # what the step and the selection set off has settled
    requests: list[str] = []
    sockets: list[str] = []
    pg.on("request", lambda r: requests.append(f"{r.method} {r.url}"))
    pg.on("websocket", lambda ws: sockets.append(ws.url))
    pg.click("#btn-play")
    start = shown_epoch(pg)
    confusion_start = int(pg.get_attribute("#confusion", "data-epoch") or -1)
    pg.wait_for_timeout(PLAY_SECONDS * 1000)
    until(pg, f"Number(document.getElementById('confusion').dataset.epoch) > {confusion_start}")
    played = shown_epoch(pg)
    updated = pg.inner_text('#inspector [data-q="updated"]')
    pg.click("#btn-play")  # pause
    assert played > start + 100, "it trained"
    assert requests == [], f"periodic requests beside the stream: {requests}"
    assert sockets == [], "the stream stayed the one socket"
    assert "…" not in updated  # the new weight was shown all along


def test_after_a_pause_every_panel_is_at_the_counters_epoch_at_once(csp_page):
    pg = csp_page
    open_playground(pg)
    pg.click("#btn-play")
    until(pg, "Number(document.getElementById('epoch').textContent) > 300")
    pg.click("#btn-play")  # pause
    # the moment the page shows the paused frame, nothing more arriving: read every panel
    got = pg.evaluate(
        """() => new Promise((resolve) => {
          const read = () => {
            const app = window.__bpp.app;
            const epoch = Number(document.getElementById('epoch').textContent);
            if (app.running || app.frame?.status !== 'paused' || epoch !== app.frame.epoch) {
              requestAnimationFrame(read);
              return;
            }
            const replay = app.extras.replay.epochs;
            resolve({
              epoch,
              loss: app.loss.lastEpoch,
              confusion: Number(document.getElementById('confusion').dataset.epoch),
              flow: app.extras.flow.flow?.epoch.at(-1),
              replay: replay.at(-1),
              label: document.getElementById('replay-label').textContent,
            });
          };
          read();
        })"""
    )
    epoch = got["epoch"]
    assert got["loss"] == epoch
    assert got["confusion"] == epoch
    assert got["replay"] == epoch and got["label"].endswith(f"–{epoch} kept")
    assert got["flow"] <= epoch
    sid = pg.evaluate("window.__bpp.sessionId")
    assert rest(pg, "GET", f"/api/sessions/{sid}")["epoch"] == epoch


def test_the_inspectors_new_weight_is_the_frames_which_is_post_backprops(csp_page):
    pg = csp_page
    open_playground(pg)
    pg.click("#btn-step")
    until(pg, "Number(document.getElementById('epoch').textContent) === 1")
    backprops: list[str] = []
    pg.on("request", lambda r: backprops.append(r.url) if "/api/backprop" in r.url else None)
    click_diagram(pg, *pg.evaluate("window.__bpp.edgePoint(1, 2, 1)"))
    pg.wait_for_selector('#inspector [data-q="updated"]')
    shown = pg.inner_text('#inspector [data-q="updated"]').replace("−", "-").split("=")[-1]
    frame = pg.evaluate("window.__bpp.frame")
    sid = pg.evaluate("window.__bpp.sessionId")
    config = rest(pg, "GET", f"/api/sessions/{sid}")["config"]
    sizes = [len(frame["weights"][0])] + [len(w[0]) for w in frame["weights"]]
    step = rest(
        pg,
        "POST",
        "/api/backprop",
        {
            "network": {
                "layer_sizes": sizes,
                "activations": config["network"]["activations"],
                "loss": config["network"]["loss"],
                "weights": frame["weights"],
                "biases": frame["biases"],
            },
            "inputs": [frame["probe"]["input"]],
            "targets": [frame["probe"]["target"]],
            "learning_rate": config["training"]["learning_rate"],
        },
    )
    engine = step["updated"]["weights"][1][2][1]
    assert frame["probe"]["updated"]["weights"][1][2][1] == pytest.approx(engine, rel=1e-12)
    assert float(shown.strip()) == pytest.approx(engine, rel=1e-3, abs=5e-5)
    assert backprops == [], "the page asked for what the frame carries"


def test_a_subscriber_that_throws_is_reported_and_the_others_still_run(browser, server):
    """The bus (the platform's EventTarget) calls every subscriber of an event; one that throws
    is reported as the page's error and keeps neither the next subscriber nor the page's own
    panels from getting the frame."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.base = server
    try:
        open_playground(pg)
        pg.evaluate(
            """() => {
              const bus = window.__bpp.app.bus;
              window.__after = 0;
              bus.addEventListener('frame', () => { throw new Error('subscriber broke'); });
              bus.addEventListener('frame', (e) => { window.__after = e.detail.epoch; });
            }"""
        )
        pg.click("#btn-step")
        until(pg, "Number(document.getElementById('epoch').textContent) === 1")
        until(pg, "window.__after === 1")
        wait_for(lambda: any("subscriber broke" in e for e in errors), 5, what="the error reported")
    finally:
        context.close()
