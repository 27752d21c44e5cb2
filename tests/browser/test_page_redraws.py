"""The page's drawing does what a frame changed and no more (issue 21: up to 60 frames a second):
a frame equal to the one drawn repaints nothing, a weight that moves to another width bucket
redraws the edges, a heatmap whose bytes changed is painted again — and what is painted is the
frame's."""

from __future__ import annotations

import pytest

from .conftest import FRAME_FORMS, open_playground

pytestmark = pytest.mark.browser

REDRAWS = """() => {
  const d = window.__bpp.app.diagram, f = window.__bpp.frame;
  const plain = (k, v) => (v instanceof Uint8Array ? Array.from(v) : v);
  const typed = (k, v) => (k === "bytes" ? Uint8Array.from(v) : v);
  const copy = (x) => JSON.parse(JSON.stringify(x, plain), typed);
  const count = () => ({ ...d.painted });
  const pixels = () => d.maps.flat().filter(Boolean)
    .flatMap((c) => Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data));
  d.invalidate(); d.render(f);
  const start = count();
  d.render(copy(f)); // the same numbers in new objects
  const same = count();
  const g = copy(f);
  g.weights[0][0][0] = -2 * Math.max(...g.weights.flat(2).map(Math.abs)); // the strongest edge
  const unit = g.grid.layers[1][0];
  const bytes = unit.bytes ?? Uint8Array.from(atob(unit.data), (ch) => ch.charCodeAt(0));
  const flipped = bytes.map((b) => 255 - b);
  if (unit.bytes) unit.bytes = flipped; else unit.data = btoa(String.fromCharCode(...flipped));
  d.render(g);
  const changed = count();
  const drawn = pixels();
  d.invalidate(); d.render(g); // the same frame drawn whole: the same pixels
  const whole = pixels();
  d.render(f);
  return { start, same, changed, samePixels: drawn.every((v, i) => v === whole[i]) };
}"""


@pytest.mark.parametrize("frames", FRAME_FORMS)
def test_an_unchanged_frame_repaints_nothing_and_a_changed_one_only_what_changed(page, frames):
    open_playground(page, "", frames)
    r = page.evaluate(REDRAWS)
    assert r["same"] == r["start"], "a frame equal to the one drawn repainted something"
    assert r["changed"]["edges"] == r["start"]["edges"] + 1
    assert r["changed"]["maps"] == r["start"]["maps"] + 1  # the one unit whose bytes changed
    assert r["samePixels"], "the heatmaps drawn by changes differ from the frame drawn whole"
