"""A teacher signs in through the institution's OpenID Connect provider in Chromium: the login
page's "Sign in with …", the provider (tests/support/oidc_provider.py, over real HTTP), back to
the teacher's home — the Content-Security-Policy enforced, no password typed."""

from __future__ import annotations

import os

import pytest

from tests.browser.test_classroom_page import person
from tests.support.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeOidcProvider
from tests.support.server import start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("sso-browser")
    with FakeOidcProvider() as idp:
        env = {
            "BPP_DATA_DIR": str(base / "data"),
            "BPP_OIDC_DISCOVERY_URL": idp.discovery_url,
            "BPP_OIDC_CLIENT_ID": CLIENT_ID,
            "BPP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "BPP_OIDC_ALLOWED_DOMAINS": "uni.example",
            "BPP_OIDC_LABEL": "Uni Example",
        }
        if "BPP_TRAINERS" in os.environ:
            env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
        with start_server(env=env, log_dir=base, startup_timeout=30) as proc:
            yield proc, idp


def test_a_teacher_signs_in_with_the_institutions_account(sso_site, browser):
    server, idp = sso_site
    ctx, page = person(browser)
    try:
        page.goto(server.url + "/login")
        assert page.inner_text("#login-sso") == "Sign in with Uni Example"
        page.click("#login-sso")
        page.wait_for_url(server.url + "/teach", timeout=30000)
        me = page.evaluate("() => fetch('/api/auth/me').then(r => r.json())")
        assert me["teacher"]["name"] == "Ada Lovelace"
        assert not page.errors, page.errors
    finally:
        ctx.close()
