"""An LTI launch in Chromium: the fake LMS's course page (tests/support/lti_platform.py, its own
server and key) frames the tool; the instructor's launch lands on the classroom's dashboard
inside the frame, the learner's in their seat — the playground running, named as the LMS names
them, no join code typed — and the dashboard's "Post grades" reaches the LMS's gradebook. The
tool's Content-Security-Policy is enforced (it lets the registered platform frame the
classroom's pages, and nothing else)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from tests.browser.test_classroom_page import person
from tests.support.lti_platform import FakePlatform, instructor, learner
from tests.support.server import ROOT, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def lti_site(tmp_path_factory):
    base = tmp_path_factory.mktemp("lti-browser")
    env = {"BPP_DATA_DIR": str(base / "data")}
    if "BPP_TRAINERS" in os.environ:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    with FakePlatform() as lms:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("BPP_")}
        made = subprocess.run(
            [sys.executable, "-m", "app", *lms.cli_args()],
            env={**clean, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert made.returncode == 0, made.stderr
        with start_server(env=env, log_dir=base, startup_timeout=30) as proc:
            lms.tool_url = proc.url.rstrip("/")
            lms.users.update(ann=learner("ann-sub", "Ann Lee"), grace=instructor("g-sub", "Grace"))
            yield lms


def tool_frame(page, path: re.Pattern, timeout: float = 30.0):
    """The frame of the tool once it shows ``path``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if path.search(frame.url):
                return frame
        page.wait_for_timeout(100)
    raise AssertionError(f"no frame at {path.pattern}: {[f.url for f in page.frames]}")


def until(frame, js: str, timeout: float = 30.0) -> None:
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if frame.evaluate(f"() => ({js})"):
                return
        except Error:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {js}")
        frame.page.wait_for_timeout(100)


def test_a_learner_launched_from_the_lms_lands_in_their_seat_inside_the_frame(lti_site, browser):
    lms = lti_site
    tctx, teacher = person(browser)
    sctx, student = person(browser)
    try:
        teacher.goto(lms.url + "/course?who=grace")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/]+$"))
        room = dash.url.rsplit("/", 1)[1]
        student.goto(lms.url + "/course?who=ann")
        seat = tool_frame(student, re.compile(rf"/classrooms/{room}/seat(#.*)?$"))
        until(seat, "window.__bpp && window.__bpp.ready")
        until(seat, "document.getElementById('conn').textContent === 'live'")
        me = seat.evaluate(f"() => fetch('/api/classrooms/{room}/me').then(r => r.json())")
        assert me["seat"]["name"] == "Ann Lee" and me["seat"]["status"] == "active"
        roster = dash.evaluate(f"() => fetch('/api/classrooms/{room}').then(r => r.json())")
        assert [s["name"] for s in roster["seats"]] == ["Ann Lee"]
        # the dashboard's "Post grades": the LMS receives Ann's score (0: challenge not met)
        dash.click("#lms-refresh")
        until(dash, "!document.getElementById('lms-grades').hidden")
        dash.click("#lms-post")
        until(dash, "document.querySelector('#lms-grades-rows tr[data-status=posted]')")
        assert [(x["userId"], x["scoreGiven"]) for x in lms.scores] == [("ann-sub", 0)]
        assert not teacher.errors and not student.errors, teacher.errors + student.errors
    finally:
        tctx.close()
        sctx.close()
