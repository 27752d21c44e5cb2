"""Two *sites* for LTI tests: the LMS on https://127.0.0.2 and the tool on https://127.0.0.3,
their certificates issued by a test CA (trustme). Different sites, so Chromium applies its
third-party rules to the framed tool (cookies, storage) as it does in a real course.

    certs = Certificates(tmp_dir)                  # the CA, both sites' certificates
    with https_tool(tmp_dir, certs, cli_args) as tool_url:  # the tool, the platform registered
        ...
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.server import ROOT

LMS_HOST, TOOL_HOST = "127.0.0.2", "127.0.0.3"
TOOL_START_SECONDS = 30


def free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Certificates:
    """A test CA and the certificates of both sites, written under ``base``."""

    def __init__(self, base: Path) -> None:
        import trustme

        ca = trustme.CA()
        self.ca_file = base / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self.files: dict[str, tuple[Path, Path]] = {}
        for name, host in (("tool", TOOL_HOST), ("lms", LMS_HOST)):
            cert = ca.issue_cert(host)
            key_file, cert_file = base / f"{name}-key.pem", base / f"{name}-cert.pem"
            cert.private_key_pem.write_to_path(str(key_file))
            cert.cert_chain_pems[0].write_to_path(str(cert_file))
            self.files[name] = (key_file, cert_file)
        #: server context of the LMS (for an ``http.server`` wrapped socket)
        self.lms_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.lms_tls.load_cert_chain(str(self.files["lms"][1]), str(self.files["lms"][0]))
        #: client context trusting the test CA
        self.trusting = ssl.create_default_context(cafile=str(self.ca_file))


@contextmanager
def https_tool(base: Path, certs: Certificates, register: list[str]) -> Iterator[str]:
    """The tool (a uvicorn subprocess) on https://127.0.0.3, trusting the test CA, after
    ``python -m app <register…>`` registered the platform. Yields its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
    env.update(BPP_DATA_DIR=str(base / "data"), SSL_CERT_FILE=str(certs.ca_file))
    env["PYTHONUNBUFFERED"] = "1"
    if "BPP_TRAINERS" in os.environ:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    made = subprocess.run(
        [sys.executable, "-m", "app", *register],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    port = free_port(TOOL_HOST)
    key_file, cert_file = certs.files["tool"]
    log_path = base / "tool.log"
    log = log_path.open("wb")
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
        deadline = time.monotonic() + TOOL_START_SECONDS
        while True:
            try:
                if httpx.get(tool + "/healthz", verify=certs.trusting).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.1)
        yield tool
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def person(browser, contexts: list) -> tuple:
    """A browser context of one person on the LMS's page (the test CA is not in Chromium's
    store: HTTPS errors ignored there, checked by the servers), kept in ``contexts`` to close;
    the page collects its script errors and console errors in ``page.errors``."""
    ctx = browser.new_context(ignore_https_errors=True, viewport={"width": 1300, "height": 900})
    contexts.append(ctx)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return ctx, page
