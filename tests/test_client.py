"""The Python client (backprop_playground) against the real server: a subprocess started like a
user would (tests/support/server.py) and the in-process server of ``Playground.local()``. Every
method, every error mapping, the stream with pause and resume, a job's progress and cancel,
the async client, and the refusal of an incompatible server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

import backprop_playground
from app.version import API_VERSION as SERVER_API_VERSION
from app.version import HEADER
from backprop_playground import (
    AsyncPlayground,
    CommandRefused,
    Conflict,
    Forbidden,
    Frame,
    IncompatibleServer,
    Invalid,
    Job,
    NotFound,
    Playground,
    PlaygroundError,
    SampleStep,
    ServerError,
    Status,
    TooLarge,
    TooManyRequests,
    Unavailable,
    UnsupportedMediaType,
)
from backprop_playground import client as client_module
from backprop_playground.client import Call
from backprop_playground.errors import from_response
from tests.support.server import start_server
from tests.support.waiting import wait_for

SMALL = {"hidden": [3], "dataset": {"name": "xor", "n": 40}, "batch_size": 10}
SLOW = {"hidden": [16, 16], "dataset": {"name": "circle", "n": 2000}, "batch_size": 1}
SERVER_ENV = {
    "BPP_TRAINERS": "1",
    "BPP_MAX_TRAIN_WORK": str(10**13),
    "BPP_MAX_SESSIONS_PER_CLIENT": "200",
}
# the 2-2-2 worked example: sigmoid units, E = ½ Σ (a_k − t_k)², one step of η = 0.5
EXAMPLE = {
    "layer_sizes": [2, 2, 2],
    "activations": ["sigmoid", "sigmoid"],
    "loss": "sse",
    "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
    "biases": [[0.35, 0.35], [0.60, 0.60]],
}
X, T, ETA = [[0.05, 0.10]], [[0.01, 0.99]], 0.5


@pytest.fixture(scope="module", params=["subprocess", "in-process"])
def pg(request, tmp_path_factory) -> Iterator[Playground]:
    """A client of the real server in a subprocess, then of ``Playground.local()``."""
    if request.param == "subprocess":
        log_dir = tmp_path_factory.mktemp("server")
        with start_server(env=SERVER_ENV, log_dir=log_dir) as server, Playground(server.url) as pg:
            yield pg
    else:
        with Playground.local(max_train_work=10**13, max_sessions_per_client=200) as pg:
            assert pg.local_server is not None
            yield pg


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def worked_example_by_hand():
    """The 2-2-2 example in plain numpy, step by step (Eq. 1-18), as an independent oracle."""
    W = [np.array(w) for w in EXAMPLE["weights"]]
    b = [np.array(v) for v in EXAMPLE["biases"]]
    x, t = np.array(X[0]), np.array(T[0])
    z1 = b[0] + x @ W[0]
    a1 = sigmoid(z1)
    z2 = b[1] + a1 @ W[1]
    a2 = sigmoid(z2)
    E = 0.5 * np.sum((a2 - t) ** 2)  # Eq. 1
    delta2 = (a2 - t) * a2 * (1 - a2)  # Eq. 5
    delta1 = a1 * (1 - a1) * (W[1] @ delta2)  # Eq. 14
    grad_W = [np.outer(x, delta1), np.outer(a1, delta2)]  # Eq. 6, 15
    grad_b = [delta1, delta2]  # Eq. 8, 18
    W_new = [w - ETA * g for w, g in zip(W, grad_W, strict=True)]  # Eq. 7
    return E, [z1, z2], [a1, a2], [delta1, delta2], grad_W, grad_b, W_new


# -- the server and its version -------------------------------------------------------------


def run_in_own_loop(coro) -> None:
    """``asyncio.run`` in a thread of its own: the browser tests' Playwright (sync API) keeps an
    event loop running in the main thread of the same pytest process."""
    import threading

    failure: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=main)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_the_client_checks_the_api_version_and_every_answer_carries_it(pg):
    assert pg.api_version == SERVER_API_VERSION
    assert pg.version() == {"api": SERVER_API_VERSION, "server": backprop_playground.__version__}
    response = pg.http.get("/api/catalog")
    assert response.headers[HEADER] == SERVER_API_VERSION
    assert response.json()["api_version"] == SERVER_API_VERSION
    # the client is built for the API this server speaks
    assert client_module.API_VERSION.split(".")[0] == SERVER_API_VERSION.split(".")[0]


@pytest.mark.parametrize("wanted", ["2.0", "1.99", "0.9"])
def test_a_server_of_another_api_version_is_refused_with_a_clear_message(pg, monkeypatch, wanted):
    monkeypatch.setattr(client_module, "API_VERSION", wanted)
    with pytest.raises(IncompatibleServer) as refused:
        Playground(pg.url)
    text = str(refused.value)
    assert f"speaks API {SERVER_API_VERSION}" in text and f"needs API {wanted}" in text
    assert "pip install" in text and refused.value.field == "api_version"


def test_a_server_without_a_version_is_refused():
    def old_server(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": "Not Found"})

    with pytest.raises(IncompatibleServer, match="does not say which API"):
        Playground("http://old.example", transport=httpx.MockTransport(old_server))


def test_catalog_lists_the_registries(pg):
    catalog = pg.catalog()
    assert {"sigmoid", "tanh"} <= {a["name"] for a in catalog["activations"]}
    assert catalog["limits"]["max_jobs_per_session"] >= 1


# -- the worked example ---------------------------------------------------------------------


def test_backprop_reproduces_the_2_2_2_worked_example(pg):
    E, z, a, delta, grad_W, grad_b, W_new = worked_example_by_hand()
    trace = pg.backprop(EXAMPLE, X, T, ETA)
    assert trace.loss == pytest.approx(0.298371109, abs=1e-9) and trace.loss == pytest.approx(E)
    for l in range(2):
        np.testing.assert_allclose(trace.z[l][0], z[l], rtol=1e-12)
        np.testing.assert_allclose(trace.layers[l].a[0], a[l], rtol=1e-12)
        np.testing.assert_allclose(trace.g_prime[l][0], a[l] * (1 - a[l]), rtol=1e-12)
        np.testing.assert_allclose(trace.delta[l][0], delta[l], rtol=1e-12)
        np.testing.assert_allclose(trace.grad_W[l], grad_W[l], rtol=1e-12)
        np.testing.assert_allclose(trace.grad_b[l], grad_b[l], rtol=1e-12)
        np.testing.assert_allclose(trace.W[l], W_new[l], rtol=1e-12)
    # the classic figures: w5 → 0.35891648, w1 → 0.14978072
    assert trace.W[1][0, 0] == pytest.approx(0.35891648, abs=1e-8)
    assert trace.W[0][0, 0] == pytest.approx(0.14978072, abs=1e-8)
    np.testing.assert_allclose(trace.outputs, [a[1]], rtol=1e-12)


# -- a session's methods --------------------------------------------------------------------


def test_a_session_is_created_from_keywords(pg):
    s = pg.session(hidden=[4, 2], dataset="xor", activations="tanh", learning_rate=0.1, seed=3)
    assert s.layer_sizes == [2, 4, 2, 1]
    assert s.config["dataset"]["name"] == "xor" and s.config["dataset"]["seed"] == 3
    assert s.config["training"]["learning_rate"] == 0.1
    assert s.config["network"]["activations"] == ["tanh"] * 3
    frame = s.frame()
    assert isinstance(frame, Frame) and frame.epoch == 0
    assert [w.shape for w in frame.W] == [(2, 4), (4, 2), (2, 1)]
    assert [v.shape for v in frame.b] == [(4,), (2,), (1,)]
    assert frame.grid is not None and frame.grid.a[1].shape == (24, 24, 4)
    # the decoded grid is the network's a over the input plane (within 8-bit quantisation)
    grid = frame.grid
    (lo1, hi1), (lo2, hi2) = grid.domain
    R = grid.resolution
    x1 = lo1 + (np.arange(R) + 0.5) * (hi1 - lo1) / R
    x2 = lo2 + (np.arange(R) + 0.5) * (hi2 - lo2) / R
    rows = [(r, c) for r in (0, 5, R - 1) for c in (0, 11, R - 1)]
    outputs = s.predict([[x1[c], x2[r]] for r, c in rows]).outputs[:, 0]
    top = grid.a[-1][..., 0]
    step = (top.max() - top.min()) / 255
    for (r, c), want in zip(rows, outputs, strict=True):
        assert abs(top[r, c] - want) <= step
    assert [m.shape for m in frame.mean_abs_delta] == [(4,), (2,), (1,)]
    assert pg.open(s.id).id == s.id
    s.delete()


def test_inline_data_and_a_short_train_answer_the_frame(pg):
    inputs = [[0, 0], [0, 1], [1, 0], [1, 1]]
    s = pg.session(hidden=[3], inputs=inputs, targets=[[0], [1], [1], [0]], batch_size=4)
    assert s.config["dataset"]["name"] == "inline"
    frame = s.train(7)
    assert frame.epoch == 7 and frame.status == "paused"
    probe = frame.probe
    assert probe is not None and [layer.z.shape for layer in probe.layers] == [(3,), (1,)]
    assert probe.layers[0].delta is not None and probe.grad_W[0].shape == (2, 3)
    history = s.history()
    assert list(history.epoch) == list(range(8)) and history.train.shape == (8,)
    assert history.test.shape == (8,) and history.train[-1] == frame.loss_train
    s.delete()


def test_predict_traces_inputs_without_changing_the_network(pg):
    s = pg.session(**SMALL)
    before = s.frame()
    plain = s.predict([[0.5, -1.0], [1.0, 1.0]])
    assert plain.outputs.shape == (2, 1) and plain.loss is None and plain.delta == [None, None]
    assert [z.shape for z in plain.z] == [(2, 3), (2, 1)]
    np.testing.assert_allclose(plain.outputs, plain.a[-1])
    np.testing.assert_allclose(plain.a[0], np.tanh(plain.z[0]))
    np.testing.assert_allclose(plain.g_prime[0], 1 - np.tanh(plain.z[0]) ** 2)
    one = s.predict([0.5, -1.0], targets=[1.0])  # a single row may be 1-D
    assert one.loss is not None and one.delta[-1].shape == (1, 1)
    np.testing.assert_allclose(s.frame().W[0], before.W[0])
    s.delete()


def test_session_backprop_is_one_step_on_the_current_weights_by_hand(pg):
    s = pg.session(**SMALL, activations=["sigmoid", "sigmoid"])
    s.train(3)
    W, b = s.frame().W, s.frame().b
    x, t = np.array([[0.2, -0.7]]), np.array([[1.0]])
    trace = s.backprop(x, t, learning_rate=0.5)
    a1 = sigmoid(b[0] + x @ W[0])
    a2 = sigmoid(b[1] + a1 @ W[1])
    delta2 = (a2 - t) * a2 * (1 - a2)
    np.testing.assert_allclose(trace.outputs, a2, rtol=1e-12)
    np.testing.assert_allclose(trace.W[1], W[1] - 0.5 * a1.T @ delta2, rtol=1e-12)
    np.testing.assert_allclose(s.frame().W[1], W[1])  # the session is unchanged
    s.delete()


def test_export_and_restore_continue_bit_for_bit(pg):
    s = pg.session(**SMALL, momentum=0.5)
    s.train(13)
    twin = pg.restore(s.export())
    assert twin.id != s.id
    ours, theirs = s.train(9), twin.train(9)
    assert ours.epoch == theirs.epoch == 22
    for w, v in zip(ours.W + ours.b, theirs.W + theirs.b, strict=True):
        assert np.array_equal(w, v)
    s.delete()
    twin.delete()


def test_reset_settings_edits_and_gradient_check(pg):
    s = pg.session(**SMALL)
    start = s.frame()
    s.train(5)
    assert s.reset().epoch == 0
    np.testing.assert_array_equal(s.frame().W[0], start.W[0])
    state = s.set_training(learning_rate=0.25, momentum=0.9)
    assert state["config"]["training"]["learning_rate"] == 0.25
    assert s.config["training"]["momentum"] == 0.9
    assert s.set_weight(0, 1, 2, 0.75).W[0][1, 2] == 0.75
    assert s.set_bias(1, 0, -0.5).b[1][0] == -0.5
    check = s.gradient_check(samples=8)
    assert check["samples"] == 8 and check["max_rel_error"] < 1e-6
    s.delete()
    with pytest.raises(NotFound) as gone:
        s.refresh()
    assert gone.value.field == "session_id" and gone.value.status_code == 404


# -- long training ----------------------------------------------------------------------------


def test_a_long_train_runs_as_a_job_and_reports_progress_until_done(pg):
    s = pg.session(**SMALL)
    limit = pg.catalog()["limits"]["max_sync_train_work"]
    epochs = 10_000  # well beyond the default max_sync_train_work for this network
    assert epochs * 7460 > limit
    seen: list[Job] = []
    frame = s.train(epochs, progress=seen.append, poll=0.02)
    assert frame.epoch == epochs
    assert seen and all(job.epochs == epochs for job in seen)
    assert seen[-1].finished and seen[-1].status == "done" and seen[-1].progress == 1.0
    done = [job.epochs_done for job in seen]
    assert done == sorted(done)
    s.delete()


def test_a_job_is_watched_and_cancelled(pg):
    s = pg.session(**SLOW)
    job = s.start_training(10_000)
    assert job.status in ("queued", "running") and job.url.endswith(job.id)
    running = wait_for(lambda: (j := s.job(job)).epochs_done > 0 and j)
    assert 0 < running.progress < 1 and running.eta_seconds is not None
    assert running.loss_train is not None and running.result is None
    cancelled = s.cancel(job.id)
    assert cancelled.status == "cancelled" and cancelled.finished
    assert cancelled.result is not None and cancelled.result.epoch == cancelled.epochs_done
    assert s.frame().epoch == cancelled.epochs_done
    s.delete()


def test_waiting_for_a_job_cancelled_elsewhere_answers_the_frame_where_it_stopped(pg):
    s = pg.session(**SLOW)
    running, queued = s.start_training(10_000), s.start_training(10_000)
    assert s.cancel(queued).status == "cancelled"  # before it started: no result of its own
    stopped = s.cancel(running)
    assert s.wait(running).epoch == stopped.epochs_done
    assert s.wait(queued, poll=0.01).epoch == stopped.epochs_done  # the session's frame now
    s.delete()


def test_too_many_jobs_is_429_naming_the_setting(pg):
    s = pg.session(**SLOW)
    limit = pg.catalog()["limits"]["max_jobs_per_session"]
    jobs = [s.start_training(10_000) for _ in range(limit)]
    with pytest.raises(TooManyRequests) as refused:
        s.start_training(10)
    assert refused.value.field == "epochs" and "max_jobs_per_session" in refused.value.message
    for job in jobs:
        s.cancel(job)
    with pytest.raises(NotFound) as unknown:
        s.job("nope")
    assert unknown.value.field == "job_id"
    s.delete()


# -- the stream -------------------------------------------------------------------------------


def test_the_stream_plays_pauses_and_resumes(pg):
    s = pg.session(**SMALL)
    with s.stream() as st:
        first = st.next_frame(10)
        assert first.epoch == 0
        st.play()
        playing = wait_for(lambda: (f := st.next_frame(10)).epoch >= 20 and f)
        assert playing.loss_train < first.loss_train * 2
        st.pause()
        wait_for(lambda: isinstance(m := st.recv(10), Status) and m.status == "paused")
        paused_at = s.refresh()["epoch"]
        time.sleep(0.5)
        assert s.refresh()["epoch"] == paused_at and s.state["status"] == "paused"
        st.play()  # resume
        resumed = wait_for(lambda: (f := st.next_frame(10)).epoch > paused_at + 10 and f)
        assert resumed.status == "running"
        st.pause()
    s.delete()


def test_stream_commands_and_a_refused_one(pg):
    s = pg.session(**SMALL)
    with s.stream() as st:
        st.next_frame(10)
        st.step(0)
        with pytest.raises(CommandRefused) as refused:
            st.next_frame(10)
        assert refused.value.field == "epochs" and refused.value.status_code is None
        st.step(3)  # the socket stays usable
        assert wait_for(lambda: st.next_frame(10).epoch == 3)
        st.probe(5)
        assert wait_for(lambda: (f := st.next_frame(10)).probe and f.probe.index == 5)
        st.step_sample(2)
        step = wait_for(lambda: isinstance(m := st.recv(10), SampleStep) and m)
        assert step.index == 2 and step.trace.loss is not None
        assert [layer.delta.shape for layer in step.trace.layers] == [(3,), (1,)]
        np.testing.assert_allclose(
            step.trace.W[0], step.W_before[0] - step.learning_rate * step.trace.grad_W[0]
        )
        st.set(learning_rate=0.2)
        wait_for(lambda: s.refresh()["config"]["training"]["learning_rate"] == 0.2)
        st.reset()
        assert wait_for(lambda: st.next_frame(10).epoch == 0)
    s.delete()


def test_iterating_a_stream_yields_frames_and_closes_the_socket(pg):
    s = pg.session(**SMALL)
    stream = s.stream(play=True)
    epochs = []
    for frame in stream:
        epochs.append(frame.epoch)
        if frame.epoch >= 30:
            break
    assert stream.ws is None  # closed by the loop that opened it
    assert epochs == sorted(epochs) and epochs[-1] >= 30
    with s.stream() as st:
        st.pause()
    s.delete()


def test_a_binary_stream_reads_the_same_frames_as_the_json_one(pg):
    s = pg.session(**SMALL)
    with s.stream(frames="binary") as binary, s.stream() as text:
        binary.step(2)
        got = wait_for(lambda: (f := binary.next_frame(10)).epoch >= 2 and f)
        want = wait_for(lambda: (f := text.next_frame(10)).epoch >= 2 and f)
        assert got.epoch == want.epoch == 2
        for a, b in zip(got.W + got.b + got.mean_a, want.W + want.b + want.mean_a, strict=True):
            np.testing.assert_allclose(a, b, rtol=2e-7)
        assert got.loss_train == pytest.approx(want.loss_train, rel=1e-12)
    with pytest.raises(ValueError, match="frames must be one of"):
        s.stream(frames="xml")
    s.delete()


def test_a_stream_of_an_unknown_or_deleted_session_raises_not_found(pg):
    s = pg.session(**SMALL)
    s.delete()
    with pytest.raises(NotFound) as gone:
        for _ in s.stream():
            pass
    assert gone.value.field == "session_id"


# -- errors -----------------------------------------------------------------------------------


def test_refusals_become_exceptions_carrying_field_and_message(pg):
    with pytest.raises(Invalid) as invalid:
        pg.session(hidden=[100])
    error = invalid.value
    assert error.status_code == 422 and error.field == "network.hidden_layers[0]"
    assert "max_units_per_layer" in error.message and error.errors[0]["field"] == error.field
    with pytest.raises(Invalid) as unknown_name:
        pg.session(dataset="nope")
    assert unknown_name.value.field == "dataset.name"
    with pytest.raises(NotFound) as missing:
        pg.open("no-such-session")
    assert missing.value.field == "session_id" and "no session" in missing.value.message
    huge = {"network": {"weights": [[[0.5] * 1000] * 400]}}  # over max_body_bytes (1 MiB)
    with pytest.raises(TooLarge) as large:
        pg.request(Call("POST", "/api/sessions", huge))
    assert large.value.status_code == 413 and large.value.field == "body"


def test_the_servers_other_refusals_map_to_their_exceptions(pg):
    text = pg.http.post("/api/sessions", content="hidden=4", headers={"content-type": "text/plain"})
    media = from_response(text.status_code, text.content)
    assert isinstance(media, UnsupportedMediaType) and media.field == "body"
    foreign = pg.http.post("/api/sessions", json={}, headers={"origin": "http://evil.example"})
    forbidden = from_response(foreign.status_code, foreign.content)
    assert isinstance(forbidden, Forbidden) and forbidden.field == "origin"


@pytest.mark.parametrize(
    ("status", "body", "cls", "field"),
    [
        (
            409,
            {"detail": [{"field": "session_id", "msg": "held", "type": "moved"}]},
            Conflict,
            "session_id",
        ),
        (
            503,
            {"detail": [{"field": "session", "msg": "try again", "type": "x"}]},
            Unavailable,
            "session",
        ),
        (500, "Internal Server Error", ServerError, None),
        (502, "<html>bad gateway</html>", ServerError, None),
        (418, {"detail": "teapot: short and stout"}, PlaygroundError, "teapot"),
    ],
)
def test_every_status_maps_to_its_exception(status, body, cls, field):
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, dict):
            return httpx.Response(status, json=body)
        return httpx.Response(status, text=body)

    pg = Playground("http://x.example", transport=httpx.MockTransport(handler), check_version=False)
    with pytest.raises(cls) as raised:
        pg.catalog()
    assert type(raised.value) is cls and raised.value.status_code == status
    assert raised.value.field == field and raised.value.message


# -- the async client -------------------------------------------------------------------------


def test_the_async_client_does_the_same(pg):
    async def scenario() -> None:
        async with AsyncPlayground(pg.url) as apg:
            assert apg.api_version == SERVER_API_VERSION
            trace = await apg.backprop(EXAMPLE, X, T, ETA)
            assert trace.loss == pytest.approx(0.298371109, abs=1e-9)
            s = await apg.session(**SMALL)
            assert (await s.train(4)).epoch == 4
            frame = await s.train(10_000, poll=0.02)  # a job
            assert frame.epoch == 10_004
            assert (await s.history()).epoch[-1] == 10_004
            assert (await s.predict([[0.1, 0.2]])).outputs.shape == (1, 1)
            assert (await s.backprop([[0.1, 0.2]], [[1.0]])).W is not None
            twin = await apg.restore(await s.export())
            assert (await twin.frame()).epoch == 10_004
            assert (await s.reset()).epoch == 0
            assert (await s.set_weight(0, 0, 0, 0.5)).W[0][0, 0] == 0.5
            assert (await s.set_bias(0, 0, 0.25)).b[0][0] == 0.25
            assert (await s.set_training(batch_size=5))["config"]["training"]["batch_size"] == 5
            assert (await s.gradient_check(samples=4))["samples"] == 4
            slow = await apg.session(**SLOW)
            job = await slow.start_training(10_000)
            cancelled = await slow.cancel(job)
            assert cancelled.status == "cancelled" and (await slow.job(job)).finished
            async with s.stream() as st:
                await st.next_frame(10)
                await st.play()
                while (await st.next_frame(10)).epoch < 10:
                    pass
                await st.pause()
                while not isinstance(m := await st.recv(10), Status) or m.status != "paused":
                    pass
                await st.step(0)
                with pytest.raises(CommandRefused):  # after the pause's frame, the refusal
                    while True:
                        await st.recv(10)
            count = 0
            async for _frame in s.stream(play=True):
                count += 1
                if count == 3:
                    break
            with pytest.raises(Invalid):
                await apg.session(hidden=[100])
            for session in (s, twin, slow):
                await session.delete()
            with pytest.raises(NotFound):
                await s.refresh()

    run_in_own_loop(scenario())


def test_async_version_refusal(pg, monkeypatch):
    monkeypatch.setattr(client_module, "API_VERSION", "3.0")

    async def scenario() -> None:
        apg = AsyncPlayground(pg.url)
        try:
            with pytest.raises(IncompatibleServer):
                await apg.catalog()
        finally:
            await apg.close()

    run_in_own_loop(scenario())


def test_session_body_builds_what_the_server_expects():
    body = client_module.session_body(
        hidden=[4],
        activations="relu",
        loss="sse",
        init="he",
        dataset="spiral",
        n=200,
        noise=0.1,
        features=["x1", "x2"],
        learning_rate=0.1,
        batch_size=5,
        momentum=0.5,
        regularization="l2",
        regularization_rate=0.01,
        seed=7,
        body={"training": {"learning_rate": 0.9}},
    )
    assert body == {
        "network": {
            "hidden_layers": [4],
            "activations": ["relu", "relu"],
            "loss": "sse",
            "init": {"scheme": "he", "seed": 7},
        },
        "dataset": {"name": "spiral", "n": 200, "noise": 0.1, "features": ["x1", "x2"], "seed": 7},
        "training": {
            "learning_rate": 0.1,
            "batch_size": 5,
            "momentum": 0.5,
            "regularization": "l2",
            "regularization_rate": 0.01,
            "seed": 7,
        },
    }
    json.dumps(body)
