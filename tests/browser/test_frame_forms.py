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


DECODE = """async ([full, kept, bad]) => {
  const { decodeFrame } = await import('/static/js/frame-binary.js');
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  const previous = await decodeFrame(bytes(full));
  const next = await decodeFrame(bytes(kept), previous);
  let refused = null;
  try { await decodeFrame(bytes(bad)); } catch (e) { refused = `${e.name}: ${e.message}`; }
  return { same: next.grid === previous.grid && next.node_stats === previous.node_stats,
           epoch: next.epoch, refused };
}"""


def test_the_pages_reader_keeps_the_last_grid_and_refuses_an_unknown_version(page):
    import base64

    from app.trainer import frame_binary
    from tests.test_frames_binary import session

    open_playground(page)
    r = session(epochs=2)
    full = r.binary_frame()
    member = r.frame_member()
    member.keep = True
    kept = frame_binary.encode_stack([member], r.built.dataset, None, None)[0]
    bad = full[:3] + b"\x09" + full[4:]
    args = [base64.b64encode(b).decode() for b in (full, kept, bad)]
    got = page.evaluate(DECODE, args)
    assert got["same"] and got["epoch"] == 2
    assert "version 9 is not one this page reads" in got["refused"]
