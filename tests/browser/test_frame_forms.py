"""The page reads both frame forms (docs/contract.md, "Binary frames"): the frame it draws from
a binary frame is the JSON form's frame of the same session, number for number."""

from __future__ import annotations

import pytest

from tests.test_frames_binary import assert_same_frame

from .conftest import FRAME_FORMS, open_playground, rest

pytestmark = pytest.mark.browser

# the page's current frame, grid bytes as base64 (as the JSON form carries them)
PAGE_FRAME = """(() => {
  const f = structuredClone(window.__bpp.app.frame);
  let binary = false;
  for (const layer of f.grid.layers) for (const u of layer) {
    if (u.bytes) { binary = true; u.data = btoa(String.fromCharCode(...u.bytes)); delete u.bytes; }
  }
  return { frame: f, binary };
})()"""


@pytest.mark.parametrize("frames", FRAME_FORMS)
def test_the_page_draws_the_json_frames_numbers_from_either_form(page, frames):
    open_playground(page, frames=frames)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    page.wait_for_function("window.__bpp.app.frame && window.__bpp.app.frame.epoch === 1")
    shown = page.evaluate(PAGE_FRAME)
    assert shown["binary"] == (frames == "binary")
    state = rest(page, "GET", f"/api/sessions/{page.evaluate('window.__bpp.sessionId')}")
    assert_same_frame(shown["frame"], state["frame"])
