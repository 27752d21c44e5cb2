"""The diagram without a mouse (issue 22): one Tab stop into it, the arrow keys between units and
weights, Enter opens the inspector, Escape closes it, the focus is visible, and the page's own
shortcuts (space plays, → steps) stay quiet meanwhile; a screen reader gets the network as a
table (layers, the probe sample's values, the last losses) kept in step with the frames.
Firefox walks the same path in test_firefox.py."""

from __future__ import annotations

import pytest

from tests.browser.axe import violations
from tests.browser.conftest import open_playground, shot

pytestmark = pytest.mark.browser

# the control just before the diagram in the Tab order: the last of the layer heads
FOCUS_BEFORE_DIAGRAM = """() => { const c = [...document.querySelectorAll(
    '#layer-heads button, #layer-heads select')].filter((e) => !e.disabled); c.at(-1).focus(); }"""
# what has focus: a unit "u<layer>-<j>", the weight path "w" or "b" with its label, or "out"
FOCUSED = """() => { const a = document.activeElement;
    if (!document.getElementById('diagram').contains(a)) return {where: 'out'};
    const unit = a.classList.contains('unit-focus');
    return {where: unit ? `u${a.dataset.layer}-${a.dataset.unit}` : 'edge',
            label: a.getAttribute('aria-label'), tabindex: a.getAttribute('tabindex'),
            visible: a.matches(':focus-visible'),
            stops: document.querySelectorAll('#diagram [tabindex="0"]').length}; }"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def test_tab_enters_the_diagram_once_and_arrows_walk_units_and_weights(page):
    open_playground(page, "#dataset=gaussian")
    assert page.evaluate("window.__bpp.counts().layers") == [2, 4, 2, 1]
    page.evaluate(FOCUS_BEFORE_DIAGRAM)
    page.keyboard.press("Tab")
    now = focused(page)
    assert now["where"] == "u0-0" and now["visible"] and now["stops"] == 1, now
    assert now["label"].startswith("input x1, 1 of 2: a = "), now

    page.keyboard.press("ArrowDown")
    assert focused(page)["where"] == "u0-1"
    page.keyboard.press("ArrowRight")  # along the edges: unit 2's first outgoing weight, w₂₁
    now = focused(page)
    assert now["where"] == "edge" and now["stops"] == 1, now
    assert now["label"].startswith("weight w₂₁ from input unit 2 to hidden layer 1 unit 1: "), now
    page.evaluate("() => { window.__was = document.activeElement; }")
    page.keyboard.press("ArrowDown")
    assert focused(page)["label"].startswith("weight w₂₂ ")
    # focus moved to another node (not a renamed one), so that a screen reader announces it
    assert page.evaluate("() => document.activeElement !== window.__was")
    page.keyboard.press("ArrowRight")  # the weight's target unit
    now = focused(page)
    assert now["where"] == "u1-1" and now["label"].startswith("hidden layer 1 unit 2 of 4: z = ")
    page.keyboard.press("End")
    assert focused(page)["where"] == "u1-3"
    page.keyboard.press("Home")
    assert focused(page)["where"] == "u1-0"
    page.keyboard.press("ArrowUp")  # the edge of the column: stays
    assert focused(page)["where"] == "u1-0"
    page.keyboard.press(" ")
    page.wait_for_timeout(600)
    # neither space (play) nor → (step) reached the page's shortcuts
    assert page.text_content("#epoch") == "0"
    assert page.evaluate("window.__bpp.selection") == {"kind": "unit", "layer": 1, "j": 0}

    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # the inspector: hidden unit 2, with its δ (Eq. 14)
    assert page.evaluate("window.__bpp.selection") == {"kind": "unit", "layer": 1, "j": 1}
    page.wait_for_function("document.querySelectorAll('#inspector .katex').length >= 2")
    assert "14" in page.text_content("#inspector")
    page.set_viewport_size({"width": 1024, "height": 768})
    shot(page, "diagram-keyboard-unit-1024x768.png")

    page.keyboard.press("Tab")  # one Tab stop: the next Tab leaves the diagram
    assert focused(page)["where"] == "out"
    page.keyboard.press("Shift+Tab")  # … and Shift+Tab comes back to where it was
    assert focused(page)["where"] == "u1-1"

    page.keyboard.press("ArrowLeft")  # the unit's first incoming weight, w₁₂ of W[0]
    assert focused(page)["label"].startswith("weight w₁₂ from input unit 1 to hidden layer 1")
    page.keyboard.press("Enter")
    assert page.evaluate("window.__bpp.selection") == {"kind": "weight", "layer": 0, "i": 0, "j": 1}
    page.set_viewport_size({"width": 1440, "height": 900})
    page.wait_for_timeout(200)
    shot(page, "diagram-keyboard-weight-1440x900.png")
    page.keyboard.press("Escape")
    assert page.evaluate("window.__bpp.selection") is None
    assert page.text_content("#epoch") == "0"


def test_a_click_moves_the_tab_stop_to_the_clicked_unit(page):
    open_playground(page, "#dataset=gaussian")
    box = page.locator("#diagram").bounding_box()
    x, y = page.evaluate("window.__bpp.unitCenter(2, 1)")
    page.mouse.click(box["x"] + x, box["y"] + y)
    assert page.evaluate("window.__bpp.selection") == {"kind": "unit", "layer": 2, "j": 1}
    stop = page.evaluate(
        "() => { const s = document.querySelectorAll('#diagram [tabindex=\"0\"]');"
        " return [s.length, s[0].dataset.layer, s[0].dataset.unit]; }"
    )
    assert stop == [1, "2", "1"]


def test_the_table_view_follows_the_frames_and_has_no_axe_violations(page):
    open_playground(page, "#dataset=gaussian")
    table = page.locator("#diagram-table")
    assert "sr-only" in (table.get_attribute("class") or "")  # read by screen readers, not shown
    assert table.locator("table").count() == 2
    rows = table.locator("table").first.locator("tbody tr")
    assert rows.count() == 4  # input, hidden 1, hidden 2, output
    assert rows.nth(0).locator("th").text_content() == "input"
    acts = page.evaluate("window.__bpp.app.session.config.network.activations")
    assert [rows.nth(k).locator("td").nth(1).text_content() for k in (1, 2, 3)] == acts

    page.check("#show-table")
    assert table.is_visible() and table.bounding_box()["height"] > 60
    for _ in range(3):
        page.click("#btn-step")
    page.wait_for_function("document.getElementById('epoch').textContent === '3'")
    # at most one rewrite a second: the newest row is epoch 3 within that
    page.wait_for_function(
        "document.querySelector('#diagram-table table:last-of-type tbody th')?.textContent === '3'",
        timeout=3000,
    )
    frame = page.evaluate("window.__bpp.frame")
    losses = table.locator("table").nth(1).locator("tbody tr")
    assert losses.count() >= 2
    assert losses.nth(0).locator("td").nth(0).text_content() == page.text_content("#loss-train")
    out = rows.nth(3).locator("td").nth(2).text_content()
    assert out == f"{frame['probe']['layers'][-1]['a'][0]:.3f}"

    # the whole page with the table shown, a unit focused from the keyboard, its inspector open
    page.evaluate(FOCUS_BEFORE_DIAGRAM)
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('#inspector .katex').length >= 2")
    shot(page, "diagram-table-shown.png")
    found = violations(page)
    assert not found, "\n".join(found)
    page.click("#view-backward")
    found = violations(page)
    assert not found, "\n".join(found)
