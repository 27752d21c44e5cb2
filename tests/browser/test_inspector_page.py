"""The inspector (issue 11, Fix 5): a unit shows its forward equations with numbers beside its
δ; Eq. 7 ends in the new weight the engine computes; weights are named the same way as in the
API; an empty weight box sets nothing; one edit sends one request."""

from __future__ import annotations

import time

import pytest

from .conftest import open_playground, rest

pytestmark = pytest.mark.browser


def click_diagram(pg, x: float, y: float) -> None:
    box = pg.locator("#diagram").bounding_box()
    pg.mouse.click(box["x"] + x, box["y"] + y)


def stepped(pg) -> None:
    open_playground(pg)
    pg.click("#btn-step")
    pg.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")


def test_a_unit_shows_its_forward_equations_with_the_engines_numbers(page):
    stepped(page)
    click_diagram(page, *page.evaluate("window.__bpp.unitCenter(2, 1)"))
    text = page.inner_text("#inspector")
    assert "forward" in text.lower() and "backward" in text.lower()
    # z = b + Σ a·w with one term per unit of layer 1 (4), then a = g(z)
    assert page.get_attribute("#inspector [data-forward-terms]", "data-terms") is None
    assert page.get_attribute("#inspector [data-forward-terms]", "data-forward-terms") == "4"
    sid = page.evaluate("window.__bpp.sessionId")
    probe = rest(page, "GET", f"/api/sessions/{sid}")["frame"]["probe"]
    z = probe["layers"][1]["z"][1]
    assert float(page.inner_text('#inspector [data-q="z"]')) == pytest.approx(z, rel=1e-3, abs=5e-5)
    forward = page.inner_text("#inspector [data-forward-terms]")
    if 1e-3 <= abs(z) < 1e5:  # written as fixed-point (util.js fmt)
        assert f"{z:.4f}" in forward.replace("−", "-")
    assert page.locator('#inspector a.eq-ref[href="/derivation#step-2"]').count() == 1
    assert page.locator('#inspector a.eq-ref[href="/derivation#eq-14"]').count() == 1


def test_eq7_ends_in_the_new_weight_the_engine_computes(page):
    stepped(page)
    click_diagram(page, *page.evaluate("window.__bpp.edgePoint(1, 2, 1)"))
    page.wait_for_function(
        "!document.querySelector('#inspector [data-q=\"updated\"]').textContent.includes('…')"
    )
    sid = page.evaluate("window.__bpp.sessionId")
    state = rest(page, "GET", f"/api/sessions/{sid}")
    f, cfg = state["frame"], state["config"]
    step = rest(
        page,
        "POST",
        "/api/backprop",
        {
            "network": {
                "layer_sizes": [2, 4, 2, 1],
                "activations": cfg["network"]["activations"],
                "loss": cfg["network"]["loss"],
                "weights": f["weights"],
                "biases": f["biases"],
            },
            "inputs": [f["probe"]["input"]],
            "targets": [f["probe"]["target"]],
            "learning_rate": cfg["training"]["learning_rate"],
        },
    )
    new = step["updated"]["weights"][1][2][1]
    shown = page.inner_text('#inspector [data-q="updated"]').replace("−", "-").split("=")[-1]
    assert float(shown.strip()) == pytest.approx(new, rel=1e-3, abs=5e-5)
    # named as the API names it, W[l][i][j], and 1-based units as on the diagram
    head = page.inner_text("#inspector .insp-head b")
    assert "W[1][2][1]" in head and "layer 1 unit 3 → layer 2 unit 2" in head


def test_an_empty_weight_box_sets_nothing_and_one_edit_sends_one_request(page):
    stepped(page)
    click_diagram(page, *page.evaluate("window.__bpp.edgePoint(0, 0, 1)"))
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith("/weights") else None)
    sid = page.evaluate("window.__bpp.sessionId")
    before = rest(page, "GET", f"/api/sessions/{sid}")["frame"]["weights"][0][0][1]
    page.fill("#edit-param", "")
    page.press("#edit-param", "Enter")
    time.sleep(0.5)
    assert sent == []
    assert "enter a number" in page.inner_text("#inspector .err")
    assert rest(page, "GET", f"/api/sessions/{sid}")["frame"]["weights"][0][0][1] == before
    page.fill("#edit-param", "0.375")
    page.press("#edit-param", "Enter")
    page.click("#inspector .insp-head b")  # leaving the box must not send it again
    deadline = time.monotonic() + 5
    while rest(page, "GET", f"/api/sessions/{sid}")["frame"]["weights"][0][0][1] != 0.375:
        assert time.monotonic() < deadline, "the edit did not reach the server"
        time.sleep(0.1)
    time.sleep(0.5)
    assert len(sent) == 1, sent
