"""Issue 17, the teacher's side, as people do it (one browser context per person, clicks, the
Content-Security-Policy enforced): "teach this" through a login, a lesson made on the
playground (padlocks, title, Markdown instructions, a challenge), students reading the
instructions, the projector (a student's page and the dashboard) at 1024×768, and the smaller
walls — a moved device, the dashboard's pacing line, the leaderboard's lag, a loopback join URL.
Screenshots go to test-artifacts/ (look at them)."""

from __future__ import annotations

import json

import pytest

from tests.browser import test_classroom_page as classroom
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_classroom_page import api, login, person, ready, until

classroom_server = classroom.classroom_server  # its server and teacher (a fixture), shared

pytestmark = pytest.mark.browser
HOSTILE = '<img src=x onerror="window.__pwned=1">'
INSTRUCTIONS = (
    "## Step one sample\n\n1. Press **step sample**.\n2. Compute $z_j = b_j + \\sum_i a_i w_{ij}$"
    f" for hidden unit 1.\n\n{HOSTILE} [derivation](/derivation)"
)
# the projector must stay readable for networks up to 4 hidden layers of 8 units
BIG = {
    "network": {"hidden_layers": [8, 8, 8, 8], "activations": ["sigmoid"] * 5, "loss": "sse"},
    "dataset": {"name": "xor", "n": 40},
    "training": {"learning_rate": 0.5, "batch_size": 1, "seed": 7},
}


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def overflow(page) -> list[str]:
    """Visible elements whose right edge is past the window's (at most 5 described).

    Text kept for screen readers only (inside `.sr-only`, clipped to one pixel) is not
    drawn, so where its rows would end does not count; a page that scrolls sideways
    because of it still does (the second check)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')].filter((e) => {
            if (e.closest('.sr-only')) return false;
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.height > 0 && r.right > innerWidth + 0.5
              && getComputedStyle(e).visibility !== 'hidden';
          }).slice(0, 5).map((e) => `${e.tagName}#${e.id}.${e.className}`)"""
    ) + (
        ["(the page scrolls sideways)"]
        if page.evaluate("document.documentElement.scrollWidth > innerWidth")
        else []
    )


def join(browser, url: str, code: str, name: str, size=(1280, 800)):
    ctx, page = person(browser, size)
    page.goto(f"{url}/join/{code}")
    page.fill("#join-name", name)
    page.click("#join-submit")
    until(page, "location.pathname.endsWith('/seat')", timeout=60000)
    ready(page)
    return ctx, page


def open_room(teacher, body: dict) -> dict:
    made = api(teacher, "POST", "/api/lessons", body)
    assert made["status"] == 201, made
    room = api(teacher, "POST", "/api/classrooms", {"lesson_id": made["json"]["id"]})
    assert room["status"] == 201, room
    return room["json"]


def test_teach_this_logged_out_keeps_the_setup_and_the_lesson_is_made_on_the_page(
    classroom_server, browser
):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1440, 900))
    teacher.goto(url + "/#dataset=xor&hidden=3,3&activations=sigmoid,sigmoid,sigmoid&lr=0.1")
    ready(teacher)
    teacher.click("#btn-teach")
    teacher.wait_for_url("**/login**")
    teacher.fill("#login-name", "ms-lovelace")
    teacher.fill("#login-password", "correct horse battery")
    teacher.click("#login-submit")
    teacher.wait_for_url("**/teach/new**")
    ready(teacher)
    # the playground's setup survived the login (it used to be lost: the XOR preset showed)
    assert teacher.evaluate("window.__bpp.state.get('hidden')") == [3, 3]
    assert teacher.evaluate("window.__bpp.state.get('lr')") == 0.1
    assert teacher.evaluate("window.__bpp.state.get('dataset')") == "xor"

    # every control has a padlock on the page and a labelled checkbox in the panel
    pads = teacher.eval_on_selector_all("[data-padlock]", "bs => bs.map(b => b.dataset.padlock)")
    assert {"play", "learning_rate", "hidden_layers", "dataset", "loss"} <= set(pads)
    assert teacher.get_attribute("[data-padlock=learning_rate]", "aria-pressed") == "true"
    assert teacher.get_attribute("[data-padlock=play]", "aria-pressed") == "false"
    label = teacher.text_content("label[for=lock-learning_rate]")
    assert "Learning rate" in label and "_" not in label
    teacher.click("[data-padlock=learning_rate]")  # free η: students may change it
    assert not teacher.is_checked("#lock-learning_rate")
    teacher.fill("#lesson-title", "Hidden layers by hand")
    teacher.fill("#lesson-instructions", INSTRUCTIONS)
    until(teacher, "document.querySelector('#lesson-preview strong')")
    assert teacher.evaluate("window.__pwned") is None
    assert teacher.query_selector("#lesson-preview img[onerror]") is None
    assert teacher.query_selector("#lesson-preview .katex")  # the math, typeset
    teacher.fill("#lesson-ch-loss", "0.05")
    teacher.fill("#lesson-ch-units", "6")
    for w, h in ((1440, 900), (1024, 768)):
        teacher.set_viewport_size({"width": w, "height": h})
        teacher.evaluate("window.scrollTo(0, 0)")
        teacher.wait_for_timeout(300)
        shot(teacher, f"lesson-mode-{w}x{h}.png")
        teacher.evaluate("document.querySelector('main.layout').scrollIntoView()")
        shot(teacher, f"lesson-mode-padlocks-{w}x{h}.png")
    teacher.set_viewport_size({"width": 1440, "height": 900})
    assert not overflow(teacher), overflow(teacher)
    # the JSON stays, as an advanced option
    teacher.click("#lesson-advanced summary")
    teacher.click("#lesson-json-out")
    assert '"Hidden layers by hand"' in teacher.input_value("#lesson-json")
    teacher.fill("#lesson-json", '{"title": "From JSON", "locks": ["learning_rate"]}')
    teacher.click("#lesson-json-in")
    assert teacher.input_value("#lesson-title") == "From JSON"
    assert teacher.get_attribute("[data-padlock=learning_rate]", "aria-pressed") == "true"
    assert teacher.get_attribute("[data-padlock=loss]", "aria-pressed") == "false"
    teacher.fill("#lesson-json", "{not json")
    teacher.click("#lesson-json-in")
    assert "not valid JSON" in teacher.text_content("#lesson-error")
    teacher.click("#lock-all")
    teacher.click("[data-padlock=learning_rate]")
    teacher.click("[data-padlock=play]")
    teacher.click("[data-padlock=step]")
    teacher.fill("#lesson-title", "Hidden layers by hand")
    teacher.fill("#lesson-ch-loss", "0.05")  # a loaded lesson without a challenge cleared it
    teacher.fill("#lesson-ch-units", "6")
    teacher.click("#lesson-save")
    teacher.wait_for_selector("#lesson-saved:not([hidden])")
    lesson_id = teacher.get_attribute("#lesson-saved", "data-lesson-id")
    lesson = api(teacher, "GET", f"/api/lessons/{lesson_id}")["json"]
    assert lesson["title"] == "Hidden layers by hand"
    assert lesson["instructions"] == INSTRUCTIONS
    assert lesson["setup"]["network"]["hidden_layers"] == [3, 3]
    assert "learning_rate" not in lesson["locks"] and "play" not in lesson["locks"]
    assert {"loss", "hidden_layers", "dataset"} <= set(lesson["locks"])
    assert lesson["challenge"]["test_loss_below"] == 0.05
    assert lesson["challenge"]["max_hidden_units"] == 6

    # the teacher's home lists it; "edit on the playground" brings it back into lesson mode
    teacher.click("#lesson-saved-link")
    teacher.wait_for_url("**/teach")
    teacher.click(f"[data-edit-lesson='{lesson_id}']")
    teacher.wait_for_url("**/teach/new?lesson=*")
    ready(teacher)
    until(teacher, "document.getElementById('lesson-title').value === 'Hidden layers by hand'")
    assert teacher.evaluate("window.__bpp.state.get('hidden')") == [3, 3]
    assert teacher.get_attribute("[data-padlock=learning_rate]", "aria-pressed") == "false"
    assert teacher.input_value("#lesson-instructions") == INSTRUCTIONS
    teacher.fill("#lesson-title", "Hidden layers, by hand")
    teacher.click("#lesson-save")
    teacher.wait_for_selector("#lesson-saved:not([hidden])")
    lesson = api(teacher, "GET", f"/api/lessons/{lesson_id}")["json"]
    assert lesson["title"] == "Hidden layers, by hand" and lesson["instructions"] == INSTRUCTIONS

    # open a classroom from the lesson, right there
    teacher.click("#lesson-open-room")
    teacher.wait_for_url("**/classrooms/*")
    until(teacher, "/^[A-Z0-9]{6}$/.test(document.getElementById('join-code').textContent)")
    code = teacher.text_content("#join-code")

    # a student reads the instructions on their seat, rendered and safe
    sctx, student = join(browser, url, code, "Ada")
    until(student, "document.querySelector('#seat-instructions strong')")
    assert "Step one sample" in student.text_content("#seat-instructions")
    assert student.query_selector("#seat-instructions .katex")
    assert student.evaluate("window.__pwned") is None
    assert not student.is_disabled("#lr") and student.is_disabled("#loss")
    shot(student, "lesson-seat-instructions-1280x800.png")
    assert not teacher.errors and not student.errors, teacher.errors + student.errors
    sctx.close()
    tctx.close()


def test_the_projected_student_is_readable_from_the_back_of_the_room(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser)
    login(teacher, url)
    room = open_room(teacher, {"title": "deep", "setup": BIG, "locks": ["loss"]})
    sctx, student = join(browser, url, room["code"], "Grace")
    seat = api(teacher, "GET", f"/api/classrooms/{room['id']}")["json"]["seats"][0]
    api(teacher, "POST", f"/api/classrooms/{room['id']}/pace", {"op": "step", "epochs": 3})

    proj = tctx.new_page()
    proj.errors = []
    proj.on("pageerror", lambda e: proj.errors.append(str(e)))
    proj.set_viewport_size({"width": 1024, "height": 768})
    proj.goto(f"{url}/classrooms/{room['id']}/projector/{seat['id']}")
    ready(proj)
    until(proj, "document.getElementById('epoch').textContent === '3'")
    proj.wait_for_timeout(500)
    shot(proj, "projector-student-1024x768.png")
    # key numbers at least 24 px, as rendered
    for box in ("#epoch", "#loss-train", "#loss-test"):
        size = proj.eval_on_selector(box, "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 24, (box, size)
    # every diagram label shown is at least 16 px tall after the SVG's scaling
    labels = proj.evaluate(
        """() => {
          const svg = document.getElementById('diagram-svg');
          const k = svg.getBoundingClientRect().width / svg.width.baseVal.value;
          return [...svg.querySelectorAll('text')].filter((t) => t.getClientRects().length
              && getComputedStyle(t).display !== 'none' && t.textContent.trim())
            .map((t) => ({text: t.textContent, px: parseFloat(t.getAttribute('font-size')) * k,
                          h: t.getBoundingClientRect().height}));
        }"""
    )
    assert labels, "the diagram shows no labels at all"
    small = [x for x in labels if x["px"] < 16 or x["h"] < 16]
    assert not small, small
    # no controls, no badges, nothing past the right edge; the student's name hidden
    for sel in ("#btn-play", "#lr", "#btn-add-layer", "#btn-share", "#conn", "#layer-heads"):
        assert not proj.is_visible(sel), sel
    assert "Grace" not in proj.text_content("body")
    assert not overflow(proj), overflow(proj)
    assert not proj.errors, proj.errors
    sctx.close()
    tctx.close()


def test_the_dashboard_projector_view_pace_line_board_and_join_warning(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1024, 768))
    login(teacher, url)
    room = open_room(
        teacher,
        {
            "title": "race",
            "setup": {"dataset": {"name": "xor", "n": 40}, "training": {"learning_rate": 0.3}},
            "locks": ["loss"],
            "challenge": {"title": "below 0.001", "test_loss_below": 0.001},
        },
    )
    students = [join(browser, url, room["code"], n) for n in ("Ada", "Grace", "Hedy")]
    teacher.goto(f"{url}/classrooms/{room['id']}")
    until(teacher, "document.querySelectorAll('#tiles .tile').length === 3")
    # started on 127.0.0.1: a warning that other devices cannot reach it, and the fix
    teacher.wait_for_selector("#join-warning:not([hidden])")
    warning = teacher.text_content("#join-warning")
    assert "127.0.0.1" in warning and "--host 0.0.0.0" in warning

    teacher.click("#btn-challenge")
    teacher.click("#pace-play")
    until(teacher, "!document.getElementById('board').hidden", timeout=20000)
    # the leaderboard runs with the tiles, not seconds behind them
    for _ in range(5):
        teacher.wait_for_timeout(700)
        pairs = teacher.evaluate(
            """() => [...document.querySelectorAll('#board-rows li')].map((li) => [
                li.querySelector('.v').textContent,
                document.querySelector(`.tile[data-seat="${li.dataset.seat}"] dd:nth-of-type(3) .v`)
                  .textContent])"""
        )
        assert pairs and all(a == b for a, b in pairs), pairs
    teacher.click("#pace-pause")
    until(teacher, "document.getElementById('dash-info').textContent.startsWith('pause')")
    # the line says what happened, then goes (it used to stay for the rest of the lesson)
    until(teacher, "document.getElementById('dash-info').hidden", timeout=12000)

    # projector view: the join code and the tiles, large; no controls; nothing past the edge
    teacher.click("#btn-projector")
    teacher.wait_for_timeout(400)
    shot(teacher, "projector-dashboard-1024x768.png")
    assert not teacher.is_visible("#pace-pause") and not teacher.is_visible("[data-remove]")
    code = teacher.eval_on_selector("#join-code", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert code >= 48
    sizes = teacher.eval_on_selector_all(
        "#tiles .tile dd .v, #tiles .tile .name",
        "ns => ns.map(n => parseFloat(getComputedStyle(n).fontSize))",
    )
    assert sizes and min(sizes) >= 24, sizes
    assert not overflow(teacher), overflow(teacher)
    # anonymous on the projector although "hide names" is off: tiles and leaderboard
    shown = teacher.inner_text("#tiles") + teacher.inner_text("#board")
    assert not any(n in shown for n in ("Ada", "Grace", "Hedy")), shown
    assert "Student 1" in teacher.inner_text("#tiles")
    teacher.keyboard.press("Escape")
    assert teacher.is_visible("#pace-pause")
    assert "Grace" in teacher.inner_text("#tiles")  # the teacher's own view names them again
    assert not teacher.errors, teacher.errors
    for ctx, _ in students:
        ctx.close()
    tctx.close()


def test_a_moved_device_stops_asking_and_says_the_seat_moved(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser)
    login(teacher, url)
    room = open_room(teacher, {"title": "moving", "locks": []})
    first_ctx, first = join(browser, url, room["code"], "Lin")
    key = first.evaluate(f"sessionStorage.getItem('bpp-seat-key-{room['id']}')")
    assert key
    asked: list[str] = []
    first.on("request", lambda r: asked.append(r.url) if r.url.endswith("/me") else None)
    second_ctx, second = person(browser)
    second.goto(f"{url}/join")
    moved = api(second, "POST", "/api/join", {"code": room["code"], "name": "Lin", "key": key})
    assert moved["status"] == 200, moved
    until(first, "document.getElementById('classroom-bar').textContent.includes('moved')")
    assert first.text_content("#conn") != "live"
    assert first.is_disabled("#btn-play")
    asked.clear()
    first.wait_for_timeout(7000)  # two poll periods: nothing more is asked
    assert asked == [], asked
    first_ctx.close()
    second_ctx.close()
    tctx.close()


def test_instructions_markdown_is_rendered_without_anything_that_runs(page):
    page.goto(page.base + "/")
    page.wait_for_function("window.__bpp && window.__bpp.ready", timeout=20000)
    html = page.evaluate(
        """async () => (await import('/static/js/markdown.js')).markdownToHtml(
            '# Forward pass\\n\\n### Detail\\n\\n<script>window.__pwned=1</script>'
            + '\\n\\n<b onclick="x()">b</b> [bad](javascript:alert(1)) [good](https://example.org)'
            + ' $\\\\delta_j$ and $$E = \\\\tfrac12 (a-t)^2$$')"""
    )
    dom = page.evaluate(
        """(html) => { const d = document.createElement('div'); d.innerHTML = html;
            return {h: [...d.querySelectorAll('h1,h2,h3,h4')].map((h) => h.tagName),
                    scripts: d.querySelectorAll('script,[onclick]').length,
                    hrefs: [...d.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.rel]),
                    katex: d.querySelectorAll('.katex').length, text: d.textContent}; }""",
        html,
    )
    assert dom["h"] == ["H2", "H4"]  # the text's top heading is an h2: the page keeps its h1
    assert dom["scripts"] == 0 and "<script>" in dom["text"]  # raw HTML shows as text
    assert dom["hrefs"] == [[None, ""], ["https://example.org", "noopener noreferrer"]]
    assert dom["katex"] == 2
    assert page.evaluate("window.__pwned") is None


NEW_CONTROL = {  # a control the registry might gain (an optimizer setting), as the catalog lists it
    "name": "nesterov",
    "label": "look-ahead",
    "help": "Take the momentum step first, then measure the slope there.",
    "kind": "live",
    "group": "training",
    "symbol": None,
    "settings": [
        {"path": "training.nesterov", "field": "nesterov", "label": "look-ahead",
         "type": "number", "default": 0, "ge": 0, "le": 1, "live": True},
    ],
    "commands": [],
    "routes": [],
    "aliases": [],
    "compare": "its value",
}  # fmt: skip


def test_a_control_new_to_the_catalog_gets_its_row_and_its_padlock_without_page_code(
    classroom_server, browser
):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1440, 900))
    login(teacher, url)

    def with_new_control(route):  # the page's boot carries the catalog
        response = route.fetch()
        html = response.text()
        start = html.index(">", html.index('id="bpp-boot"')) + 1
        end = html.index("</script>", start)
        boot = json.loads(html[start:end])
        boot["catalog"]["controls"].append(NEW_CONTROL)
        text = json.dumps(boot).replace("<", "\\u003c")
        route.fulfill(response=response, body=html[:start] + text + html[end:])

    def without_it(route):  # this server's registry does not have it: the body leaves it out
        body = route.request.post_data_json if route.request.method == "POST" else None
        if isinstance(body, dict) and isinstance(body.get("training"), dict):
            body["training"].pop("nesterov", None)
            return route.continue_(post_data=json.dumps(body))
        return route.continue_()

    teacher.route("**/teach/new", with_new_control)
    teacher.route("**/api/sessions", without_it)
    teacher.goto(url + "/teach/new")
    # (a document served through the route counts as another address space to Chromium, which
    # then refuses its socket to 127.0.0.1: the session is made, it never goes live — nor
    # needs to, for the rows and padlocks)
    teacher.wait_for_selector("#ctl-nesterov")  # the page built its row from the catalog
    teacher.wait_for_selector("[data-padlock=nesterov]")
    assert "Look-ahead" in teacher.text_content("label[for=lock-nesterov]")
    assert teacher.is_visible("[data-padlock=nesterov]")
    tctx.close()


def test_the_dashboard_changes_the_lesson_to_a_saved_one_without_writing_json(
    classroom_server, browser
):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1280, 900))
    login(teacher, url)
    room = open_room(teacher, {"title": "first", "locks": []})
    spiral = {"dataset": {"name": "spiral", "n": 100}, "network": {"hidden_layers": [5]}}
    made = api(
        teacher,
        "POST",
        "/api/lessons",
        {"title": "Spirals", "setup": spiral, "locks": ["loss"], "instructions": "Go *deep*."},
    )
    assert made["status"] == 201, made
    teacher.goto(f"{url}/classrooms/{room['id']}")
    teacher.click("#btn-push")
    until(teacher, "[...document.querySelectorAll('#push-from option')].length > 1")
    assert not teacher.is_visible("#push-setup")  # the JSON is the advanced option, folded
    teacher.select_option("#push-from", label="Spirals")
    assert "spiral" in teacher.text_content("#push-summary")
    assert teacher.is_checked("#push-locks input[value=loss]")
    assert teacher.input_value("#push-instructions") == "Go *deep*."
    teacher.click("#push-go")
    until(teacher, "!document.getElementById('push-dialog').open")
    now = api(teacher, "GET", f"/api/classrooms/{room['id']}")["json"]
    assert now["setup"]["dataset"]["name"] == "spiral" and now["locks"] == ["loss"]
    assert not teacher.errors, teacher.errors
    tctx.close()
