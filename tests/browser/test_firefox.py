"""The page in Firefox too (issue 4: "works in current Chromium and Firefox"): Debian's Firefox
ESR, driven over WebDriver BiDi, loads the playground without console errors, draws the network,
trains and pauses, and renders an inspector equation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .bidi import FIREFOX, Firefox
from .conftest import ARTIFACTS

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
    time.sleep(0.6)
    epoch = int(ff.evaluate("document.getElementById('epoch').textContent"))
    assert float(ff.evaluate("document.getElementById('loss-train').textContent")) < first_loss
    time.sleep(0.8)
    assert int(ff.evaluate("document.getElementById('epoch').textContent")) == epoch

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
