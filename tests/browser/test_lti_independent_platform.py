"""The tool inside a course of an LMS no one here wrote, in Chromium: the ``lti1p3platform``
package's core (tests/support/lti_independent.py, its own keys) behind a small Starlette app
on https://127.0.0.2, the tool on https://127.0.0.3 (a test CA: different *sites*, so the
framed tool's cookies are third-party). The LMS's course page frames the tool throughout:

0. the instructor's launch on a link the course already has lands on the dashboard, where they
   write an activity (one scored question);
1. deep linking: they add the tool, pick that activity in the tool's picker inside the frame;
   the tool's signed answer is posted back, the library validates it, the LMS records the link;
2. a learner launching before the instructor opened the link gets "Not ready yet"; the
   instructor's launch on it lands on the dashboard of a classroom taught from the activity;
3. the learner's launch lands in their seat, named as the LMS names them, and is refused the
   grades;
4. she answers the question right: her score, 1, reaches the LMS's line item by itself with a
   token the library granted on the tool's client assertion; "Post grades" shows it posted and
   does not send it again."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

from tests.browser.test_classroom_page import api
from tests.browser.test_lti_page import tool_frame, until

pytest.importorskip("lti1p3platform")
pytest.importorskip("trustme")
from tests.support.lti_independent import ROLE, IndependentLms  # noqa: E402
from tests.support.lti_sites import LMS_HOST, Certificates, free_port, https_tool, person  # noqa: E402

pytestmark = pytest.mark.browser
LMS_START_SECONDS = 15
WELCOME = "welcome"  # a link the course has before the tool's deep linking is used
ACTIVITY = {
    "title": "Two plus two",
    "steps": [
        {"title": "A number", "question": {"kind": "number", "prompt": "2 + 2?", "answer": 4}}
    ],
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The independent LMS (uvicorn in a thread, over TLS) and the tool registered with it."""
    import uvicorn

    base = tmp_path_factory.mktemp("lti-independent-browser")
    certs = Certificates(base)
    port = free_port(LMS_HOST)
    lms = IndependentLms(f"https://{LMS_HOST}:{port}")
    key_file, cert_file = certs.files["lms"]
    server = uvicorn.Server(
        uvicorn.Config(
            lms.app(), host=LMS_HOST, port=port, log_level="warning",
            ssl_keyfile=str(key_file), ssl_certfile=str(cert_file),
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    # the library fetches the tool's JWKS with requests: trust the test CA there
    before = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(certs.ca_file)
    thread.start()
    try:
        deadline = time.monotonic() + LMS_START_SECONDS
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the LMS did not start"
            time.sleep(0.05)
        with https_tool(base, certs, lms.cli_args()) as tool:
            lms.connect(tool)
            lms.people.update(
                grace=("g-9", [ROLE + "Instructor"], "Grace Hopper"),
                ann=("s-9", [ROLE + "Learner"], "Ann Lee"),
            )
            lms.links[WELCOME] = {"type": "ltiResourceLink", "title": "Welcome", "custom": {}}
            yield lms, tool
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if before is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = before


def test_an_independent_lms_frames_deep_linking_launches_and_takes_the_grade(course, browser):
    lms, tool = course
    contexts = []

    try:
        tctx, teacher = person(browser, contexts)
        # 0. a link the course already has: the instructor's first launch makes their account,
        #    and on the dashboard they write an activity (one scored question)
        teacher.goto(f"{lms.url}/course?who=grace&link={WELCOME}")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/#]+$"))
        assert dash.url.startswith(tool + "/")
        made = api(dash, "POST", "/api/lessons", ACTIVITY)
        assert made["status"] == 201, made
        lesson_id = made["json"]["id"]
        # 1. deep linking inside the frame: the picker, then the answer posted to the LMS
        teacher.goto(lms.url + "/course?who=grace")
        picker = tool_frame(teacher, re.compile(r"/lti/launch$"))
        picker.wait_for_selector("#lti-pick")
        assert picker.locator("input[name=lesson_id]").count() >= 2  # a real choice
        picker.locator(f"input[name=lesson_id][value='{lesson_id}']").check()
        picker.click("#lti-pick-submit")
        added = tool_frame(teacher, re.compile(r"/dl-return$"))
        added.wait_for_selector("#added")
        assert added.inner_text("#added") == "Added: " + ACTIVITY["title"]
        assert not lms.refused, lms.refused
        (link,) = [k for k in lms.links if k != WELCOME]
        item = lms.links[link]
        assert item["type"] == "ltiResourceLink"
        assert item["custom"] == {"bpp_lesson_id": lesson_id}
        # a learner before the instructor opened the link: a clear page, not an error
        sctx, student = person(browser, contexts)
        student.goto(f"{lms.url}/course?who=ann&link={link}")
        early = tool_frame(student, re.compile(r"/lti/launch$"))
        early.wait_for_selector(".lti-message h1")
        assert early.inner_text(".lti-message h1") == "Not ready yet"
        # 2. the instructor's launch on the new link: the dashboard, taught from that lesson;
        #    they open the activity's step for the class
        teacher.goto(f"{lms.url}/course?who=grace&link={link}")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/#]+$"))
        room = dash.url.rsplit("/", 1)[1]
        info = api(dash, "GET", f"/api/classrooms/{room}")["json"]
        assert info["lesson_id"] == lesson_id, info
        until(dash, "!document.getElementById('steps-panel').hidden")
        dash.click("[data-open-step='0']")
        # 3. the learner's launch: their seat, live, named as the LMS names them
        student.goto(f"{lms.url}/course?who=ann&link={link}")
        seat = tool_frame(student, re.compile(rf"/classrooms/{room}/seat(#.*)?$"))
        until(seat, "window.__bpp && window.__bpp.ready")
        until(seat, "document.getElementById('conn').textContent === 'live'")
        me = api(seat, "GET", f"/api/classrooms/{room}/me")["json"]
        assert me["seat"]["name"] == "Ann Lee" and me["seat"]["status"] == "active"
        cookie = {c["name"]: c for c in sctx.cookies(tool)}[f"bpp_seat_{room}"]
        assert cookie["sameSite"] == "None" and cookie["secure"]
        seen = list(student.errors)
        refused = api(seat, "GET", f"/api/lti/classrooms/{room}/grades")["status"]
        assert refused in (401, 403)  # a learner is not the instructor
        deadline = time.monotonic() + 10  # Chromium logs the refused fetch: wait for its line
        while len(student.errors) == len(seen) and time.monotonic() < deadline:
            student.wait_for_timeout(50)
        assert all("status of 40" in e for e in student.errors[len(seen) :])
        student.errors[:] = seen  # the refused fetch's console line is the expected one
        # 4. she answers the activity's only scored question right: her score (1) is posted
        #    by itself, with a token the library granted on the tool's client assertion
        seat.wait_for_selector("#answer-0")
        seat.fill("#answer-0", "4")
        seat.click("#activity [data-kind=number] button[type=submit]")
        deadline = time.monotonic() + 30
        while not lms.scores and time.monotonic() < deadline:
            student.wait_for_timeout(100)
        assert [(s["link"], s["userId"], s["scoreGiven"]) for s in lms.scores] == [
            (link, "s-9", 1)
        ], lms.refused
        # the dashboard's "Post grades" shows it posted, and does not send it again
        dash.click("#lms-refresh")
        until(dash, "!document.getElementById('lms-grades').hidden")
        dash.click("#lms-post")
        until(dash, "document.querySelector('#lms-grades-rows tr[data-status=posted]')")
        assert len(lms.scores) == 1 and not lms.refused, (lms.scores, lms.refused)
        assert not teacher.errors and not student.errors, teacher.errors + student.errors
    finally:
        for ctx in contexts:
            ctx.close()
