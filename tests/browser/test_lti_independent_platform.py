"""The tool inside a course of an LMS no one here wrote, in Chromium: the ``lti1p3platform``
package's core (tests/support/lti_independent.py, its own keys) behind a small Starlette app
on https://127.0.0.2, the tool on https://127.0.0.3 (a test CA: different *sites*, so the
framed tool's cookies are third-party). The LMS's course page frames the tool throughout:

1. deep linking: the instructor adds the tool, picks a lesson in the tool's picker inside the
   frame; the tool's signed answer is posted back, the library validates it and the LMS
   records the link;
2. the instructor's launch on that link lands on the dashboard of a classroom taught from the
   picked lesson;
3. a learner's launch on it lands in their seat, named as the LMS names them (before the
   instructor opened the link: a "not ready yet" page), and is refused the grades;
4. the dashboard's "Post grades": the tool gets a token from the library's grant on its client
   assertion and the learner's score reaches the LMS's line item."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest

from tests.browser.test_lti_page import tool_frame, until

pytest.importorskip("lti1p3platform")
pytest.importorskip("trustme")
from tests.support.lti_independent import ROLE, IndependentLms  # noqa: E402
from tests.support.lti_sites import LMS_HOST, Certificates, free_port, https_tool  # noqa: E402

pytestmark = pytest.mark.browser
LMS_START_SECONDS = 15


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
        # 1. deep linking inside the frame: the picker, then the answer posted to the LMS
        teacher.goto(lms.url + "/course?who=grace")
        picker = tool_frame(teacher, re.compile(r"/lti/launch$"))
        picker.wait_for_selector("#lti-pick")
        lesson_id = picker.locator("input[name=lesson_id]").first.get_attribute("value")
        picker.locator("input[name=lesson_id]").first.check()
        picker.click("#lti-pick-submit")
        added = tool_frame(teacher, re.compile(r"/dl-return$"))
        added.wait_for_selector("#added")
        assert not lms.refused, lms.refused
        ((link, item),) = lms.links.items()
        assert item["type"] == "ltiResourceLink"
        assert item["custom"] == {"bpp_lesson_id": lesson_id}
        # a learner before the instructor opened the link: a clear page, not an error
        sctx, student = person()
        student.goto(f"{lms.url}/course?who=ann&link={link}")
        early = tool_frame(student, re.compile(r"/lti/launch$"))
        early.wait_for_selector(".lti-message h1")
        assert early.inner_text(".lti-message h1") == "Not ready yet"
        # 2. the instructor's launch on the new link: the dashboard, taught from that lesson
        teacher.goto(f"{lms.url}/course?who=grace&link={link}")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/#]+$"))
        assert dash.url.startswith(tool + "/")
        room = dash.url.rsplit("/", 1)[1]
        info = dash.evaluate(f"() => fetch('/api/classrooms/{room}').then(r => r.json())")
        assert info["lesson_id"] == lesson_id, info
        # 3. the learner's launch: their seat, live, named as the LMS names them
        student.goto(f"{lms.url}/course?who=ann&link={link}")
        seat = tool_frame(student, re.compile(rf"/classrooms/{room}/seat(#.*)?$"))
        until(seat, "window.__bpp && window.__bpp.ready")
        until(seat, "document.getElementById('conn').textContent === 'live'")
        me = seat.evaluate(f"() => fetch('/api/classrooms/{room}/me').then(r => r.json())")
        assert me["seat"]["name"] == "Ann Lee" and me["seat"]["status"] == "active"
        cookie = {c["name"]: c for c in sctx.cookies(tool)}[f"bpp_seat_{room}"]
        assert cookie["sameSite"] == "None" and cookie["secure"]
        grades = f"() => fetch('/api/lti/classrooms/{room}/grades').then(r => r.status)"
        seen = list(student.errors)
        assert seat.evaluate(grades) in (401, 403)  # a learner is not the instructor
        deadline = time.monotonic() + 10  # Chromium logs the refused fetch: wait for its line
        while len(student.errors) == len(seen) and time.monotonic() < deadline:
            student.wait_for_timeout(50)
        assert all("status of 40" in e for e in student.errors[len(seen) :])
        student.errors[:] = seen  # the refused fetch's console line is the expected one
        # 4. "Post grades": a token from the library's grant, the score on the line item
        dash.click("#lms-refresh")
        until(dash, "!document.getElementById('lms-grades').hidden")
        dash.click("#lms-post")
        until(dash, "document.querySelector('#lms-grades-rows tr[data-status=posted]')")
        assert [(s["link"], s["userId"], s["scoreGiven"]) for s in lms.scores] == [
            (link, "s-9", 0)
        ], lms.refused
        assert not lms.refused, lms.refused
        assert not teacher.errors and not student.errors, teacher.errors + student.errors
    finally:
        for ctx in contexts:
            ctx.close()
