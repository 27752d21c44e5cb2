"""Settings that depend on each other (issue 11, Fix 1-2): switching dataset adapts the
features, output activation and loss; softmax and cross-entropy come as a pair, and a refused
change puts the control back with the error next to it."""

from __future__ import annotations

import pytest

from .conftest import open_playground, rest

pytestmark = pytest.mark.browser


def config(pg) -> dict:
    return rest(pg, "GET", f"/api/sessions/{pg.evaluate('window.__bpp.sessionId')}")["config"]


def note(pg, field: str, text: str) -> str:
    """The note in the slot of `field` once it says `text` (it comes once the session is in)."""
    sel = f'[data-err="{field}"]'
    pg.wait_for_function(
        f"document.querySelector('{sel}').textContent.includes({text!r})", timeout=5000
    )
    return pg.inner_text(sel)


def new_session(pg, old: str) -> str:
    pg.wait_for_function(f"window.__bpp.sessionId && window.__bpp.sessionId !== '{old}'")
    return pg.evaluate("window.__bpp.sessionId")


def test_clicking_sine_after_a_2d_dataset_with_features_switches_to_it(page):
    open_playground(page)
    old = page.evaluate("window.__bpp.sessionId")
    page.click('[data-feature="x1_sq"]')  # a feature set of the 2-D data
    old = new_session(page, old)
    assert config(page)["dataset"]["features"] == ["x1", "x2", "x1_sq"]
    page.click('.dataset-btn[data-dataset="sine"]')
    new_session(page, old)
    cfg = config(page)
    assert cfg["dataset"]["name"] == "sine"
    assert page.inner_text('[data-err="dataset"]').find("2-D") < 0
    assert page.is_visible("#curve-section")
    assert page.get_attribute('.dataset-btn[data-dataset="sine"]', "aria-checked") == "true"
    # and back to a 2-D dataset: the features come back as the default pair
    old = page.evaluate("window.__bpp.sessionId")
    page.click('.dataset-btn[data-dataset="circle"]')
    new_session(page, old)
    assert config(page)["dataset"]["name"] == "circle"
    assert page.is_visible("#features-box")


def test_a_regression_dataset_takes_the_loss_and_output_it_needs_and_says_so(page):
    open_playground(page, "#dataset=circle&activations=tanh,tanh,softmax&loss=cross_entropy")
    cfg = config(page)
    assert cfg["network"]["activations"][-1] == "softmax"
    old = page.evaluate("window.__bpp.sessionId")
    page.click('.dataset-btn[data-dataset="sine"]')
    new_session(page, old)
    cfg = config(page)
    assert cfg["dataset"]["name"] == "sine"
    assert cfg["network"]["loss"] == "sse" and cfg["network"]["activations"][-1] == "tanh"
    assert "loss set to sse" in note(page, "dataset", "loss set to sse")
    assert "info" in page.get_attribute('[data-err="dataset"]', "class")  # a note, not an error


def test_choosing_softmax_switches_the_loss_to_cross_entropy_and_says_so(page):
    open_playground(page)
    old = page.evaluate("window.__bpp.sessionId")
    out = page.locator('#layer-heads select[data-layer="3"]')
    out.select_option("softmax")
    new_session(page, old)
    cfg = config(page)
    assert cfg["network"]["activations"][-1] == "softmax"
    assert cfg["network"]["loss"] == "cross_entropy"
    assert page.input_value("#loss") == "cross_entropy"
    assert "cross_entropy" in note(page, "network", "loss switched to cross_entropy")


def test_choosing_cross_entropy_with_a_tanh_output_switches_the_output(page):
    open_playground(page)
    old = page.evaluate("window.__bpp.sessionId")
    page.select_option("#loss", "cross_entropy")
    new_session(page, old)
    cfg = config(page)
    assert cfg["network"]["loss"] == "cross_entropy"
    assert cfg["network"]["activations"][-1] == "sigmoid"
    assert page.input_value('#layer-heads select[data-layer="3"]') == "sigmoid"
    assert "sigmoid" in note(page, "network.loss", "output activation switched to sigmoid")


def test_a_refused_change_puts_the_control_back_and_shows_why_next_to_it(page):
    open_playground(page, "#dataset=plane")
    sid = page.evaluate("window.__bpp.sessionId")
    # softmax on regression data: the loss follows, but the server refuses the targets
    page.locator('#layer-heads select[data-layer="3"]').select_option("softmax")
    slot = page.locator('[data-err="network"], [data-err="targets"]').first
    page.wait_for_function(
        "[...document.querySelectorAll('[data-err]')].some((e) => e.textContent"
        " && !e.classList.contains('info'))",
        timeout=5000,
    )
    assert page.evaluate("window.__bpp.sessionId") == sid
    assert page.input_value('#layer-heads select[data-layer="3"]') == "tanh"
    assert page.input_value("#loss") == "sse"
    assert slot is not None
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]


def test_a_refused_dataset_or_training_value_goes_back_in_its_control(page):
    open_playground(page)
    n = page.input_value("#n")
    page.fill("#n", "999999")
    page.press("#n", "Tab")
    page.locator('[data-err="dataset"]').wait_for(state="visible")
    assert page.input_value("#n") == n
    # a live training change the server refuses (on the socket)
    page.fill("#momentum", "5")
    page.press("#momentum", "Tab")
    slot = page.locator('[data-err="training.momentum"]')
    slot.wait_for(state="visible")
    assert "0.999" in slot.inner_text()
    assert float(page.input_value("#momentum")) == 0
    sid = page.evaluate("window.__bpp.sessionId")
    assert rest(page, "GET", f"/api/sessions/{sid}")["config"]["training"]["momentum"] == 0
    assert "momentum=0" in page.evaluate("location.hash")
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]
