"""The page on a projector and with deep networks (issue 11, Fix 3): at 1024×768 and 1440×900
the diagram of 2-[4,2]-1, 6×8 and 8×32 has no overlapping glyphs or labels, the layer heads do
not run together, header numbers stay on one line, selects show their whole text, and Eq. 14's
expansion shows every term. Screenshots of each go to test-artifacts/layout-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import open_playground, shot

pytestmark = pytest.mark.browser

PROBE = (Path(__file__).parent / "layout_probe.js").read_text()
SIZES = [(1024, 768), (1440, 900)]
NETWORKS = {
    "default": "",
    "6x8": "#hidden=8,8,8,8,8,8",
    "8x32": "#hidden=32,32,32,32,32,32,32,32",
    "8x32-bias": "#hidden=32,32,32,32,32,32,32,32&bias=1",
    "sine-6x8": "#dataset=sine&hidden=8,8,8,8,8,8",
    "features-6x8": "#features=x1,x2,x1_sq,x2_sq,x1x2,sin_x1,sin_x2&hidden=8,8,8,8,8,8",
}


# what fmt() writes at its widest (util.js): 4 significant digits in exponent form
WIDEST = """(() => {
  const t = {epoch: '1234567', eps: '12345', 'loss-train': '9.274e-6', 'loss-test': '1.234e+5',
             acc: '100.0%'};
  for (const [id, v] of Object.entries(t)) document.getElementById(id).textContent = v;
})()"""


@pytest.fixture(params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def sized(request, browser, server):
    w, h = request.param
    context = browser.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
    pg = context.new_page()
    errors = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.base = server
    pg.size = f"{w}x{h}"
    yield pg
    context.close()
    assert not errors, f"console errors: {errors}"


@pytest.mark.parametrize("net", list(NETWORKS))
def test_the_page_has_no_overlap_at_projector_and_laptop_sizes(sized, net):
    open_playground(sized, NETWORKS[net])
    sized.click("#btn-step")
    sized.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    sized.wait_for_timeout(300)
    sized.evaluate("window.__bpp.app.pause()")
    problems = sized.evaluate(PROBE)
    shot(sized, f"layout-{net}-{sized.size}.png")
    assert problems == [], "\n".join(problems[:40])
    # the widest numbers the header shows: they stay whole, on one line
    sized.evaluate(WIDEST)
    problems = sized.evaluate(PROBE)
    if net == "default":
        shot(sized, f"layout-header-{sized.size}.png")
    assert problems == [], "\n".join(problems[:40])


def test_the_probe_finds_overlaps_when_there_are_some(sized):
    """The measurement itself: two units moved onto each other are reported."""
    open_playground(sized)
    sized.evaluate(
        """(() => { const b = document.querySelector('rect[data-owner="u1-0"]');
           const c = document.querySelector('rect[data-owner="u1-1"]');
           c.setAttribute('y', b.getAttribute('y')); })()"""
    )
    assert any("overlap" in p for p in sized.evaluate(PROBE))


def test_eq14_shows_every_term_of_a_wide_layer(sized):
    open_playground(sized, "#hidden=8,32")
    sized.click("#btn-step")
    sized.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    x, y = sized.evaluate("window.__bpp.unitCenter(1, 0)")
    box = sized.locator("#diagram").bounding_box()
    sized.mouse.click(box["x"] + x, box["y"] + y)
    eq = sized.locator("#inspector [data-terms]")
    assert eq.get_attribute("data-terms") == "32"
    # the filled-in sum wraps inside the panel instead of being cut or scrolled away
    assert sized.evaluate(
        "(() => { const e = document.querySelector('#inspector [data-terms]');"
        " return e.scrollWidth <= e.clientWidth + 1; })()"
    )
    sized.evaluate("document.querySelector('#inspector [data-terms]').scrollIntoView()")
    shot(sized, f"layout-eq14-{sized.size}.png")


def test_a_frame_of_the_largest_network_renders_in_8_ms_at_projector_width(sized):
    open_playground(sized)
    r = sized.evaluate("window.__bpp.benchRender(40)")
    assert r["units"] == 2 + 8 * 32 + 1
    assert r["median_ms"] <= 8, r
