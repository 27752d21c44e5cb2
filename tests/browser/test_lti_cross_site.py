"""The LTI launch as it happens in a real course: the LMS and the tool on different *sites*
(https://127.0.0.2 and https://127.0.0.3, certificates from a test CA made by trustme), the
tool framed by the LMS's course page in Chromium. Here the browser's third-party rules apply:
the tool's cookies inside the frame are cross-site, so only ``SameSite=None; Secure``
(partitioned) cookies make it — a Lax cookie would be dropped on the platform's cross-site
POST and the learner would never reach their seat."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.browser.test_lti_page import tool_frame, until
from tests.support.lti_platform import FakePlatform, instructor, learner
from tests.support.server import ROOT

pytestmark = pytest.mark.browser
LMS_HOST, TOOL_HOST = "127.0.0.2", "127.0.0.3"


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    trustme = pytest.importorskip("trustme")
    base = tmp_path_factory.mktemp("lti-https")
    ca = trustme.CA()
    ca_file = base / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    tool_cert = ca.issue_cert(TOOL_HOST)
    key_file, cert_file = base / "tool-key.pem", base / "tool-cert.pem"
    tool_cert.private_key_pem.write_to_path(str(key_file))
    tool_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    lms_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(LMS_HOST).configure_cert(lms_tls)
    data = base / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
    env.update(BPP_DATA_DIR=str(data), SSL_CERT_FILE=str(ca_file), PYTHONUNBUFFERED="1")
    if "BPP_TRAINERS" in os.environ:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    trusting = ssl.create_default_context(cafile=str(ca_file))
    with FakePlatform(LMS_HOST, tls=lms_tls, verify=trusting) as lms:
        made = subprocess.run(
            [sys.executable, "-m", "app", *lms.cli_args()],
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        port = free_port(TOOL_HOST)
        log = (base / "tool.log").open("wb")
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "app.web.main:create_app", "--factory",
                "--host", TOOL_HOST, "--port", str(port),
                "--ssl-keyfile", str(key_file), "--ssl-certfile", str(cert_file),
            ],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        tool = f"https://{TOOL_HOST}:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(tool + "/healthz", verify=trusting).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, Path(
                    base / "tool.log"
                ).read_text()[-2000:]
                time.sleep(0.1)
            lms.tool_url = tool
            lms.users.update(ann=learner("ann-sub", "Ann Lee"), grace=instructor("g-sub", "Grace"))
            yield lms
        finally:
            proc.terminate()
            proc.wait(timeout=15)
            log.close()


def test_across_sites_over_https_the_learner_reaches_their_seat_inside_the_frame(sites, browser):
    lms = sites
    contexts = []

    def person():
        ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1300, "height": 900})
        contexts.append(ctx)
        page = ctx.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        return ctx, page

    try:
        tctx, teacher = person()
        teacher.goto(lms.url + "/course?who=grace")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/#]+$"))
        assert dash.url.startswith(lms.tool_url)
        room = dash.url.rsplit("/", 1)[1]
        sctx, student = person()
        student.goto(lms.url + "/course?who=ann")
        seat = tool_frame(student, re.compile(rf"/classrooms/{room}/seat(#.*)?$"))
        until(seat, "window.__bpp && window.__bpp.ready")
        until(seat, "document.getElementById('conn').textContent === 'live'")
        me = seat.evaluate(f"() => fetch('/api/classrooms/{room}/me').then(r => r.json())")
        assert me["seat"]["name"] == "Ann Lee"
        cookies = {c["name"]: c for c in sctx.cookies(lms.tool_url)}
        seat_cookie = cookies[f"bpp_seat_{room}"]
        assert seat_cookie["sameSite"] == "None" and seat_cookie["secure"]
        # the browser does treat the frame as third-party: its unpartitioned storage is denied
        denied = "() => { try { sessionStorage.length; return false } catch { return true } }"
        assert seat.evaluate(denied)
        assert not teacher.errors and not student.errors, teacher.errors + student.errors
    finally:
        for ctx in contexts:
            ctx.close()
