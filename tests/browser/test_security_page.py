"""The page works under its own Content-Security-Policy (no inline script, no eval): loaded,
played and paused in Chromium with the policy enforced, without one violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_page_runs_under_its_content_security_policy(browser, server):
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # policy enforced
    pg = context.new_page()
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: messages.append(str(e)))
    answer = pg.goto(server + "/")
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    expect(pg.locator("#loss-train")).not_to_have_text(re.compile(r"^\s*$"), timeout=20000)
    pg.locator("#btn-play").click()
    expect(pg.locator("#epoch")).not_to_have_text(re.compile(r"^0?$"), timeout=20000)
    pg.locator("#btn-play").click()
    context.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert not messages, messages
