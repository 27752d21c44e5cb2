"""Issue 11 "Build": the trained network as code, gradient flow, stop condition and confusion
matrix, your own data — each driven through the page in a real browser."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error

import numpy as np
import pytest

from .conftest import open_playground, rest, shot

pytestmark = pytest.mark.browser


def test_the_py_button_downloads_a_script_that_reproduces_the_servers_outputs(page, tmp_path):
    open_playground(page)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    with page.expect_download() as dl:
        page.click("#btn-code-numpy")
    assert dl.value.suggested_filename == "network_numpy.py"
    script = tmp_path / "network.py"
    script.write_text(open(dl.value.path()).read())
    X = [[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]]
    out = subprocess.run(
        [sys.executable, str(script)],
        input=json.dumps(X),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    sid = page.evaluate("window.__bpp.sessionId")
    expected = rest(page, "POST", f"/api/sessions/{sid}/predict", {"inputs": X})["outputs"]
    np.testing.assert_allclose(json.loads(out.stdout), expected, rtol=0, atol=1e-12)
    with page.expect_download() as dl:
        page.click("#btn-code-torch")
    assert "class Network(nn.Module)" in open(dl.value.path()).read()


def create_deep(pg, activation: str) -> str:
    body = {
        "network": {"hidden_layers": [8] * 6, "activations": [activation] * 6 + ["tanh"]},
        "dataset": {"name": "circle", "n": 200},
    }
    old = pg.evaluate("window.__bpp.sessionId")
    pg.evaluate("(b) => window.__bpp.app.createSession(b)", body)
    pg.wait_for_function(f"window.__bpp.sessionId && window.__bpp.sessionId !== '{old}'")
    pg.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return pg.evaluate("window.__bpp.sessionId")


def flow_drawn(pg) -> dict:
    """What the gradient-flow chart holds: its measure and the data it plots."""
    return pg.evaluate(
        "(() => { const c = window.__bpp.app.extras.flow;"
        " return {measure: c.measure, data: c.data(), legend:"
        " [...document.querySelectorAll('#gradflow-chart .u-legend .u-label')]"
        ".map(e => e.textContent)}; })()"
    )


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)], ids=["1024x768", "1440x900"])
def test_gradient_flow_chart_shows_the_servers_per_layer_values_on_a_log_scale(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_playground(page)
    curves = {}
    for activation in ("relu", "sigmoid"):
        sid = create_deep(page, activation)
        for _ in range(3):
            page.click("#btn-step")
        page.wait_for_function("Number(document.getElementById('epoch').textContent) === 3")
        page.wait_for_function(
            "(window.__bpp.app.extras.flow.flow?.epoch.at(-1)) === 3",
            timeout=10000,
        )
        drawn = flow_drawn(page)
        flow = rest(page, "GET", f"/api/sessions/{sid}/history")["gradient_flow"]
        assert drawn["measure"] == "delta"
        assert drawn["data"][0] == flow["epoch"]
        for l in range(7):  # every layer's line is the server's number
            assert drawn["data"][l + 1] == [row[l] for row in flow["delta"]]
        assert drawn["legend"][1:] == ["L1", "L2", "L3", "L4", "L5", "L6", "out"]
        assert page.evaluate("window.__bpp.app.extras.flow.plot.scales.y.distr") == 3  # log
        curves[activation] = flow["delta"][-1]
        page.locator("#gradflow-section").scroll_into_view_if_needed()
        shot(page, f"gradflow-{activation}-{size[0]}x{size[1]}.png")
    # vanishing: six sigmoid layers lose orders of magnitude more of δ on the way to layer 1
    sig, relu = curves["sigmoid"], curves["relu"]
    assert sig[0] / sig[-1] < 1e-2 * (relu[0] / relu[-1])
    page.click("#gradflow-grad")
    drawn = flow_drawn(page)
    flow = rest(page, "GET", f"/api/sessions/{page.evaluate('window.__bpp.sessionId')}/history")
    assert drawn["measure"] == "grad"
    assert drawn["data"][1] == [row[0] for row in flow["gradient_flow"]["grad_w"]]
    box = page.locator("#gradflow-section").bounding_box()
    chart = page.locator("#gradflow-chart").bounding_box()
    assert chart["x"] + chart["width"] <= box["x"] + box["width"] + 1  # not clipped sideways


def test_the_backward_view_draws_edges_by_the_gradient(page):
    open_playground(page)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    pixels = "document.querySelector('#diagram canvas').toDataURL()"
    forward = page.evaluate(pixels)
    page.click("#view-backward")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__bpp.app.diagram.view") == "backward"
    assert page.evaluate(pixels) != forward


def cells(pg) -> list[list[int]]:
    return pg.evaluate(
        "[...document.querySelectorAll('#confusion tbody tr')]"
        ".map(tr => [...tr.querySelectorAll('td')].map(td => Number(td.textContent)))"
    )


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)], ids=["1024x768", "1440x900"])
def test_play_stops_at_the_stop_epoch_and_the_confusion_matrix_is_the_servers(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_playground(page)
    sid = page.evaluate("window.__bpp.sessionId")
    assert page.is_visible("#confusion-section")  # circle: classification
    page.fill("#stop-epochs", "12")
    page.dispatch_event("#stop-epochs", "change")
    page.wait_for_function("true")
    for _ in range(50):
        if rest(page, "GET", f"/api/sessions/{sid}")["config"]["stop"] == {"max_epochs": 12}:
            break
        page.wait_for_timeout(100)
    page.select_option("#speed", "0")  # max: the trainer plays on its own
    page.click("#btn-play")
    page.wait_for_function(
        "document.getElementById('stop-note').textContent.includes('max_epochs')", timeout=15000
    )
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 12")
    assert page.evaluate("window.__bpp.app.running") is False
    state = rest(page, "GET", f"/api/sessions/{sid}")
    assert state["epoch"] == 12 and state["status"] == "paused"
    page.wait_for_function("document.getElementById('confusion').dataset.epoch === '12'")
    confusion = rest(page, "GET", f"/api/sessions/{sid}/confusion")
    assert cells(page) == confusion["test"]
    page.click("#confusion-train")
    assert cells(page) == confusion["train"]
    # play again: the trainer refuses, and the page says why next to the stop inputs
    page.click("#btn-play")
    page.wait_for_function(
        "document.querySelector('[data-err=\"stop\"]').textContent.includes('stop condition')"
    )
    assert rest(page, "GET", f"/api/sessions/{sid}")["epoch"] == 12
    page.locator("#confusion-section").scroll_into_view_if_needed()
    shot(page, f"stop-confusion-{size[0]}x{size[1]}.png")
    # a bad value is refused by the server, naming the field
    page.fill("#stop-epochs", "0")
    page.dispatch_event("#stop-epochs", "change")
    page.wait_for_function(
        "document.querySelector('[data-err=\"stop\"]').textContent"
        ".includes('max_epochs: Input should be greater')"
    )
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]  # that refusal


def test_regression_hides_the_confusion_matrix(page):
    open_playground(page, "#dataset=plane")
    page.wait_for_function("window.__bpp.app.session.data.task === 'regression'")
    assert not page.is_visible("#confusion-section")


def two_blobs_csv(n: int = 40) -> str:
    rng = np.random.default_rng(3)
    lines = ["x1,x2,label"]
    for k in range(n):
        c = k % 2
        x, y = rng.normal(2.0 if c else -2.0, 0.6, size=2)
        lines.append(f"{x:.4f},{y:.4f},{c}")
    return "\n".join(lines) + "\n"


def new_session_after(pg, old: str) -> str:
    pg.wait_for_function(f"window.__bpp.sessionId && window.__bpp.sessionId !== '{old}'")
    pg.wait_for_function("document.getElementById('conn').textContent === 'live'")
    return pg.evaluate("window.__bpp.sessionId")


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)], ids=["1024x768", "1440x900"])
def test_a_csv_upload_becomes_the_sessions_data(page, tmp_path, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_playground(page)
    text = two_blobs_csv()
    path = tmp_path / "blobs.csv"
    path.write_text(text)
    old = page.evaluate("window.__bpp.sessionId")
    page.set_input_files("#csv-file", str(path))
    page.wait_for_selector("#csv-dialog[open]")
    roles = page.eval_on_selector_all("#csv-columns select", "els => els.map(e => e.value)")
    assert roles == ["input", "input", "target"]
    assert "40 rows, 3 columns" in page.text_content("#csv-summary")
    shot(page, f"csv-dialog-{size[0]}x{size[1]}.png")
    box = page.locator("#csv-dialog").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= size[0] and box["y"] + box["height"] <= size[1]
    # no target column: the server says so, in the dialog
    page.select_option("#csv-columns select[data-column=label]", "ignore")
    page.click("#csv-use")
    page.wait_for_function("document.getElementById('csv-err').textContent.includes('target')")
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]
    page.select_option("#csv-columns select[data-column=label]", "target")
    page.click("#csv-use")
    sid = new_session_after(page, old)
    page.wait_for_selector("#csv-dialog", state="hidden")
    state = rest(page, "GET", f"/api/sessions/{sid}")
    rows = [[float(v) for v in line.split(",")] for line in text.splitlines()[1:]]
    assert state["config"]["dataset"]["name"] == "inline"
    assert state["data"]["train"]["points"] == [r[:2] for r in rows]
    assert state["data"]["task"] == "classification"
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    page.wait_for_function("document.getElementById('confusion').dataset.epoch === '1'")
    assert cells(page) == rest(page, "GET", f"/api/sessions/{sid}/confusion")["test"]
    assert "40 samples, 2 inputs, 1 target" in page.text_content("#own-data-note")
    page.locator("#output-section").scroll_into_view_if_needed()
    shot(page, f"csv-trained-{size[0]}x{size[1]}.png")
    # a change of network keeps the uploaded data
    page.click("#btn-add-layer")
    sid2 = new_session_after(page, sid)
    assert rest(page, "GET", f"/api/sessions/{sid2}")["data"]["train"]["points"] == [
        r[:2] for r in rows
    ]


def test_a_bad_csv_file_is_refused_naming_line_and_column(page, tmp_path):
    open_playground(page)
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,0\n3,abc,1\n")
    page.set_input_files("#csv-file", str(path))
    page.wait_for_function(
        "document.querySelector('[data-err=\"dataset\"]').textContent"
        ".includes(\"line 3, column 2 ('x2'): 'abc' is not a number\")"
    )
    assert not page.is_visible("#csv-dialog")
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]


def test_clicking_the_plane_adds_and_removes_samples(page):
    open_playground(page, "#dataset=gaussian&n=40")
    page.wait_for_function("window.__bpp.app.session.config.dataset.name === 'gaussian'")
    sid = page.evaluate("window.__bpp.sessionId")
    n = len(rest(page, "GET", f"/api/sessions/{sid}")["data"]["train"]["points"])
    page.check("#edit-points")
    page.select_option("#edit-class", "1")
    plot = page.locator("#output-plot").bounding_box()
    x, y = plot["x"] + plot["width"] * 0.93, plot["y"] + plot["height"] * 0.07  # a free corner
    page.mouse.click(x, y)
    sid2 = new_session_after(page, sid)
    added = rest(page, "GET", f"/api/sessions/{sid2}")
    assert added["config"]["dataset"]["name"] == "inline"
    assert len(added["data"]["train"]["points"]) == 41  # all 40 samples (train and test) ...
    assert added["config"]["dataset"]["targets"][-1] == [1.0]  # ... the last one is new
    assert n == 20
    new_point = added["data"]["train"]["points"][-1]
    assert new_point[0] > 0 and new_point[1] > 0  # top right of the plane
    # clicking that sample removes it (the plane's scale follows the data: find it again)
    page.wait_for_timeout(300)
    dom = added["data"]["domain"]
    u = (new_point[0] - dom[0][0]) / (dom[0][1] - dom[0][0])
    v = (dom[1][1] - new_point[1]) / (dom[1][1] - dom[1][0])
    plot = page.locator("#output-plot").bounding_box()
    page.mouse.click(plot["x"] + u * plot["width"], plot["y"] + v * plot["height"])
    sid3 = new_session_after(page, sid2)
    removed = rest(page, "GET", f"/api/sessions/{sid3}")
    assert len(removed["data"]["train"]["points"]) == 40
    assert new_point not in removed["data"]["train"]["points"]


def fmt4(x: float) -> str:
    """util.js fmt(x) for |x| in [1e-3, 1e5): four decimals."""
    return f"{x:.4f}"


def scrub_to(pg, index: int) -> None:
    pg.evaluate(
        "(k) => { const s = document.getElementById('replay'); s.value = String(k);"
        " s.dispatchEvent(new Event('input')); }",
        index,
    )


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)], ids=["1024x768", "1440x900"])
def test_replay_shows_the_network_as_it_was(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_playground(page)
    sid = page.evaluate("window.__bpp.sessionId")
    rest(page, "POST", f"/api/sessions/{sid}/train", {"epochs": 20})
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 20")
    page.wait_for_function("document.getElementById('replay').max === '20'", timeout=10000)
    page.evaluate("window.__bpp.app.select({kind: 'unit', layer: 1, j: 0})")
    live_plot = page.evaluate("document.querySelector('#output-plot canvas').toDataURL()")
    scrub_to(page, 5)
    page.wait_for_function(
        "document.getElementById('replay-label').textContent.startsWith('replay: epoch 5 of')"
    )
    then = rest(page, "GET", f"/api/sessions/{sid}/replay/5")
    shown = page.evaluate("window.__bpp.frame")
    assert shown["replay"] is True and shown["weights"] == then["weights"]
    assert page.evaluate("window.__bpp.app.diagram.frame.epoch") == 5  # the diagram draws it
    assert page.text_content("#epoch") == "5"
    assert page.text_content("#loss-train") == fmt4(then["loss"]["train"])
    a = then["probe"]["layers"][0]["a"][0]
    assert fmt4(a) in page.text_content("#inspector")  # the inspector, as it was
    replay_plot = page.evaluate("document.querySelector('#output-plot canvas').toDataURL()")
    assert replay_plot != live_plot  # the output heatmap, as it was
    assert rest(page, "GET", f"/api/sessions/{sid}")["epoch"] == 20  # nothing trained back
    page.locator("#replay-bar").scroll_into_view_if_needed()
    shot(page, f"replay-{size[0]}x{size[1]}.png")
    bar = page.locator("#replay-bar").bounding_box()
    label = page.locator("#replay-label").bounding_box()
    assert label["x"] + label["width"] <= bar["x"] + bar["width"] + 1
    page.click("#replay-live")
    page.wait_for_function("document.getElementById('epoch').textContent === '20'")
    assert page.evaluate("window.__bpp.frame.replay") is None
    # training on ends a replay
    scrub_to(page, 2)
    page.wait_for_function("document.getElementById('epoch').textContent === '2'")
    page.click("#btn-step")
    page.wait_for_function("document.getElementById('epoch').textContent === '21'")
    assert not page.evaluate("window.__bpp.app.extras.replay.active")


@pytest.mark.parametrize("size", [(1024, 768), (1440, 900)], ids=["1024x768", "1440x900"])
def test_compare_trains_a_duplicate_with_one_change_in_lockstep(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_playground(page)
    a = page.evaluate("window.__bpp.sessionId")
    rest(page, "POST", f"/api/sessions/{a}/train", {"epochs": 4})
    page.click("#btn-compare")
    page.select_option("#compare-field", "learning_rate")
    page.select_option("#compare-value", "0.3")
    page.click("#compare-start")
    page.wait_for_function("window.__bpp.app.extras.compare.active")
    b = page.evaluate("window.__bpp.app.extras.compare.b.id")
    state_b = rest(page, "GET", f"/api/sessions/{b}")
    assert state_b["config"]["training"]["learning_rate"] == 0.3
    assert rest(page, "GET", f"/api/sessions/{a}")["epoch"] == 0  # both start at epoch 0
    assert (
        state_b["frame"]["weights"] == rest(page, "GET", f"/api/sessions/{a}")["frame"]["weights"]
    )
    for epoch in (1, 2, 3):
        page.click("#compare-step")
        both = " && ".join(
            f"document.getElementById('compare-stat-{k}').textContent.startsWith('epoch {epoch} ')"
            for k in "ab"
        )
        page.wait_for_function(both)
    fa = rest(page, "GET", f"/api/sessions/{a}")["frame"]
    fb = rest(page, "GET", f"/api/sessions/{b}")["frame"]
    assert f"train {fmt4(fa['loss']['train'])}" in page.text_content("#compare-stat-a")
    assert f"train {fmt4(fb['loss']['train'])}" in page.text_content("#compare-stat-b")
    assert fa["loss"]["train"] != fb["loss"]["train"]
    page.click("#compare-play")
    page.wait_for_function(
        "document.getElementById('compare-stat-a').textContent.match(/epoch (\\d+)/)[1] >= 12",
        timeout=15000,
    )
    page.click("#compare-play")  # pause both
    page.wait_for_timeout(500)
    ea = rest(page, "GET", f"/api/sessions/{a}")["epoch"]
    eb = rest(page, "GET", f"/api/sessions/{b}")["epoch"]
    assert ea == eb >= 12  # lockstep
    chart = page.evaluate("window.__bpp.app.extras.compare.chart.data")
    assert chart[0][:4] == [0, 1, 2, 3]  # one point per lockstep epoch
    k = chart[0].index(3)
    history_b = rest(page, "GET", f"/api/sessions/{b}/history")
    assert chart[3][k] == history_b["train"][history_b["epoch"].index(3)]  # B's engine number
    counts_b = page.evaluate("window.__bpp.app.extras.compare.diagram_b.counts()")
    assert counts_b["layers"] == [2, 4, 2, 1]
    shot(page, f"compare-{size[0]}x{size[1]}.png")
    for el in ("#compare-diagram-a", "#compare-diagram-b"):
        box = page.locator(el).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= size[0]  # not clipped sideways
    da = page.locator("#compare-diagram-a").bounding_box()
    db = page.locator("#compare-diagram-b").bounding_box()
    assert da["x"] + da["width"] <= db["x"]  # side by side, no overlap
    page.click("#compare-close")
    page.wait_for_function("!window.__bpp.app.extras.compare.active")
    # B is deleted (the page sends the DELETE as it closes, without waiting for the answer)
    deadline = time.monotonic() + 10
    with pytest.raises(urllib.error.HTTPError):
        while time.monotonic() < deadline:
            rest(page, "GET", f"/api/sessions/{b}")
            time.sleep(0.1)
    assert rest(page, "GET", f"/api/sessions/{a}")["epoch"] == ea  # A stays


def poll(pg, expression: str, timeout: float = 15.0) -> None:
    """wait_for_function without eval (a page under its CSP refuses Playwright's predicate)."""
    deadline = time.monotonic() + timeout
    while not pg.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def test_the_new_widgets_run_under_the_content_security_policy(browser, server, tmp_path):
    """Gradient flow, confusion matrix, stop condition, CSV dialog, replay and compare with the
    page's policy enforced (the other tests bypass it): not one violation."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = context.new_page()
    messages: list[str] = []
    pg.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: messages.append(str(e)))
    pg.base = server
    pg.goto(server + "/")
    poll(pg, "window.__bpp && window.__bpp.ready")
    sid = pg.evaluate("window.__bpp.sessionId")
    rest(pg, "POST", f"/api/sessions/{sid}/train", {"epochs": 6})
    poll(pg, "document.querySelectorAll('#confusion td').length === 4")
    poll(pg, "window.__bpp.app.extras.flow.flow?.epoch.length === 7")
    poll(pg, "document.getElementById('replay').max === '6'")
    scrub_to(pg, 2)
    poll(pg, "document.getElementById('epoch').textContent === '2'")
    pg.click("#replay-live")
    path = tmp_path / "data.csv"
    path.write_text(two_blobs_csv(10))
    pg.set_input_files("#csv-file", str(path))
    poll(pg, "document.getElementById('csv-dialog').open")
    pg.click("#csv-use")
    poll(pg, f"window.__bpp.sessionId !== '{sid}'")
    sid2 = pg.evaluate("window.__bpp.sessionId")
    pg.click("#btn-compare")
    pg.click("#compare-start")
    poll(pg, "window.__bpp.app.extras.compare.active")
    pg.click("#compare-step")
    poll(pg, "document.getElementById('compare-stat-b').textContent.startsWith('epoch 1 ')")
    pg.click("#compare-close")
    assert rest(pg, "GET", f"/api/sessions/{sid2}")["config"]["dataset"]["name"] == "inline"
    context.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages
    assert not messages, messages
