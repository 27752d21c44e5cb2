"""The LTI launch as it happens in a real course: the LMS and the tool on different *sites*
(https://127.0.0.2 and https://127.0.0.3, certificates from a test CA made by trustme), the
tool framed by the LMS's course page in Chromium. Here the browser's third-party rules apply:
the tool's cookies inside the frame are cross-site, so only ``SameSite=None; Secure``
(partitioned) cookies make it — a Lax cookie would be dropped on the platform's cross-site
POST and the learner would never reach their seat."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_lti_page import tool_frame, until
from tests.support.lti_platform import FakePlatform, instructor, learner
from tests.support.lti_sites import LMS_HOST, Certificates, https_tool, person

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    pytest.importorskip("trustme")
    base = tmp_path_factory.mktemp("lti-https")
    certs = Certificates(base)
    with FakePlatform(LMS_HOST, tls=certs.lms_tls, verify=certs.trusting) as lms:
        with https_tool(base, certs, lms.cli_args()) as tool:
            lms.tool_url = tool
            lms.users.update(ann=learner("ann-sub", "Ann Lee"), grace=instructor("g-sub", "Grace"))
            yield lms


def test_across_sites_over_https_the_learner_reaches_their_seat_inside_the_frame(sites, browser):
    lms = sites
    contexts = []

    try:
        tctx, teacher = person(browser, contexts)
        teacher.goto(lms.url + "/course?who=grace")
        dash = tool_frame(teacher, re.compile(r"/classrooms/[^/#]+$"))
        assert dash.url.startswith(lms.tool_url)
        room = dash.url.rsplit("/", 1)[1]
        sctx, student = person(browser, contexts)
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
