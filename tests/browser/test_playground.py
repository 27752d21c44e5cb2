"""The playground page in a real browser (issue 4, "Tests"): drawing, training, inspector,
derivation mode, URL state, export/import, reconnection, errors, and the render benchmark."""

from __future__ import annotations

import json
import time
import urllib.error

import pytest

from .conftest import ARTIFACTS, FRAME_FORMS, open_playground, paused_epoch, rest, shot

pytestmark = pytest.mark.browser


def counts(pg) -> dict:
    return pg.evaluate("window.__bpp.counts()")


def expected(layers: list[int]) -> tuple[int, int]:
    return sum(layers), sum(a * b for a, b in zip(layers, layers[1:], strict=False))


def click_diagram(pg, x: float, y: float) -> None:
    box = pg.locator("#diagram").bounding_box()
    pg.mouse.click(box["x"] + x, box["y"] + y)


def test_default_network_draws_its_units_and_edges_and_redraws_on_change(page):
    open_playground(page)
    c = counts(page)
    assert c["layers"] == [2, 4, 2, 1]
    assert (c["units"], c["edges"]) == expected([2, 4, 2, 1])
    page.click('[data-units="+1"]')
    page.wait_for_function("window.__bpp.counts().layers.join() === '2,5,2,1'")
    assert (counts(page)["units"], counts(page)["edges"]) == expected([2, 5, 2, 1])
    page.click("#btn-add-layer")
    page.wait_for_function("window.__bpp.counts().layers.length === 5")
    c = counts(page)
    assert (c["units"], c["edges"]) == expected(c["layers"])
    page.click("#btn-remove-layer")
    page.click("#btn-remove-layer")
    page.wait_for_function("window.__bpp.counts().layers.join() === '2,5,1'")
    assert counts(page)["edges"] == 2 * 5 + 5 * 1


@pytest.mark.parametrize("frames", FRAME_FORMS)
def test_play_raises_the_epoch_and_lowers_the_loss_and_pause_stops_it(page, frames):
    open_playground(page, "#dataset=gaussian&lr=0.1", frames)
    first = float(page.inner_text("#loss-train"))
    page.keyboard.press("Space")
    page.wait_for_function(
        "Number(document.getElementById('epoch').textContent) > 30", timeout=15000
    )
    time.sleep(1.0)
    shot(page, "playground-training.png")
    page.keyboard.press("Space")
    epoch = paused_epoch(page)
    loss = float(page.inner_text("#loss-train"))
    assert epoch > 30
    assert loss < first
    time.sleep(1.0)
    assert int(page.inner_text("#epoch")) == epoch, "pause did not stop training"
    page.keyboard.press("ArrowRight")
    page.wait_for_function(f"Number(document.getElementById('epoch').textContent) === {epoch + 1}")


@pytest.mark.parametrize("frames", FRAME_FORMS)
def test_unit_inspector_shows_the_servers_delta_for_the_probe(page, frames):
    open_playground(page, frames=frames)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    x, y = page.evaluate("window.__bpp.unitCenter(1, 2)")
    click_diagram(page, x, y)
    shown = page.inner_text('#inspector [data-q="δ"]')
    state = rest(page, "GET", f"/api/sessions/{page.evaluate('window.__bpp.sessionId')}")
    delta = state["frame"]["probe"]["layers"][0]["delta"][2]
    assert float(shown) == pytest.approx(delta, rel=1e-3, abs=5e-5)
    assert page.locator("#inspector .katex").count() >= 2  # Eq. 14, symbolic and filled in
    assert "14" in page.inner_text("#inspector")


def test_weight_inspector_shows_the_servers_gradient_for_the_probe(page):
    open_playground(page)
    x, y = page.evaluate("window.__bpp.edgePoint(1, 1, 0)")
    click_diagram(page, x, y)
    page.wait_for_function(
        "(() => { const e = document.querySelector('#inspector [data-q=\"∂E/∂w\"]');"
        " return e && e.textContent !== '…'; })()"
    )
    shown = float(page.inner_text('#inspector [data-q="∂E/∂w"]'))
    sid = page.evaluate("window.__bpp.sessionId")
    probe = rest(page, "GET", f"/api/sessions/{sid}")["frame"]["probe"]
    trace = rest(
        page,
        "POST",
        f"/api/sessions/{sid}/predict",
        {"inputs": [probe["input"]], "targets": [probe["target"]]},
    )
    assert shown == pytest.approx(trace["gradients"]["weights"][1][1][0], rel=1e-3, abs=5e-5)
    assert "w" in page.inner_text("#inspector .insp-head")


def test_editing_a_weight_updates_the_session_on_the_server(page):
    open_playground(page)
    x, y = page.evaluate("window.__bpp.edgePoint(0, 0, 1)")
    click_diagram(page, x, y)
    assert page.evaluate("window.__bpp.selection") == {"kind": "weight", "layer": 0, "i": 0, "j": 1}
    page.fill("#edit-param", "0.625")
    page.press("#edit-param", "Enter")
    sid = page.evaluate("window.__bpp.sessionId")
    deadline = time.monotonic() + 5
    while rest(page, "GET", f"/api/sessions/{sid}")["frame"]["weights"][0][0][1] != 0.625:
        assert time.monotonic() < deadline, "weight edit did not reach the server"
        time.sleep(0.1)


def test_derivation_mode_walks_every_stage_forward_and_back(page):
    open_playground(page)
    page.click("#btn-step-sample")
    page.wait_for_selector("#deriv-stage")
    layers = len(counts(page)["layers"]) - 1
    # input, forward per layer, E, δ out, δ per hidden layer, gradients, update
    n = 1 + layers + 1 + 1 + (layers - 1) + 1 + 1
    titles = [page.inner_text("#deriv-stage")]
    for _ in range(n - 1):
        page.click("#deriv-next")
        titles.append(page.inner_text("#deriv-stage"))
    assert page.is_disabled("#deriv-next")
    assert titles[0].startswith(f"1/{n}") and titles[-1].startswith(f"{n}/{n}")
    assert any("Error E" in t for t in titles) and any("Update" in t for t in titles)
    shot(page, "playground-derivation.png")
    for _ in range(n - 1):
        page.click("#deriv-prev")
    assert page.inner_text("#deriv-stage").startswith(f"1/{n}")
    assert page.is_disabled("#deriv-prev")


def test_a_configuration_url_is_restored_after_reload(page):
    open_playground(
        page, "#dataset=xor&hidden=3,3,2&activations=relu,tanh,sigmoid,tanh&lr=0.1&batch=5"
    )
    page.reload()
    page.wait_for_function("window.__bpp && window.__bpp.ready", timeout=20000)
    assert counts(page)["layers"] == [2, 3, 3, 2, 1]
    sid = page.evaluate("window.__bpp.sessionId")
    cfg = rest(page, "GET", f"/api/sessions/{sid}")["config"]
    assert cfg["dataset"]["name"] == "xor"
    assert cfg["network"]["activations"] == ["relu", "tanh", "sigmoid", "tanh"]
    assert cfg["training"]["learning_rate"] == 0.1 and cfg["training"]["batch_size"] == 5
    assert page.input_value("#batch") == "5"
    assert page.get_attribute('.dataset-btn[data-dataset="xor"]', "aria-checked") == "true"


def test_export_and_import_round_trip_the_network(page):
    open_playground(page)
    page.click("#btn-step")
    page.wait_for_function("Number(document.getElementById('epoch').textContent) === 1")
    with page.expect_download() as dl:
        page.click("#btn-json")
    doc = json.loads(open(dl.value.path()).read())
    old = page.evaluate("window.__bpp.sessionId")
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "network.json"
    path.write_text(json.dumps(doc))
    page.set_input_files("#import-file", str(path))
    page.wait_for_function(f"window.__bpp.sessionId && window.__bpp.sessionId !== '{old}'")
    new = rest(page, "GET", f"/api/sessions/{page.evaluate('window.__bpp.sessionId')}")
    assert new["frame"]["weights"] == doc["network"]["weights"]
    with page.expect_download() as dl:
        page.click("#btn-csv")
    assert open(dl.value.path()).readline().strip() == "epoch,train_loss,test_loss"
    with page.expect_download() as dl:
        page.click("#btn-svg")
    assert open(dl.value.path()).read().startswith("<svg")


def test_a_dropped_websocket_reconnects_and_resumes(page):
    open_playground(page)
    seen = page.evaluate("window.__bpp.framesSeen")
    page.evaluate("window.__bpp.dropSocket()")
    page.wait_for_function("document.getElementById('conn').textContent !== 'live'")
    page.wait_for_function("document.getElementById('conn').textContent === 'live'", timeout=10000)
    page.click("#btn-step")
    page.wait_for_function(f"window.__bpp.framesSeen > {seen + 1}")


def test_a_server_error_shows_next_to_the_control_that_caused_it(page):
    open_playground(page)
    page.fill("#n", "999999")
    page.press("#n", "Tab")
    slot = page.locator('[data-err="dataset"]')
    slot.wait_for(state="visible")
    assert "dataset.n" in slot.inner_text() or "samples" in slot.inner_text()
    assert counts(page)["layers"] == [2, 4, 2, 1]  # the old session keeps running
    # Chromium logs the refused request itself; that one 422 is the point of this test
    page.errors[:] = [e for e in page.errors if "status of 422" not in e]


def test_render_benchmark_reports_main_thread_ms_for_the_largest_network(page):
    open_playground(page)
    r = page.evaluate("window.__bpp.benchRender(40)")
    limits = page.evaluate("window.__bpp.app.catalog.limits")
    assert r["units"] == 2 + limits["max_hidden_layers"] * limits["max_units_per_layer"] + 1
    assert r["edges"] > 0 and r["median_ms"] > 0
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "render-benchmark.json").write_text(json.dumps(r, indent=1))
    print(f"render benchmark: {r}")


def test_a_shared_live_link_lets_another_browser_watch_the_same_session(page, browser, server):
    open_playground(page, "#dataset=gaussian&lr=0.1")
    sid = page.evaluate("window.__bpp.sessionId")
    url = page.evaluate("window.__bpp.shareLive()")
    assert url.endswith(f"#join={sid}")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    try:
        watcher = context.new_page()
        errors = []
        watcher.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        watcher.base = server
        open_playground(watcher, f"#join={sid}")
        assert watcher.evaluate("window.__bpp.sessionId") == sid
        assert watcher.evaluate("window.__bpp.state.get('dataset')") == "gaussian"
        page.keyboard.press("Space")  # the owner plays; the watcher sees the epochs go by
        watcher.wait_for_function(
            "Number(document.getElementById('epoch').textContent) > 20", timeout=15000
        )
        page.keyboard.press("Space")
        # The watcher changes the network: it gets a session of its own; the shared one lives on.
        watcher.click('[data-units="+1"]')
        watcher.wait_for_function(f"window.__bpp.sessionId !== '{sid}'")
        assert rest(page, "GET", f"/api/sessions/{sid}")["id"] == sid
        assert "join=" not in watcher.evaluate("location.hash")
        assert errors == []
    finally:
        context.close()


def test_at_1024x768_nothing_overflows_and_a_click_on_the_smaller_plot_picks_its_point(
    browser, server
):
    """A 1024×768 projector: the page fits its width, and the output plot (drawn smaller there)
    still maps a click to the data point under it."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, bypass_csp=True)
    try:
        pg = context.new_page()
        pg.base = server
        open_playground(pg)
        assert pg.evaluate("document.documentElement.scrollWidth") <= 1024
        # the most isolated training point, and where it is on screen
        idx, x, y = pg.evaluate(
            """(() => {
              const p = window.__bpp.app.plot, pts = p.data.train.points;
              let best = 0, bestD = -1;
              pts.forEach((a, i) => {
                let d = Infinity;
                pts.forEach((b, k) => {
                  if (k !== i) d = Math.min(d, (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2);
                });
                if (d > bestD) { bestD = d; best = i; }
              });
              const [px, py] = p._xy(pts[best]);
              const r = p.pts.getBoundingClientRect(), size = p.pts.clientWidth;
              return [best, r.left + px * r.width / size, r.top + py * r.height / size];
            })()"""
        )
        pg.mouse.click(x, y)
        pg.wait_for_function(f"window.__bpp.frame.probe.index === {idx}", timeout=5000)
    finally:
        context.close()


@pytest.mark.parametrize("frames", FRAME_FORMS)
def test_one_dimensional_data_draw_each_units_curve_and_the_networks_output(page, frames):
    open_playground(page, "#dataset=sine", frames)
    assert page.is_hidden("#output-section")
    assert page.is_visible("#curve-section")
    # every hidden unit's box holds a drawn curve (dark pixels of the line), not a blank canvas
    dark = page.evaluate(
        """(() => window.__bpp.app.diagram.maps[1].map((c) => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] < 80 && d[i + 2] < 120) n++;
              return n; }))()"""
    )
    assert len(dark) == 4 and all(n > 20 for n in dark)


def test_changing_the_learning_rate_live_reaches_the_running_session(page):
    open_playground(page)
    sid = page.evaluate("window.__bpp.sessionId")
    options = page.eval_on_selector_all("#lr option", "os => os.map(o => o.value)")
    new = next(v for v in options if float(v) != 0.03)
    page.select_option("#lr", new)
    deadline = time.monotonic() + 5
    while rest(page, "GET", f"/api/sessions/{sid}")["config"]["training"]["learning_rate"] != float(
        new
    ):
        assert time.monotonic() < deadline, "the live learning-rate change did not reach the server"
        time.sleep(0.1)
    assert page.evaluate("window.__bpp.sessionId") == sid  # the same session, weights kept
    assert page.inner_text('[data-err="training.learning_rate"]') == ""


def test_paced_play_steps_one_epoch_at_a_time_and_stops_at_pause(page):
    open_playground(page)
    page.select_option("#speed", "5")
    page.keyboard.press("Space")
    page.wait_for_function(
        "Number(document.getElementById('epoch').textContent) >= 3", timeout=10000
    )
    page.keyboard.press("Space")
    time.sleep(0.5)  # a step sent just before the pause may still come back (one epoch more)
    epoch = paused_epoch(page)
    time.sleep(1.2)
    assert int(page.inner_text("#epoch")) == epoch, "steps went on after pause"


def test_closing_the_tab_deletes_the_session_it_created(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    pg = context.new_page()
    pg.base = server
    open_playground(pg)
    sid = pg.evaluate("window.__bpp.sessionId")
    pg.close(run_before_unload=True)
    context.close()
    deadline = time.monotonic() + 5
    while True:
        try:
            rest(pg, "GET", f"/api/sessions/{sid}")
        except urllib.error.HTTPError as err:
            assert err.code == 404
            break
        assert time.monotonic() < deadline, "the closed tab's session is still there"
        time.sleep(0.1)


def test_a_diverging_network_stops_and_says_so(page):
    open_playground(page, "#dataset=plane&activations=relu,relu,linear&lr=50&batch=1")
    page.keyboard.press("Space")
    page.wait_for_function(
        "document.getElementById('toast').textContent.includes('diverged')", timeout=15000
    )
    sid = page.evaluate("window.__bpp.sessionId")
    assert rest(page, "GET", f"/api/sessions/{sid}")["status"] == "diverged"
    assert "running" not in page.get_attribute("#btn-play", "class")
    assert page.inner_text("#loss-train") not in ("NaN", "Infinity")
