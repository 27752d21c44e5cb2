"""The classroom as its people use it: one teacher and three students, each in their own browser
context of Debian's Chromium, on a real server — with the Content-Security-Policy enforced.

The teacher logs in, makes a lesson, opens a room; students join by code; a locked control is
disabled on the student's page and a forged command for it is refused by the server; the
dashboard shows all three live; pause all, step all, spectate (read-only), the projector
(names hidden, the same numbers as the student's screen), and the CSV export."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.support.server import ServerProcess, start_server

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
STUDENTS = ["Ada", "Grace", HOSTILE]
# what the test provokes on purpose: a wrong password, forged commands, a duplicate name
DELIBERATE = re.compile(r"status of (401|403|409)")


@contextmanager
def teacher_server(base: Path, teacher: str) -> Iterator[ServerProcess]:
    """A real server with its data under ``base`` and one teacher account (``PASSWORD``), in
    the training mode `make test` runs the page in (``BPP_TRAINERS``)."""
    env = {"BPP_DATA_DIR": str(base / "data"), "BPP_TEACHER_PASSWORD": PASSWORD}
    if "BPP_TRAINERS" in os.environ:
        env["BPP_TRAINERS"] = os.environ["BPP_TRAINERS"]
    made = subprocess.run(
        [sys.executable, "-m", "app", "create-teacher", teacher],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    with start_server(env=env, log_dir=base, startup_timeout=30) as proc:
        yield proc


@pytest.fixture(scope="module")
def classroom_server(tmp_path_factory):
    with teacher_server(tmp_path_factory.mktemp("classroom"), "ms-lovelace") as proc:
        yield proc


def person(browser, size=(1280, 800)):
    """A browser context of its own (cookies and all), its page failing on console errors."""
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, accept_downloads=True)
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            page.errors.append(m.text)
            if m.type == "error" and not DELIBERATE.search(m.text)
            else None
        ),
    )
    page.on("dialog", lambda d: d.accept())
    return ctx, page


def until(page, js: str, timeout: float = 20000) -> None:
    """Poll the expression ``js`` in the page until it is truthy (``wait_for_function`` would
    evaluate a string, which the page's Content-Security-Policy forbids)."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout / 1000
    while True:
        try:
            if page.evaluate(f"() => ({js})"):
                return
        except Error:  # the page navigated meanwhile: ask the new one
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {js}")
        page.wait_for_timeout(100)


def ready(page):
    until(page, "window.__bpp && window.__bpp.ready", timeout=30000)
    until(page, "document.getElementById('conn').textContent === 'live'", timeout=20000)


def forged_ws(page, session_id: str, command: dict) -> dict:
    """Send ``command`` on a new socket of the page's own origin (its cookies) and return the
    first ``error`` message the server answers with (or a timeout marker)."""
    return page.evaluate(
        """([sid, cmd]) => new Promise((resolve) => {
            const ws = new WebSocket(`ws://${location.host}/api/sessions/${sid}/stream`);
            const t = setTimeout(() => resolve({type: "timeout"}), 8000);
            ws.onmessage = (ev) => { const m = JSON.parse(ev.data);
              if (m.type === "status") ws.send(JSON.stringify(cmd));
              if (m.type === "error") { clearTimeout(t); ws.close(); resolve(m); } };
        })""",
        [session_id, command],
    )


def api(page, method: str, path: str, body=None) -> dict:
    """A fetch from the page (its cookies, its origin): status and JSON."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const r = await fetch(path, {method, headers: {"Content-Type": "application/json"},
              body: body === null ? undefined : JSON.stringify(body)});
            return {status: r.status, json: await r.json().catch(() => null)};
        }""",
        [method, path, body],
    )


def test_a_teacher_runs_a_lesson_with_three_students(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser)
    # -- before class: log in, make the lesson (everything locked but play and step), open a room
    teacher.goto(url + "/teach")
    assert "/login" in teacher.url
    teacher.fill("#login-name", "ms-lovelace")
    teacher.fill("#login-password", "wrong password")
    teacher.click("#login-submit")
    teacher.wait_for_selector("#login-error:not([hidden])")
    assert "do not match" in teacher.text_content("#login-error")
    teacher.fill("#login-password", PASSWORD)
    teacher.click("#login-submit")
    teacher.wait_for_url("**/teach")
    assert teacher.is_checked("[data-control=learning_rate]")
    assert not teacher.is_checked("[data-control=play]")
    teacher.click("#lesson-save")
    teacher.click("[data-open-lesson]")
    teacher.wait_for_url("**/classrooms/*")
    room_id = teacher.url.rsplit("/", 1)[1]
    until(teacher, "/^[A-Z0-9]{6}$/.test(document.getElementById('join-code').textContent)")
    code = teacher.text_content("#join-code")

    # -- students join by code, each in a browser of their own
    students = []
    for name in STUDENTS:
        ctx, page = person(browser)
        page.goto(f"{url}/join/{code.lower()}")
        page.fill("#join-name", name)
        page.click("#join-submit")
        until(
            page,
            # the seat, or the join page's error in view (not a page between the two, which has
            # neither while it loads)
            "location.pathname.endsWith('/seat') || (document.querySelector('#join-error')"
            " && !document.querySelector('#join-error').hidden)",
            timeout=60000,
        )
        refused = page.locator("#join-error").all_text_contents()
        # the path, not the whole address: the seat page writes its settings into the fragment
        # (#lr=…) as soon as it has read them, which may come before this line runs
        assert urlsplit(page.url).path == f"/classrooms/{room_id}/seat", (page.url, refused)
        ready(page)
        students.append((ctx, page))
    ada = students[0][1]
    # a second "Ada" is refused with a friendly message
    ctx_dup, dup = person(browser)
    dup.goto(f"{url}/join/{code}")
    dup.fill("#join-name", " ada ")
    dup.click("#join-submit")
    dup.wait_for_selector("#join-error:not([hidden])")
    assert "already" in dup.text_content("#join-error")
    ctx_dup.close()

    # everyone has the same network with the same weights
    sids = [p.evaluate("window.__bpp.sessionId") for _, p in students]
    assert len(set(sids)) == 3
    weights = [api(teacher, "GET", f"/api/sessions/{sid}/export")["json"] for sid in sids]
    assert all(w["network"]["weights"] == weights[0]["network"]["weights"] for w in weights)

    # -- a locked control is disabled, and a forged command for it is refused by the server
    assert ada.is_disabled("#lr")
    assert not ada.is_disabled("#btn-play")
    refused = api(ada, "PATCH", f"/api/sessions/{sids[0]}", {"learning_rate": 3.0})
    assert refused["status"] == 403 and refused["json"]["detail"][0]["field"] == "learning_rate"
    error = forged_ws(ada, sids[0], {"type": "set", "training": {"learning_rate": 3.0}})
    assert error.get("field") == "learning_rate", error
    other = api(students[1][1], "GET", f"/api/sessions/{sids[0]}")  # Grace reads Ada's: no
    assert other["status"] == 403

    # -- the dashboard shows all three live; names are text, never HTML
    until(teacher, "document.querySelectorAll('#tiles .tile').length === 3")
    until(
        teacher,
        "[...document.querySelectorAll('#tiles .tile dd .v')].every((n) => n.textContent !== '–')",
        timeout=20000,
    )
    names = teacher.eval_on_selector_all("#tiles .tile .name", "ns => ns.map(n => n.textContent)")
    assert sorted(names) == sorted(STUDENTS)
    assert teacher.evaluate("window.__pwned") is None

    # -- play all, then pause all pauses them all
    teacher.click("#pace-play")
    until(
        teacher,
        "[...document.querySelectorAll('#tiles .tile')]"
        ".every((t) => t.dataset.status === 'playing')",
        timeout=20000,
    )
    teacher.click("#pace-pause")
    until(
        teacher,
        "[...document.querySelectorAll('#tiles .tile')]"
        ".every((t) => t.dataset.status === 'paused')",
        timeout=20000,
    )
    epochs = [api(teacher, "GET", f"/api/sessions/{sid}")["json"]["epoch"] for sid in sids]
    assert all(e > 0 for e in epochs)
    # -- step all advances each by the same number of epochs
    teacher.fill("#pace-epochs", "5")
    teacher.click("#pace-step")
    # the step's own answer ("step: 3 sessions"), not the pause's line still showing
    until(teacher, "document.getElementById('dash-info').textContent.startsWith('step:')")
    assert "failed" not in teacher.text_content("#dash-info"), teacher.text_content("#dash-info")
    after = [api(teacher, "GET", f"/api/sessions/{sid}")["json"]["epoch"] for sid in sids]
    assert [a - b for a, b in zip(after, epochs, strict=True)] == [5, 5, 5]

    # -- dashboard screenshots: a projector and a laptop
    ARTIFACTS.mkdir(exist_ok=True)
    teacher.wait_for_timeout(1500)
    for w, h in ((1024, 768), (1440, 900)):
        teacher.set_viewport_size({"width": w, "height": h})
        teacher.wait_for_timeout(300)
        teacher.screenshot(path=str(ARTIFACTS / f"classroom-dashboard-{w}x{h}.png"))
        overflow = teacher.evaluate("document.documentElement.scrollWidth > innerWidth")
        assert not overflow, f"the dashboard scrolls sideways at {w}×{h}"

    # -- spectate: the student's live view, read-only
    ada_seat = teacher.evaluate(
        "[...document.querySelectorAll('#tiles .tile')]"
        ".find((t) => t.querySelector('.name').textContent === 'Ada').dataset.seat"
    )
    spectate = tctx.new_page()
    spectate.errors = []
    spectate.on("pageerror", lambda e: spectate.errors.append(str(e)))
    spectate.goto(f"{url}/classrooms/{room_id}/students/{ada_seat}")
    ready(spectate)
    assert spectate.evaluate("window.__bpp.sessionId") == sids[0]
    assert spectate.is_disabled("#btn-play") and spectate.is_disabled("#lr")
    error = forged_ws(spectate, sids[0], {"type": "play"})
    assert error.get("field") == "session_id" and "read-only" in error["message"], error

    # -- the projector: names hidden, the numbers of the student's own screen
    projector = tctx.new_page()
    projector.errors = []
    projector.on("pageerror", lambda e: projector.errors.append(str(e)))
    projector.set_viewport_size({"width": 1024, "height": 768})
    projector.goto(f"{url}/classrooms/{room_id}/projector/{ada_seat}")
    ready(projector)
    bar = projector.text_content("#classroom-bar")
    assert "Ada" not in bar and "Student 1" in bar
    until(ada, f"document.getElementById('epoch').textContent === '{after[0]}'")
    until(projector, f"document.getElementById('epoch').textContent === '{after[0]}'")
    for box in ("#epoch", "#loss-train", "#loss-test"):
        assert projector.text_content(box) == ada.text_content(box)
    projector.screenshot(path=str(ARTIFACTS / "classroom-projector-1024x768.png"))

    # -- export the class as CSV: one row per student
    with teacher.expect_download() as download:
        teacher.click("#btn-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert len(rows) == 3
    assert sorted(r["student"] for r in rows) == sorted(STUDENTS)
    assert all(
        int(r["epochs"]) == a
        for r, a in zip(sorted(rows, key=lambda r: int(r["number"])), after, strict=True)
    )

    for page in (teacher, spectate, projector, *(p for _, p in students)):
        assert not page.errors, page.errors
    for ctx, _ in students:
        ctx.close()
    tctx.close()


def login(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("#login-name", "ms-lovelace")
    page.fill("#login-password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/teach")


def test_a_waiting_student_is_let_in_and_follows_a_pushed_lesson(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser)
    login(teacher, url)
    lesson = api(teacher, "POST", "/api/lessons", {"title": "waiting room", "locks": ["loss"]})
    room = api(teacher, "POST", "/api/classrooms", {"lesson_id": lesson["json"]["id"]})["json"]
    api(teacher, "PATCH", f"/api/classrooms/{room['id']}", {"approval_required": True})

    sctx, student = person(browser)
    student.goto(f"{url}/join/{room['code']}")
    student.fill("#join-name", "Hedy")
    student.click("#join-submit")
    until(student, "location.pathname.endsWith('/seat')")
    until(student, "window.__bpp && window.__bpp.ready")
    until(student, "document.getElementById('classroom-bar')?.textContent.includes('waiting')")
    assert student.evaluate("window.__bpp.sessionId") is None
    assert student.is_disabled("#btn-play")  # nothing to drive while waiting

    teacher.goto(f"{url}/classrooms/{room['id']}")
    teacher.wait_for_selector("[data-approve]")
    teacher.click("[data-approve]")
    until(student, "document.getElementById('conn').textContent === 'live'", timeout=30000)
    first = student.evaluate("window.__bpp.sessionId")
    assert first and not student.is_disabled("#btn-play")
    assert student.is_disabled("#loss")

    # the teacher pushes a new setup and frees the loss: the page follows without a reload
    pushed = api(
        teacher,
        "PUT",
        f"/api/classrooms/{room['id']}/lesson",
        {"setup": {"network": {"hidden_layers": [3]}}, "locks": []},
    )
    assert pushed["status"] == 200 and pushed["json"]["replaced"] == 1
    until(student, f"window.__bpp.sessionId && window.__bpp.sessionId !== '{first}'", 30000)
    until(student, "!document.getElementById('loss').disabled")
    assert student.evaluate("window.__bpp.state.get('hidden')") == [3]

    # removed: the seat's session answers the student no more
    seat = api(teacher, "GET", f"/api/classrooms/{room['id']}")["json"]["seats"][0]
    api(teacher, "DELETE", f"/api/classrooms/{room['id']}/seats/{seat['id']}")
    gone = api(student, "GET", f"/api/sessions/{seat['session_id']}")
    assert gone["status"] == 403
    until(student, "document.getElementById('classroom-bar').textContent.includes('no longer')")
    assert student.is_disabled("#btn-play")
    assert not [e for e in student.errors + teacher.errors], student.errors + teacher.errors
    sctx.close()
    tctx.close()
