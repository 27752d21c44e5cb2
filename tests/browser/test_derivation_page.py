"""The derivation as a page of the app (issue 11, Fix 4): /derivation typesets Eq. 1–18 with
KaTeX under the site's CSP, one anchor per equation; the playground's legend explains the
colours, widths and glyph; every "Eq. N" on the playground links to an anchor that exists; the
page is built from docs/derivation.md and is current."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT, open_playground, shot

pytestmark = pytest.mark.browser


def test_the_derivation_page_is_built_from_docs_and_current():
    r = subprocess.run(
        [sys.executable, "scripts/derivation_page.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert r.returncode == 0, r.stdout.decode()
    readme = (ROOT / "README.md").read_text()
    assert "docs/derivation.md" in readme and "/derivation" in readme
    assert "shared/reference" not in readme


def test_the_derivation_page_typesets_every_equation_under_the_csp(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # CSP enforced
    try:
        pg = context.new_page()
        errors = []
        pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(server + "/derivation#eq-14")
        pg.wait_for_selector("body[data-typeset='1']")
        for n in range(1, 19):
            block = pg.locator(f"#eq-{n}")
            assert block.count() == 1, f"no anchor for Eq. {n}"
            assert block.locator(".katex-display").count() == 1, f"Eq. {n} not typeset"
            assert f"({n})" in block.locator(".katex-display").inner_text()
        for s in range(1, 7):
            assert pg.locator(f"#step-{s} .katex").count() >= 1 or s in (1, 6)
        assert pg.locator(".katex-error").count() == 0
        # the linked equation is where the browser shows it
        top = pg.evaluate("document.getElementById('eq-14').getBoundingClientRect().top")
        assert 0 <= top < 768 / 2
        shot(pg, "derivation-eq14-1024x768.png")
        assert errors == []
    finally:
        context.close()


def test_every_eq_link_on_the_playground_points_at_an_equation_of_the_page(page):
    open_playground(page)
    legend = page.inner_text("#legend")
    assert "positive" in legend and "negative" in legend and "width" in legend
    assert "Σ" in legend and "Eq. N" in legend
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    box = page.locator("#diagram").bounding_box()
    hrefs = set()
    for target in (
        "window.__bpp.unitCenter(1, 0)",
        "window.__bpp.unitCenter(3, 0)",
        "window.__bpp.edgePoint(0, 0, 0)",
    ):
        x, y = page.evaluate(target)
        page.mouse.click(box["x"] + x, box["y"] + y)
        hrefs |= set(page.eval_on_selector_all("#inspector a.eq-ref", "as => as.map(a => a.href)"))
    page.click("#btn-step-sample")
    page.wait_for_selector("#deriv-stage")
    while True:
        hrefs |= set(page.eval_on_selector_all("#derivation a.eq-ref", "as => as.map(a => a.href)"))
        if page.is_disabled("#deriv-next"):
            break
        page.click("#deriv-next")
    anchors = {re.sub(r".*#", "", h) for h in hrefs}
    assert {"eq-5", "eq-14", "eq-6", "eq-7", "eq-1", "step-2", "step-4"} <= anchors
    html = page.request.get(page.base + "/derivation").text()
    for a in anchors:
        assert f'id="{a}"' in html, f"the page has no #{a}"
