"""Every page passes axe-core at WCAG 2.1 AA plus best practices (0 violations), with its
Content-Security-Policy enforced, on one shared server with a teacher, an open classroom and a
student in it: the playground, the derivation, the protocol, join, login, the teacher's home,
the dashboard (quiet and playing), a student's seat, spectating, the projector and the message
page; the playground also in the backward view with bias units and the derivation tab, and with
the comparison open. /docs and /redoc are the vendored Swagger UI and ReDoc: what is ours (colours,
landmarks) passes; two rules their own markup breaks (an expand button inside each operation's
summary button; ReDoc's h5 under h3) are named in THIRD_PARTY and may remain.

The diagram's own keyboard path and text view are pinned in test_diagram_keyboard.py."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import pytest

from tests.browser.axe import violations
from tests.browser.conftest import shot
from tests.browser.test_classroom_page import until
from tests.support.classroom import DEFAULT_LESSON, create_teacher
from tests.support.server import start_server

pytestmark = pytest.mark.browser
TEACHER, PASSWORD = "ms-hopper", "a long enough password"
SIZES = [(1024, 768), (1440, 900)]
PLAYGROUND_READY = (
    "window.__bpp && window.__bpp.ready && document.getElementById('conn').textContent === 'live'"
)


@dataclass
class Room:
    url: str
    classroom_id: str
    code: str
    seat_id: str


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """One server for the module: a teacher, a lesson, an open classroom and one student."""
    base = tmp_path_factory.mktemp("a11y")
    create_teacher(base / "data", TEACHER, PASSWORD)
    env = {"BPP_DATA_DIR": str(base / "data")}
    if "BPP_TRAINERS" in os.environ:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    with start_server(env=env, log_dir=base, startup_timeout=30) as proc:
        url = proc.url.rstrip("/")
        with httpx.Client(base_url=url, timeout=30) as teacher:
            teacher.post("/api/auth/login", json={"name": TEACHER, "password": PASSWORD})
            lesson = teacher.post(
                "/api/lessons", json={"title": "XOR by hand", "setup": DEFAULT_LESSON}
            ).json()
            opened = teacher.post("/api/classrooms", json={"lesson_id": lesson["id"]}).json()
        with httpx.Client(base_url=url, timeout=30) as student:
            joined = student.post("/api/join", json={"code": opened["code"], "name": "Ada"})
            seat = joined.json()["seat"]
        yield Room(url, opened["id"], opened["code"], seat["id"])


def visitor(browser, room: Room, who: str, size=(1280, 800)):
    """A browser context of its own, logged in as the teacher or seated as a student."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    if who == "teacher":
        r = ctx.request.post(
            room.url + "/api/auth/login", data={"name": TEACHER, "password": PASSWORD}
        )
        assert r.ok, r.text()
    elif who == "student":
        r = ctx.request.post(room.url + "/api/join", data={"code": room.code, "name": "Grace"})
        assert r.ok, r.text()
    return ctx


# page name -> (who, path with {room}/{seat}/{code}, what is true once the page has drawn, and
# what to do then: None, or (a CSS selector to click, what is true once it has answered))
PAGES = {
    "playground": ("anyone", "/", PLAYGROUND_READY, None),
    "playground-backward": (
        "anyone",
        "/#view=backward&bias=1",
        PLAYGROUND_READY,
        ("#tab-derivation", "document.getElementById('derivation').childElementCount > 0"),
    ),
    "playground-compare": (
        "anyone",
        "/",
        PLAYGROUND_READY,
        ("#btn-compare", "!document.getElementById('compare-panel').hidden"),
    ),
    "derivation": ("anyone", "/derivation", "document.querySelector('.katex') !== null", None),
    "protocol": ("anyone", "/protocol", "true", None),
    "join": ("anyone", "/join", "true", None),
    "join-code": ("anyone", "/join/{code}", "true", None),
    "login": ("anyone", "/login", "true", None),
    "teach": ("teacher", "/teach", "!document.querySelector('#rooms .empty')", None),
    "dashboard": (
        "teacher",
        "/classrooms/{room}",
        "document.querySelectorAll('#tiles .tile').length >= 1",
        None,
    ),
    "seat": ("student", "/classrooms/{room}/seat", PLAYGROUND_READY, None),
    "spectate": ("teacher", "/classrooms/{room}/students/{seat}", PLAYGROUND_READY, None),
    "projector": ("teacher", "/classrooms/{room}/projector/{seat}", PLAYGROUND_READY, None),
    "message": ("teacher", "/classrooms/{room}/students/no-such-seat", "true", None),
    # last: the class plays from here on (tiles and pills in their playing colours)
    "dashboard-playing": (
        "teacher",
        "/classrooms/{room}",
        "document.querySelectorAll('#tiles .tile').length >= 1",
        ("#pace-play", "document.querySelector('#tiles .tile[data-status=playing]') !== null"),
    ),
}


# rules the vendored API documentation breaks in markup we do not write (Swagger UI 5.35's
# operation summary nests its expand button; its tag headings and ReDoc's h5 skip a level)
THIRD_PARTY = {"nested-interactive", "heading-order"}


@pytest.mark.parametrize(("path", "drawn"), [("/docs", ".opblock"), ("/redoc", "h1, h2")])
def test_api_documentation_pages_break_only_their_libraries_own_structure(
    path, drawn, room, browser
):
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = ctx.new_page()
        page.goto(room.url + path)
        page.wait_for_selector(drawn, timeout=30000)
        page.wait_for_timeout(500)
        found = violations(page)
        ours = [v for v in found if v.split(":")[0] not in THIRD_PARTY]
        assert not ours, f"{path}: " + "\n".join(ours)
    finally:
        ctx.close()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(name, room, browser):
    who, path, drawn, then = PAGES[name]
    ctx = visitor(browser, room, who)
    try:
        page = ctx.new_page()
        page.goto(room.url + path.format(room=room.classroom_id, seat=room.seat_id, code=room.code))
        until(page, "document.readyState === 'complete'")
        until(page, drawn, timeout=30000)
        if then:
            page.click(then[0])
            until(page, then[1], timeout=30000)
        page.wait_for_timeout(300)  # the first frames drawn
        found = violations(page)
        assert not found, f"{name}: " + "\n".join(found)
        # a projector's 1024×768 (the narrow layout) and a laptop's 1440×900, to look at
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(200)
            if width < 1180:
                found = violations(page)
                assert not found, f"{name} at {width}×{height}: " + "\n".join(found)
            shot(page, f"a11y-{name}-{width}x{height}.png")
    finally:
        ctx.close()
