"""A crafted link cannot break the page (issue 10 item 8): a value that is not valid percent-
encoding, a prototype key, a session id that walks to another path — the page ignores them,
starts its own session and reports no error."""

from __future__ import annotations

import pytest

from tests.browser.conftest import open_playground

pytestmark = pytest.mark.browser

CRAFTED = [
    "#dataset=%E0%A4%A",
    "#__proto__=1",
    "#constructor=1&hasOwnProperty=1&n=%",
    "#join=..%2F..%2Fapi%2Fcatalog",
    "#join=%2e%2e/%2e%2e/healthz&dataset=xor",
]


@pytest.mark.parametrize("link", CRAFTED)
def test_a_crafted_link_starts_the_page_normally(page, link):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    open_playground(page, link)
    assert page.evaluate("window.__bpp.sessionId")
    assert page.evaluate("Object.prototype.dataset === undefined && ({}).n === undefined")
    session_urls = [u for u in requests if "/api/sessions/" in u]
    assert not [u for u in session_urls if "/../" in u or "catalog" in u or "healthz" in u]
    # and the same hashes after load, through hashchange
    for other in CRAFTED:
        page.evaluate("(h) => { location.hash = h; }", other)
    page.wait_for_timeout(300)
    assert page.evaluate("window.__bpp.sessionId")
