"""A teacher signs in, in Chromium, through a certified OpenID Connect provider that no one here
wrote: panva/node-oidc-provider 9 (pinned in tests/support/oidc_node/package.json, installed
with npm on first use) under the machine's Node.js, on loopback, with its own development login
and consent pages. It requires PKCE, checks the client secret, and puts only ``sub`` in the
id_token, so the playground must read userinfo for the e-mail and name."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.test_classroom_page import person
from tests.support.server import free_port, start_server
from tests.support.services import service_missing

pytestmark = pytest.mark.browser
PROVIDER_DIR = Path(__file__).resolve().parents[1] / "support" / "oidc_node"
CLIENT_ID, CLIENT_SECRET = "playground", "a-secret-of-the-playground-client"


def _installed() -> bool:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        return True
    if shutil.which("npm") is None:
        return False
    done = subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund"],
        cwd=PROVIDER_DIR, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    return done.returncode == 0


@pytest.fixture(scope="module")
def node_site(tmp_path_factory):
    if shutil.which("node") is None or not _installed():
        service_missing("Node.js with npm (for node-oidc-provider)")
    base = tmp_path_factory.mktemp("sso-node")
    app_port, idp_port = free_port(), free_port()
    redirect = f"http://127.0.0.1:{app_port}/login/sso/callback"
    log = (base / "provider.log").open("wb")
    idp = subprocess.Popen(
        ["node", "provider.mjs", str(idp_port), CLIENT_ID, CLIENT_SECRET, redirect],
        cwd=PROVIDER_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    issuer = f"http://127.0.0.1:{idp_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(issuer + "/.well-known/openid-configuration").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert idp.poll() is None and time.monotonic() < deadline, (
                base / "provider.log"
            ).read_text()
            time.sleep(0.2)
        env = {
            "BPP_DATA_DIR": str(base / "data"),
            "BPP_OIDC_DISCOVERY_URL": issuer + "/.well-known/openid-configuration",
            "BPP_OIDC_CLIENT_ID": CLIENT_ID,
            "BPP_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "BPP_OIDC_ALLOWED_DOMAINS": "uni.example",
        }
        if "BPP_TRAINERS" in os.environ:
            env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
        with start_server(env=env, port=app_port, log_dir=base, startup_timeout=30) as server:
            yield server
    finally:
        idp.terminate()
        idp.wait(timeout=15)
        log.close()


def test_a_teacher_signs_in_through_node_oidc_provider(node_site, browser):
    server = node_site
    ctx, page = person(browser)
    ours: list[str] = []  # errors of this server's pages (the provider's pages fetch web fonts)
    page.on(
        "console",
        lambda m: (
            ours.append(m.text)
            if m.type == "error" and m.location.get("url", "").startswith(server.url)
            else None
        ),
    )
    try:
        page.goto(server.url + "/login")
        page.click("#login-sso")
        page.wait_for_selector("input[name=login]", timeout=30000)  # the provider's login page
        page.fill("input[name=login]", "grace")
        page.fill("input[name=password]", "anything")
        page.click("button[type=submit]")
        if not page.url.startswith(server.url):  # its consent page
            page.wait_for_selector("button[type=submit]", timeout=30000)
            page.click("button[type=submit]")
        page.wait_for_url(server.url + "/teach", timeout=30000)
        me = page.evaluate("() => fetch('/api/auth/me').then(r => r.json())")
        assert me["teacher"]["name"] == "Teacher grace"  # from userinfo
        assert not ours, ours
    finally:
        ctx.close()
