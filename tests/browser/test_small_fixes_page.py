"""Small fixes of issue 11 (Fix 6): the R key resets; no accuracy box for regression; the
epochs/s box follows the epoch counter and clears on pause; a joiner of a shared link is told
whose session it drives; "Copied" is not styled as an error; without the clipboard API the
link is shown in a dialog to copy by hand."""

from __future__ import annotations

import time

import pytest

from .conftest import open_playground

pytestmark = pytest.mark.browser


def epoch(pg) -> int:
    return int(pg.inner_text("#epoch"))


def test_the_r_key_resets_the_weights_and_the_epoch(page):
    open_playground(page)
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 3")
    page.keyboard.press("r")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 0")
    assert "(R)" in page.get_attribute("#btn-reset", "title")


def test_regression_data_has_no_accuracy_box(page):
    open_playground(page)
    assert page.is_visible("#acc-box")
    page.goto("about:blank")
    open_playground(page, "#dataset=plane")
    assert page.is_hidden("#acc-box")


@pytest.mark.parametrize("speed", ["5", "0"])
def test_epochs_per_second_follows_the_counter_and_clears_on_pause(page, speed):
    open_playground(page, "#dataset=gaussian")
    page.select_option("#speed", speed)
    page.keyboard.press("Space")
    time.sleep(1.5)
    e0, t0 = epoch(page), time.monotonic()
    time.sleep(2.0)
    e1, t1 = epoch(page), time.monotonic()
    shown = float(page.inner_text("#eps"))
    counted = (e1 - e0) / (t1 - t0)
    assert counted > 0
    assert 0.6 * counted <= shown <= 1.6 * counted, (shown, counted)
    if speed == "5":
        assert 3 <= shown <= 6
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('eps').textContent === '–'", timeout=3000)
    time.sleep(0.6)
    assert page.inner_text("#eps") == "–"


def test_a_joiner_is_told_whose_session_it_drives(page, browser, server):
    open_playground(page)
    sid = page.evaluate("window.__bpp.sessionId")
    assert page.locator("#joined-badge:visible").count() == 0
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        other = context.new_page()
        other.base = server
        open_playground(other, f"#join={sid}")
        assert other.is_visible("#joined-badge")
        assert "someone else" in other.inner_text("#joined-badge")
        toast = other.locator("#toast")
        assert "someone else's live session" in toast.inner_text()
        assert "info" in toast.get_attribute("class")
        # a change of network makes it its own session: the badge goes
        other.click('[data-units="+1"]')
        other.wait_for_function(f"window.__bpp.sessionId !== '{sid}'")
        assert other.locator("#joined-badge:visible").count() == 0
    finally:
        context.close()


def test_copied_is_a_neutral_message(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    try:
        pg = context.new_page()
        pg.base = server
        open_playground(pg)
        pg.click("#btn-share")
        toast = pg.locator("#toast")
        toast.wait_for(state="visible")
        assert toast.inner_text().startswith("Copied")
        assert "info" in toast.get_attribute("class")
        color = pg.evaluate("getComputedStyle(document.getElementById('toast')).backgroundColor")
        assert color != "rgb(197, 48, 48)"  # the error red
        assert pg.evaluate("navigator.clipboard.readText()").endswith(
            f"#join={pg.evaluate('window.__bpp.sessionId')}"
        )
    finally:
        context.close()


def test_without_the_clipboard_api_the_link_is_shown_to_copy_by_hand(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, bypass_csp=True)
    # plain http on a LAN is no secure context: no navigator.clipboard there
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})"
    )
    try:
        pg = context.new_page()
        pg.base = server
        open_playground(pg)
        pg.click("#btn-share")
        dialog = pg.locator("#link-dialog")
        dialog.wait_for(state="visible")
        sid = pg.evaluate("window.__bpp.sessionId")
        assert pg.input_value("#link-dialog-url").endswith(f"#join={sid}")
        assert pg.evaluate("document.getSelection().toString() || document.activeElement.id") in (
            pg.input_value("#link-dialog-url"),
            "link-dialog-url",
        )
        pg.click("#link-dialog-close")
        dialog.wait_for(state="hidden")
    finally:
        context.close()


def test_the_chosen_speed_is_remembered_in_the_url(page):
    open_playground(page)
    page.select_option("#speed", "5")
    assert "speed=5" in page.evaluate("location.hash")
    page.reload()
    page.wait_for_function("window.__bpp && window.__bpp.ready", timeout=20000)
    assert page.input_value("#speed") == "5"
