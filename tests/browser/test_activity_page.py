"""Issue 18's pages, as people use them (one browser context per person, clicks, the
Content-Security-Policy enforced): a teacher builds an activity in the step editor (no JSON);
a teacher and three students go through a two-step activity whose step 2 asks δ_k of the output
unit for the probe sample — one student right (the value computed here with numpy from that
student's exported weights, Eq. 5), one wrong, one silent; the dashboard shows 1 / 1 / 1; the
reveal reaches every page; snapshots project two students anonymously; the answers CSV has the
rows. Screenshots of the seat, the dashboard's steps and the snapshots go to
/tmp/h18page-shots/ (look at them); axe checks the new panels."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest

from tests.browser import test_classroom_page as classroom
from tests.browser.axe import violations
from tests.browser.test_classroom_page import api, login, person, ready, until
from tests.browser.test_lesson_page import join
from tests.support.classroom import XOR_TABLE

classroom_server = classroom.classroom_server  # one server with a teacher for this module

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/h18page-shots")
SIZES = ((1024, 768), (1440, 900))
STUDENTS = ("Ada", "Brook", "Cai")

ACTIVITY = {
    "title": "The backward pass: Eq. 5",
    "instructions": "Two steps.",
    "setup": XOR_TABLE,
    "locks": ["learning_rate", "dataset", "hidden_layers", "activations", "loss", "init"],
    "steps": [
        {
            "title": "The forward pass",
            "instructions": "Press **step sample** and read $a_k$ of the output.",
            "setup": None,
            "locks": [],
            "question": None,
        },
        {
            "title": "δ of the output",
            "instructions": "Compute $\\delta_k = (a_k - t_k)\\,g'(z_k)$ for your probe sample.",
            "setup": None,
            "locks": [],
            "question": {
                "kind": "network",
                "prompt": "What is $\\delta_k$ of the output unit?",
                "explanation": "Eq. 5: the error times the slope of the sigmoid.",
                "quantity": {"name": "delta", "layer": 2, "unit": 0},
                "sample": None,
                "tolerance": 0.01,
                "feedback": "immediate",
                "max_attempts": 2,
            },
        },
    ],
}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def delta_k(export: dict, x: list[float], t: list[float]) -> float:
    """Eq. 5 for a sigmoid output and the SSE loss, from the exported weights (W[l][i][j])."""
    a = np.asarray(x, dtype=float)
    for W, b in zip(export["network"]["weights"], export["network"]["biases"], strict=True):
        a = 1.0 / (1.0 + np.exp(-(a @ np.asarray(W) + np.asarray(b))))
    return float((a[0] - t[0]) * a[0] * (1.0 - a[0]))


def test_a_teacher_builds_an_activity_in_the_step_editor(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    ctx, teacher = person(browser, (1440, 900))
    login(teacher, url)
    teacher.goto(url + "/teach/new#dataset=xor&hidden=2&activations=sigmoid,sigmoid")
    ready(teacher)
    teacher.fill("#lesson-title", "Built on the page")
    for _ in range(3):
        teacher.click("#step-add")
    cards = teacher.locator(".step-card")
    assert cards.count() == 3
    first, second, third = cards.nth(0), cards.nth(1), cards.nth(2)
    first.locator("[data-field=title]").fill("Look")
    first.locator("[data-field=instructions]").fill("Read **$a_k$**.")
    until(teacher, "document.querySelector('.step-card .step-preview strong .katex')")
    # step 2: a network question — δ of the output unit (layer 2, unit 0) on the probe sample
    second.locator("[data-field=title]").fill("Delta")
    second.locator("[data-field=own-setup]").check()  # this step's setup: the playground's
    assert "2–2–1" in second.locator(".setup-note").text_content()
    second.locator("[data-field=kind]").select_option("network")
    second.locator("[data-field=prompt]").fill("δ_k of the output?")
    second.locator("[data-field=quantity]").select_option("delta")
    second.locator("[data-field=layer]").select_option("2")
    second.locator("[data-field=unit]").select_option("0")
    second.locator("[data-field=tolerance]").first.fill("2")
    second.locator("[data-field=feedback]").select_option("reveal")
    second.locator(".step-locks summary").click()
    second.locator("[data-step-lock=play]").check()
    # step 3: a choice with two correct options, then moved before step 2
    third.locator("[data-field=title]").fill("Which")
    third.locator("[data-field=kind]").select_option("choice")
    third.locator("[data-field=prompt]").fill("Which are true?")
    third.locator("[data-field=add-option]").click()
    opts = third.locator("[data-option]")
    for i, text in enumerate(("δ is a gradient", "δ_k uses t_k", "E is negative")):
        opts.nth(i).fill(text)
    third.locator("[data-correct]").nth(0).check()
    third.locator("[data-correct]").nth(1).check()
    third.locator("[data-move=up]").click()
    assert teacher.locator(".step-card [data-field=title]").nth(1).input_value() == "Which"
    teacher.evaluate("document.getElementById('steps-editor').scrollIntoView()")
    shoot(teacher, "step-editor-1440x900.png")
    assert violations(teacher, "#steps-editor") == []
    teacher.click("#lesson-save")
    teacher.wait_for_selector("#lesson-saved:not([hidden])")
    lesson_id = teacher.get_attribute("#lesson-saved", "data-lesson-id")
    lesson = api(teacher, "GET", f"/api/lessons/{lesson_id}")["json"]
    steps = lesson["steps"]
    assert [s["title"] for s in steps] == ["Look", "Which", "Delta"]
    assert steps[0]["setup"] is None and steps[0]["question"] is None
    assert steps[1]["question"]["kind"] == "choice"
    assert steps[1]["question"]["correct"] == [0, 1]
    assert steps[1]["question"]["options"][2] == "E is negative"
    q = steps[2]["question"]
    assert q["kind"] == "network" and q["feedback"] == "reveal" and q["sample"] is None
    assert q["quantity"] == {"name": "delta", "layer": 2, "unit": 0, "source": None} or q[
        "quantity"
    ] == {"name": "delta", "layer": 2, "unit": 0}
    assert q["tolerance"] == pytest.approx(0.02)
    assert steps[2]["setup"]["network"]["hidden_layers"] == [2]
    assert "play" in steps[2]["locks"]
    assert not teacher.errors, teacher.errors
    ctx.close()


def test_a_class_answers_delta_k_and_the_teacher_reveals_and_projects(classroom_server, browser):
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1440, 900))
    login(teacher, url)
    made = api(teacher, "POST", "/api/lessons", ACTIVITY)
    assert made["status"] == 201, made
    room = api(teacher, "POST", "/api/classrooms", {"lesson_id": made["json"]["id"]})["json"]
    base = f"/api/classrooms/{room['id']}"
    students = [join(browser, url, room["code"], name, (1024, 768)) for name in STUDENTS]
    pages = [p for _, p in students]
    teacher.goto(f"{url}/classrooms/{room['id']}")
    until(teacher, "document.querySelectorAll('#tiles .tile').length === 3")
    until(teacher, "!document.getElementById('steps-panel').hidden")

    # -- step 1, then step 2, opened for the class from the dashboard
    teacher.click("[data-open-step='0']")
    for p in pages:
        until(
            p,
            "document.querySelector('#activity .activity-title')?.textContent"
            " === 'The forward pass'",
        )
        assert p.query_selector("#activity .katex")  # KaTeX in the instructions
    teacher.click("[data-open-step='1']")
    for p in pages:
        until(p, "document.querySelector('#activity [data-kind=network]')")
        until(p, "document.getElementById('btn-play').disabled")  # frozen while it is open
    ada, brook, cai = pages
    words = ada.text_content("#activity .quantity")
    assert "δ_k of output unit 0" in words and "probe sample" in words and "Eq. 5" in words
    assert ada.query_selector("details.activity-step[data-step='0']")  # step 1, collapsed
    # nothing of the answer in what the page read: the probe's δ is left out of its frames
    probe = ada.evaluate("window.__bpp.frame.probe")
    assert probe["layers"][-1].get("delta") is None

    # -- Ada answers right (δ_k from her own exported weights), with a decimal comma
    export = api(teacher, "GET", f"/api/sessions/{ada.evaluate('window.__bpp.sessionId')}/export")
    value = delta_k(export["json"], probe["input"], probe["target"])
    ada.fill("#answer-1", f"{value:.6f}".replace(".", ","))
    ada.click("#activity [data-kind=network] button[type=submit]")
    until(ada, "document.querySelector('#activity .feedback.right')")
    brook.fill("#answer-1", f"{value + 1:.4f}")
    brook.click("#activity [data-kind=network] button[type=submit]")
    until(brook, "document.querySelector('#activity .feedback.wrong')")
    assert "1 attempt left" in brook.text_content("#activity .feedback")
    until(ada, "!document.getElementById('btn-play').disabled")  # answered: thawed

    # -- the dashboard: 1 right, 1 wrong, 1 unanswered (read on the roster's own cadence)
    until(
        teacher,
        "['correct','incorrect','unanswered'].map((k) => document.querySelector("
        "`#step-results [data-count=${k}] b`)?.textContent).join('/') === '1/1/1'",
        timeout=30000,
    )
    for w, h in SIZES:
        cai.set_viewport_size({"width": w, "height": h})
        shoot(cai, f"seat-question-{w}x{h}.png")
        teacher.set_viewport_size({"width": w, "height": h})
        teacher.evaluate("document.getElementById('steps-panel').scrollIntoView()")
        shoot(teacher, f"dashboard-steps-{w}x{h}.png")
    assert violations(cai, "#activity") == []
    assert violations(teacher, "#steps-panel") == []

    # -- the reveal reaches all three pages (the stream's activity event)
    teacher.click("[data-reveal-step='1']")
    for p in pages:
        until(p, "document.querySelector('#activity [data-revealed]')")
        assert "Eq. 5" in p.text_content("#activity [data-revealed]")
    # Cai never answered: the reveal still shows δ_k of Cai's own network
    assert "Correct answer" in cai.text_content("#activity [data-revealed]")

    # -- snapshots: two students side by side, anonymous on the projector
    teacher.check(f"[data-snap-seat='{room_seat(teacher, base, 'Ada')}']")
    teacher.check(f"[data-snap-seat='{room_seat(teacher, base, 'Brook')}']")
    teacher.click("#snap-project")
    until(teacher, "document.querySelectorAll('#snapshots .snapshot').length === 2")
    until(teacher, "document.body.classList.contains('projector')")
    labels = teacher.eval_on_selector_all(
        "#snapshots .snapshot h2", "hs => hs.map(h => h.textContent)"
    )
    assert labels == ["A", "B"]
    until(teacher, "document.querySelector('#snapshots .snapshot svg')")
    shown = teacher.evaluate("document.body.innerText")
    for name in STUDENTS:
        assert name not in shown, f"{name} on the projector"
    for w, h in SIZES:
        teacher.set_viewport_size({"width": w, "height": h})
        teacher.wait_for_timeout(200)
        shoot(teacher, f"snapshots-projector-{w}x{h}.png")
        # read from the back of the room: every diagram label shown is at least 16 px tall
        small = teacher.evaluate(
            """() => [...document.querySelectorAll('#snapshots .snapshot svg')].flatMap((svg) => {
              const k = svg.getBoundingClientRect().width / svg.width.baseVal.value;
              return [...svg.querySelectorAll('text')]
                .filter((t) => t.getClientRects().length && getComputedStyle(t).display !== 'none'
                  && t.textContent.trim() && parseFloat(t.getAttribute('font-size')) * k < 16)
                .map((t) => t.textContent);
            })"""
        )
        assert not small, (w, small)
    assert violations(teacher, "#snapshots") == []

    # -- the answers CSV: a row per student for step 2
    teacher.click("#projector-exit")
    with teacher.expect_download() as download:
        teacher.click("#btn-answers-csv")
    csv_text = Path(download.value.path()).read_text()
    rows = [r for r in csv.DictReader(io.StringIO(csv_text)) if str(r.get("step")) in ("1", "2")]
    by_name = {r["name"]: r for r in rows if r.get("kind") == "network"}
    assert set(by_name) >= {"Ada", "Brook"}, rows
    assert by_name["Ada"]["correct"].lower() in ("yes", "true", "1")
    assert by_name["Brook"]["correct"].lower() in ("no", "false", "0")
    for p in (teacher, *pages):
        assert not p.errors, p.errors
    for ctx, _ in students:
        ctx.close()
    tctx.close()


def room_seat(teacher, base: str, name: str) -> str:
    seats = api(teacher, "GET", base)["json"]["seats"]
    return next(s["id"] for s in seats if s["name"] == name)


def select_values(card, field: str) -> list[str]:
    return card.locator(f"[data-field={field}] option").evaluate_all(
        "(os) => os.map((o) => o.value)"
    )


def test_the_step_editor_offers_layers_and_units_of_the_steps_own_network(
    classroom_server, browser
):
    """The playground holds a 2–2–1 network; step 2 has its own 2–4–3–1 setup and asks δ of
    hidden unit 3 in layer 1, step 3 continues with it: their lists are that network's."""
    url = classroom_server.url.rstrip("/")
    ctx, teacher = person(browser, (1024, 768))
    login(teacher, url)
    deep = {**XOR_TABLE, "network": {**XOR_TABLE["network"], "hidden_layers": [4, 3]}}
    deep["network"]["activations"] = ["sigmoid"] * 3
    net_q = {"kind": "network", "prompt": "δ?", "tolerance": 0.01, "sample": None}
    body = {
        "title": "Two networks",
        "setup": XOR_TABLE,
        "steps": [
            {
                "title": "small",
                "question": {**net_q, "quantity": {"name": "delta", "layer": 2, "unit": 0}},
            },
            {
                "title": "deep",
                "setup": deep,
                "question": {**net_q, "quantity": {"name": "delta", "layer": 1, "unit": 3}},
            },
            {
                "title": "on",
                "question": {
                    **net_q,
                    "quantity": {"name": "dE_dw", "layer": 3, "unit": 0, "source": 2},
                },
            },
        ],
    }
    made = api(teacher, "POST", "/api/lessons", body)
    assert made["status"] == 201, made
    teacher.goto(f"{url}/teach/new?lesson={made['json']['id']}")
    ready(teacher)
    until(teacher, "document.querySelectorAll('.step-card').length === 3")
    small, own, cont = (teacher.locator(".step-card").nth(i) for i in range(3))
    assert select_values(small, "layer") == ["1", "2"]  # the playground's 2–2–1
    assert select_values(small, "unit") == ["0"]
    assert select_values(own, "layer") == ["1", "2", "3"]  # the step's own 2–4–3–1
    assert select_values(own, "unit") == ["0", "1", "2", "3"]  # layer 1 of 2–4–3–1
    assert own.locator("[data-field=layer]").input_value() == "1"
    assert own.locator("[data-field=unit]").input_value() == "3"
    assert select_values(cont, "layer") == ["1", "2", "3"]  # continues with step 2's network
    assert cont.locator("[data-field=layer]").input_value() == "3"
    assert select_values(cont, "source") == ["0", "1", "2"]
    assert cont.locator("[data-field=source]").input_value() == "2"
    # back to "continue" on step 2: both follow the playground's network again
    own.locator("[data-field=continue]").check()
    assert select_values(own, "layer") == ["1", "2"] and select_values(cont, "layer") == ["1", "2"]
    assert not teacher.errors, teacher.errors
    ctx.close()


SELF_PACED = {
    "title": "At your own pace",
    "setup": XOR_TABLE,
    "locks": [],
    "steps": [
        {
            "title": "A number",
            "question": {"kind": "number", "prompt": "How many hidden units?", "answer": 2.5},
        },
        {
            "title": "Predict",
            "question": {
                "kind": "prediction",
                "prompt": "What happens to the loss when you press step?",
                "options": ["it falls", "it rises"],
            },
        },
        {
            "title": "Why",
            "question": {"kind": "text", "prompt": "Why does it?", "feedback": "reveal"},
        },
    ],
}


def heading(page) -> str:
    return page.text_content("#activity-heading") or ""


def test_a_self_paced_student_moves_through_number_prediction_and_text_steps(
    classroom_server, browser
):
    """Self-paced up to step 3: a student lands there, goes back with "previous" (the other
    steps read-only, "next" stops at the open step), answers a number with a decimal comma,
    records a prediction before pressing step and sees it beside what happened, and writes a
    text answer; the dashboard lists the texts with names, the projector without."""
    url = classroom_server.url.rstrip("/")
    tctx, teacher = person(browser, (1440, 900))
    login(teacher, url)
    made = api(teacher, "POST", "/api/lessons", SELF_PACED)
    assert made["status"] == 201, made
    room = api(teacher, "POST", "/api/classrooms", {"lesson_id": made["json"]["id"]})["json"]
    (actx, ann), (bctx, bo) = (
        join(browser, url, room["code"], n, (1024, 768)) for n in ("Ann", "Bo")
    )
    teacher.goto(f"{url}/classrooms/{room['id']}")
    until(teacher, "!document.getElementById('steps-panel').hidden")
    teacher.click("[data-self-step='2']")
    for p in (ann, bo):
        until(p, "document.getElementById('activity-heading')?.textContent.startsWith('Step 3')")
    assert "at your own pace" in heading(ann)
    assert ann.is_disabled("[data-step-next]") and not ann.is_disabled("[data-step-prev]")
    # the other steps are there, collapsed and read-only
    assert ann.locator("details.activity-step").count() == 2
    assert ann.locator("details.activity-step input").evaluate_all(
        "(xs) => xs.every((x) => x.disabled)"
    )

    ann.click("[data-step-prev]")
    until(ann, "document.getElementById('activity-heading').textContent.startsWith('Step 2')")
    ann.click("[data-step-prev]")
    until(ann, "document.getElementById('activity-heading').textContent.startsWith('Step 1')")
    assert ann.is_disabled("[data-step-prev]") and not ann.is_disabled("[data-step-next]")
    ann.fill("#answer-0", "2,5")
    ann.click("#activity [data-kind=number] button[type=submit]")
    until(ann, "document.querySelector('#activity .feedback.right')", 40000)

    # a prediction, recorded before the run, then beside what happened
    ann.click("[data-step-next]")
    until(ann, "document.querySelector('#activity .activity-body [data-kind=prediction]')")
    assert ann.is_disabled("details.activity-step[data-step='0'] #answer-0")  # read-only now
    ann.check("#answer-1-0")
    ann.click("#activity [data-kind=prediction] button[type=submit]")
    until(ann, "document.querySelector('#activity [data-what-happened]')")
    assert "Prediction recorded" in ann.text_content("#activity .activity-body .feedback")
    assert ann.is_checked("#answer-1-0")
    assert "epoch 0" in ann.text_content("[data-what-happened]")
    ann.click("#btn-step")
    until(ann, "/epoch [1-9]/.test(document.querySelector('[data-what-happened]').textContent)")

    # free text, from both students
    ann.click("[data-step-next]")
    until(ann, "document.querySelector('#activity .activity-body [data-kind=text]')")
    for p, text in ((ann, "The step goes down the gradient."), (bo, "It overshoots.")):
        p.fill("#answer-2", text)
        p.click("#activity [data-kind=text] button[type=submit]")
        until(
            p, "/Answer recorded/.test(document.querySelector('#activity .feedback').textContent)"
        )
    shoot(ann, "seat-self-paced-1024x768.png")

    # the dashboard lists the texts with names; the projector hides them
    until(teacher, "document.querySelectorAll('#step-results .texts li').length === 2", 30000)
    texts = teacher.text_content("#step-results .texts")
    assert "Ann: The step goes down the gradient." in texts and "Bo: It overshoots." in texts
    teacher.click("#btn-projector")
    until(teacher, "/Student A/.test(document.querySelector('#step-results .texts')?.textContent)")
    shown = teacher.text_content("#step-results")
    assert "Ann" not in shown and "Bo:" not in shown and "It overshoots." in shown
    shoot(teacher, "dashboard-texts-projector-1440x900.png")
    for p in (teacher, ann, bo):
        assert not p.errors, p.errors
    for ctx in (actx, bctx, tctx):
        ctx.close()
