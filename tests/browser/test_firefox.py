"""The page in Firefox too (issue 4: "works in current Chromium and Firefox"): Debian's Firefox
ESR, driven over WebDriver BiDi, loads the playground without console errors, draws the network,
trains and pauses, and renders an inspector equation; the diagram works from the keyboard."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .bidi import FIREFOX, Firefox
from .conftest import ARTIFACTS
from .test_diagram_keyboard import FOCUS_BEFORE_DIAGRAM, FOCUSED

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def firefox():
    if not Path(FIREFOX).exists():
        pytest.skip("Debian firefox-esr is not installed (apt-get install firefox-esr)")
    ff = Firefox()
    yield ff
    ff.close()


def test_firefox_draws_trains_and_inspects_without_console_errors(firefox, server):
    ff = firefox
    ff.goto(server + "/#dataset=gaussian&lr=0.1")
    ff.wait_for("window.__bpp && window.__bpp.ready")
    ff.wait_for("document.getElementById('conn').textContent === 'live'")
    counts = ff.evaluate("window.__bpp.counts()")
    assert counts["layers"] == [2, 4, 2, 1]
    assert (counts["units"], counts["edges"]) == (9, 2 * 4 + 4 * 2 + 2 * 1)
    first_loss = float(ff.evaluate("document.getElementById('loss-train').textContent"))

    ff.evaluate("document.getElementById('btn-play').click()")
    ff.wait_for("Number(document.getElementById('epoch').textContent) > 20", timeout=30)
    ff.evaluate("document.getElementById('btn-play').click()")
    # paused: the server says so, and the page shows the epoch it stopped at (waited for, not
    # slept for: on a loaded machine the pause and the last frames may take a while)
    session = "fetch('/api/sessions/' + window.__bpp.sessionId).then((r) => r.json())"
    ff.wait_for(f"{session}.then((s) => s.status === 'paused')", timeout=30)
    epoch = ff.evaluate(f"{session}.then((s) => s.epoch)")
    ff.wait_for(f"Number(document.getElementById('epoch').textContent) === {epoch}", timeout=30)
    assert float(ff.evaluate("document.getElementById('loss-train').textContent")) < first_loss
    time.sleep(0.8)
    assert int(ff.evaluate("document.getElementById('epoch').textContent")) == epoch
    assert ff.evaluate(f"{session}.then((s) => s.epoch)") == epoch

    # Click a hidden unit: the inspector shows Eq. 14 rendered by KaTeX with the server's δ.
    ff.evaluate(
        """(() => { const [x, y] = window.__bpp.unitCenter(1, 0);
            const box = document.getElementById('diagram').getBoundingClientRect();
            const el = document.elementFromPoint(box.left + x, box.top + y);
            el.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: box.left + x,
                                                      clientY: box.top + y}));
            return true; })()"""
    )
    ff.wait_for("document.querySelectorAll('#inspector .katex').length >= 2")
    assert "14" in ff.evaluate("document.getElementById('inspector').textContent")
    ARTIFACTS.mkdir(exist_ok=True)
    ff.evaluate("document.fonts.ready.then(() => new Promise(r => setTimeout(() => r(true), 300)))")
    ff.screenshot(ARTIFACTS / "firefox-playground.png")
    assert ff.errors() == []


def test_firefox_walks_the_diagram_from_the_keyboard(firefox, server):
    """Real key presses (WebDriver BiDi input.performActions): Tab into the diagram's one stop,
    arrows along units and weights, Enter inspects, Tab leaves, Shift+Tab comes back."""
    ff = firefox
    ff.goto("about:blank")  # a new document, not a hash change of the last test's page
    ff.goto(server + "/#dataset=gaussian")
    ff.wait_for("window.__bpp && window.__bpp.ready")
    ff.wait_for("document.getElementById('conn').textContent === 'live'")
    ff.evaluate(f"({FOCUS_BEFORE_DIAGRAM})()")
    ff.press("Tab")
    now = ff.evaluate(f"({FOCUSED})()")
    assert now["where"] == "u0-0" and now["visible"] and now["stops"] == 1, now
    ff.press("ArrowDown", "ArrowRight")
    now = ff.evaluate(f"({FOCUSED})()")
    assert now["where"] == "edge" and now["label"].startswith("weight w₂₁ from input unit 2"), now
    ff.press("ArrowRight", "Enter")  # the weight's target: hidden unit 1
    assert ff.evaluate(f"({FOCUSED})()")["where"] == "u1-0"
    assert ff.evaluate("window.__bpp.selection") == {"kind": "unit", "layer": 1, "j": 0}
    ff.wait_for("document.querySelectorAll('#inspector .katex').length >= 2")
    assert "14" in ff.evaluate("document.getElementById('inspector').textContent")
    ARTIFACTS.mkdir(exist_ok=True)
    ff.screenshot(ARTIFACTS / "firefox-diagram-keyboard.png")
    ff.press("Tab")
    assert ff.evaluate(f"({FOCUSED})()")["where"] == "out"
    ff.press("Shift+Tab")
    assert ff.evaluate(f"({FOCUSED})()")["where"] == "u1-0"
    ff.press("Escape")
    assert ff.evaluate("window.__bpp.selection") is None
    # → and space went to the diagram, not to the page's shortcuts (step, play)
    assert ff.evaluate("document.getElementById('epoch').textContent") == "0"
    assert ff.errors() == []
