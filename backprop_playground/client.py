"""A Python client for the Backprop Playground's REST API and WebSocket stream.

    from backprop_playground import Playground

    pg = Playground("http://127.0.0.1:8000")      # or Playground.local(): a server in-process
    s = pg.session(hidden=[4, 2], dataset="xor")
    frame = s.train(500)                           # a Frame: W, b, losses, probe's z, a, δ …
    s.history().train                              # the loss curve (numpy)
    s.predict([[0.5, -1.0]]).outputs               # a_k for an input row
    for frame in s.stream(play=True):              # live frames over the WebSocket
        if frame.epoch >= 2000:
            break

``AsyncPlayground`` is the same with ``await`` (``async for frame in s.stream()``). Refusals
raise ``PlaygroundError`` subclasses carrying the server's ``field`` and ``message``
(``backprop_playground.errors``); the client refuses a server whose API version it does not
support (``IncompatibleServer``). Arrays are numpy, named as in the derivation
(``backprop_playground.models``).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from backprop_playground.errors import (
    CommandRefused,
    IncompatibleServer,
    NotFound,
    PlaygroundError,
    TooManyRequests,
    from_response,
)
from backprop_playground.frame_binary import decode_frame, is_binary_frame
from backprop_playground.models import (
    Frame,
    History,
    Job,
    Message,
    Trace,
    decode_message,
)

__all__ = [
    "API_VERSION",
    "AsyncPlayground",
    "AsyncSession",
    "AsyncStream",
    "LocalServer",
    "Playground",
    "Session",
    "Stream",
    "check_compatible",
    "session_body",
]

API_VERSION = "1.0"  # the API this client was written for: any server of API 1.m, m ≥ 0
DEFAULT_TIMEOUT = 60.0  # seconds for one HTTP request (a synchronous train is at most ~2 s)
POLL_SECONDS = 0.25  # between two reads of a running job
Progress = Callable[[Job], None] | bool | None


def client_version() -> str:
    from backprop_playground import __version__

    return __version__


# -- versions ------------------------------------------------------------------------------------


def _major_minor(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def check_compatible(url: str, server_api: str | None, server_version: str = "?") -> None:
    """Raise ``IncompatibleServer`` unless a server of API ``server_api`` serves this client:
    the same major version and at least the client's minor one."""
    wanted = API_VERSION
    advice = (
        f"this client (backprop-playground {client_version()}) needs API {wanted} or a later "
        f"{_major_minor(wanted)[0]}.x; install the client that comes with the server "
        f"(pip install 'backprop-playground=={server_version}') or a server of API {wanted}"
    )
    if server_api is None:
        raise IncompatibleServer(
            f"the server at {url} does not say which API it speaks (no /api/version: older "
            f"than API 1.0, or not a Backprop Playground); {advice}",
            "api_version",
        )
    try:
        have, need = _major_minor(server_api), _major_minor(wanted)
    except ValueError:
        raise IncompatibleServer(
            f"the server at {url} names an API version this client cannot read "
            f"({server_api!r}); {advice}",
            "api_version",
        ) from None
    if have[0] != need[0] or have[1] < need[1]:
        raise IncompatibleServer(
            f"the server at {url} speaks API {server_api} (server {server_version}); {advice}",
            "api_version",
        )


# -- requests, shared by the sync and async clients ----------------------------------------------


@dataclass(frozen=True)
class Call:
    """One HTTP request and how to read its answer: ``decode(json, status)``."""

    method: str
    path: str
    body: Any = None
    decode: Callable[[Any, int], Any] = lambda data, status: data


def _answer(call: Call, response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise from_response(response.status_code, response.content)
    data = None if response.status_code == 204 or not response.content else response.json()
    return call.decode(data, response.status_code)


def _rows(values: Any, name: str) -> list[list[float]]:
    """Rows of numbers as JSON lists (a 1-D sequence is one row); NaN/∞ are refused by the
    server, naming the field."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be rows of numbers (a 2-D array), not shape {array.shape}")
    return array.tolist()


def _params(values: Sequence[Any]) -> list[Any]:
    return [np.asarray(v, dtype=np.float64).tolist() for v in values]


def session_body(
    *,
    hidden: Sequence[int] | None = None,
    activations: Sequence[str] | str | None = None,
    loss: str | None = None,
    init: str | dict[str, Any] | None = None,
    dataset: str | dict[str, Any] | None = None,
    n: int | None = None,
    noise: float | None = None,
    features: Sequence[str] | None = None,
    inputs: Any = None,
    targets: Any = None,
    learning_rate: float | None = None,
    batch_size: int | None = None,
    momentum: float | None = None,
    regularization: str | None = None,
    regularization_rate: float | None = None,
    seed: int | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /api/sessions`` from keyword arguments; ``body`` is merged under
    them (its sections are updated, not replaced). Omitted values are the server's defaults.
    ``activations`` may be one name for every layer; ``inputs``/``targets`` give inline data
    (dataset "inline"); ``seed`` seeds the data, the initial weights and the shuffling."""
    out: dict[str, Any] = {k: dict(v) for k, v in (body or {}).items()}
    network, data, training = (out.setdefault(k, {}) for k in ("network", "dataset", "training"))
    if hidden is not None:
        network["hidden_layers"] = [int(u) for u in hidden]
    if isinstance(activations, str):
        layers = len(network.get("hidden_layers", [4, 2])) + 1
        activations = [activations] * layers
    if activations is not None:
        network["activations"] = list(activations)
    if loss is not None:
        network["loss"] = loss
    if init is not None:
        network["init"] = {"scheme": init} if isinstance(init, str) else dict(init)
    if isinstance(dataset, dict):
        data.update(dataset)
    elif dataset is not None:
        data["name"] = dataset
    if inputs is not None or targets is not None:
        data["name"] = "inline"
        data["inputs"] = _rows(inputs, "inputs")
        data["targets"] = _rows(targets, "targets")
    for key, value in (("n", n), ("noise", noise)):
        if value is not None:
            data[key] = value
    if features is not None:
        data["features"] = list(features)
    settings = {
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "momentum": momentum,
        "regularization": regularization,
        "regularization_rate": regularization_rate,
    }
    training.update({k: v for k, v in settings.items() if v is not None})
    if seed is not None:
        data["seed"] = training["seed"] = seed
        network.setdefault("init", {})["seed"] = seed
    return {k: v for k, v in out.items() if v}


def _frame(data: Any, status: int) -> Frame:
    return Frame.from_json(data)


def _trace(data: Any, status: int) -> Trace:
    return Trace.from_json(data)


def _frame_or_job(data: Any, status: int) -> Frame | Job:
    return Job.from_json(data) if status == 202 else Frame.from_json(data)


def _job(data: Any, status: int) -> Job:
    return Job.from_json(data)


class Calls:
    """The requests of one session (``sid``)."""

    def __init__(self, sid: str) -> None:
        self.base = f"/api/sessions/{sid}"

    def get(self) -> Call:
        return Call("GET", self.base)

    def train(self, epochs: int, job: bool | None) -> Call:
        body: dict[str, Any] = {"epochs": int(epochs)}
        if job is not None:
            body["job"] = job
        return Call("POST", f"{self.base}/train", body, _frame_or_job)

    def job(self, job_id: str) -> Call:
        return Call("GET", f"{self.base}/jobs/{job_id}", decode=_job)

    def cancel(self, job_id: str) -> Call:
        return Call("DELETE", f"{self.base}/jobs/{job_id}", decode=_job)

    def history(self) -> Call:
        return Call("GET", f"{self.base}/history", decode=lambda d, s: History.from_json(d))

    def predict(self, inputs: Any, targets: Any) -> Call:
        body: dict[str, Any] = {"inputs": _rows(inputs, "inputs")}
        if targets is not None:
            body["targets"] = _rows(targets, "targets")
        return Call("POST", f"{self.base}/predict", body, _trace)

    def export(self) -> Call:
        return Call("GET", f"{self.base}/export")

    def reset(self) -> Call:
        return Call("POST", f"{self.base}/reset", decode=_frame)

    def patch(self, training: dict[str, Any]) -> Call:
        return Call("PATCH", self.base, training)

    def weight(self, layer: int, i: int, j: int, value: float) -> Call:
        body = {"layer": layer, "i": i, "j": j, "value": float(value)}
        return Call("POST", f"{self.base}/weights", body, _frame)

    def bias(self, layer: int, j: int, value: float) -> Call:
        return Call("POST", f"{self.base}/biases", {"layer": layer, "j": j, "value": value}, _frame)

    def gradient_check(self, samples: int | None, eps: float) -> Call:
        body: dict[str, Any] = {"eps": eps}
        if samples is not None:
            body["samples"] = samples
        return Call("POST", f"{self.base}/gradient_check", body)

    def delete(self) -> Call:
        return Call("DELETE", self.base)


def backprop_call(network: dict[str, Any], inputs: Any, targets: Any, learning_rate: float) -> Call:
    net = dict(network)
    for key in ("weights", "biases"):
        if net.get(key) is not None:
            net[key] = _params(net[key])
    body = {
        "network": net,
        "inputs": _rows(inputs, "inputs"),
        "targets": _rows(targets, "targets"),
        "learning_rate": float(learning_rate),
    }
    return Call("POST", "/api/backprop", body, _trace)


def network_of(export: dict[str, Any], layer_sizes: Sequence[int]) -> dict[str, Any]:
    """``POST /api/backprop``'s network from a session's export: its current W and b."""
    net = export["network"]
    activations = net.get("activations") or ["tanh"] * (len(layer_sizes) - 1)
    return {
        "layer_sizes": list(layer_sizes),
        "activations": activations,
        "loss": net.get("loss", "sse"),
        "weights": net["weights"],
        "biases": net["biases"],
    }


def _show_progress(job: Job) -> None:
    """``progress=True``: one line on stderr, rewritten in place."""
    width = 30
    filled = int(round(job.progress * width))
    eta = "" if job.eta_seconds is None else f", {job.eta_seconds:.1f} s left"
    loss = "" if job.loss_train is None else f", loss {job.loss_train:.4g}"
    sys.stderr.write(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {job.epochs_done}/{job.epochs} epochs"
        f"{loss}{eta} "
    )
    if job.finished:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _progress_fn(progress: Progress) -> Callable[[Job], None] | None:
    if progress is True:
        return _show_progress
    return progress or None


def _ws_url(url: str) -> str:
    return "ws" + url[len("http") :] if url.startswith("http") else url


def _stream_message(text: str | bytes, previous: Frame | None = None) -> Message | None:
    """A stream message decoded (JSON text, or a binary frame: ``frame_binary``, whose kept
    grid comes from ``previous``); raises for an ``error`` message."""
    if isinstance(text, bytes) and is_binary_frame(text):
        return decode_message(decode_frame(text, None if previous is None else previous.raw))
    data = json.loads(text)
    if data.get("type") == "error":
        field, message = data.get("field"), data.get("message", "")
        cls = NotFound if field == "session_id" else CommandRefused
        raise cls(message, field, kind="stream_error")
    return decode_message(data)


FRAME_FORMS = ("json", "binary")


def _stream_url(session: Any, frames: str) -> str:
    if frames not in FRAME_FORMS:
        raise ValueError(f"frames must be one of {FRAME_FORMS}, not {frames!r}")
    return f"{session.playground.ws_url}/api/sessions/{session.id}/stream?format={frames}"


def _closed_error(code: int | None, reason: str) -> PlaygroundError | None:
    """What a close code means (None for a normal end of the stream)."""
    if code == 4404:
        return NotFound(reason or "no such session", "session_id")
    if code == 1001:
        return NotFound(reason or "the session was deleted or expired", "session_id")
    if code == 1013:
        return TooManyRequests(reason or "the session has its limit of viewers", "viewers")
    return None


def _command(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, **{k: v for k, v in fields.items() if v is not None}}


# -- an in-process server -----------------------------------------------------------------------


class LocalServer:
    """The playground served by uvicorn in a thread of this process, on a free loopback port
    (``Playground.local()``). Its sessions live in a temporary folder unless ``data_dir`` is
    given; training runs in this process (``trainers=0``) unless told otherwise."""

    START_TIMEOUT = 60.0

    def __init__(self, **settings: Any) -> None:
        import uvicorn

        from app.settings import Settings
        from app.web.main import create_app

        self._tmp = None
        if "data_dir" not in settings:
            self._tmp = tempfile.TemporaryDirectory(prefix="backprop-playground-")
            settings["data_dir"] = self._tmp.name
        settings.setdefault("trainers", 0)
        app = create_app(Settings(**settings))
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on", ws_max_size=1 << 24)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="playground", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + self.START_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the in-process playground server did not start")
            time.sleep(0.02)
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop the server (its sessions are saved first) and remove its temporary folder."""
        self.server.should_exit = True
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout=30)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        atexit.unregister(self.stop)


def _headers() -> dict[str, str]:
    """Every request's headers: the client names itself and its version."""
    return {"user-agent": f"backprop-playground-client/{client_version()}"}


# -- the synchronous client ---------------------------------------------------------------------


class Playground:
    """A playground server at ``url``. Checks its API version at once (``IncompatibleServer``
    when this client does not support it). Use as a context manager or ``close()`` it."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        check_version: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.ws_url = _ws_url(self.url)
        self.http = httpx.Client(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            headers=_headers(),
        )
        self.local_server: LocalServer | None = None
        self.api_version: str | None = None
        if check_version:
            try:
                self.check_version()
            except BaseException:
                self.http.close()
                raise

    @classmethod
    def local(cls, **settings: Any) -> Playground:
        """A playground served in this process (for a notebook with nothing else running);
        ``settings`` are server settings (``app.settings.Settings`` fields, e.g.
        ``max_sync_train_work=0``). ``close()`` stops it."""
        server = LocalServer(**settings)
        try:
            pg = cls(server.url)
        except BaseException:
            server.stop()
            raise
        pg.local_server = server
        return pg

    def close(self) -> None:
        self.http.close()
        if self.local_server is not None:
            self.local_server.stop()
            self.local_server = None

    def __enter__(self) -> Playground:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Playground({self.url!r})"

    def request(self, call: Call) -> Any:
        response = self.http.request(call.method, call.path, json=call.body)
        return _answer(call, response)

    # -- the server -------------------------------------------------------------------------
    def version(self) -> dict[str, str]:
        """``{"api": "1.0", "server": "0.1.0"}``."""
        return self.request(Call("GET", "/api/version"))

    def check_version(self) -> str:
        """The server's API version; raises ``IncompatibleServer`` unless supported."""
        try:
            found = self.version()
        except NotFound:
            found = {}
        check_compatible(self.url, found.get("api"), found.get("server", "?"))
        self.api_version = found["api"]
        return self.api_version

    def catalog(self) -> dict[str, Any]:
        """Activations, losses, init schemes, datasets, features and the server's limits."""
        return self.request(Call("GET", "/api/catalog"))

    def backprop(
        self, network: dict[str, Any], inputs: Any, targets: Any, learning_rate: float
    ) -> Trace:
        """One forward pass, backward pass and update (``POST /api/backprop``, stateless):
        ``network`` is ``{"layer_sizes", "activations", "loss", "weights", "biases"}``."""
        return self.request(backprop_call(network, inputs, targets, learning_rate))

    # -- sessions ---------------------------------------------------------------------------
    def session(self, **options: Any) -> Session:
        """A new session (``session_body`` lists the keyword arguments), e.g.
        ``pg.session(hidden=[4, 2], dataset="xor", learning_rate=0.1)``."""
        state = self.request(Call("POST", "/api/sessions", session_body(**options)))
        return Session(self, state)

    def restore(self, export: dict[str, Any]) -> Session:
        """A new session from ``Session.export()``: same weights, same next epochs."""
        return Session(self, self.request(Call("POST", "/api/sessions", export)))

    def open(self, session_id: str) -> Session:
        """An existing session by id."""
        return Session(self, self.request(Calls(session_id).get()))


class _SessionBase:
    """What both clients' sessions are: an id, the last state the server sent, its calls."""

    def __init__(self, playground: Any, state: dict[str, Any]) -> None:
        self.playground = playground
        self.state = state
        self.id: str = state["id"]
        self.calls = Calls(self.id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id!r}, layer_sizes={self.layer_sizes})"

    @property
    def layer_sizes(self) -> list[int]:
        return list(self.state["layer_sizes"])

    @property
    def config(self) -> dict[str, Any]:
        return self.state["config"]


class Session(_SessionBase):
    """One training session on the server (``Playground.session``)."""

    playground: Playground

    def _do(self, call: Call) -> Any:
        return self.playground.request(call)

    def refresh(self) -> dict[str, Any]:
        """The session's state afresh (config, status, epoch, data, frame)."""
        self.state = self._do(self.calls.get())
        return self.state

    def frame(self) -> Frame:
        """The current frame."""
        return Frame.from_json(self.refresh()["frame"])

    def train(self, epochs: int, *, progress: Progress = None, poll: float = POLL_SECONDS) -> Frame:
        """Train ``epochs`` epochs; the last frame. A long request runs as a job on the
        server: this waits for it, calling ``progress(job)`` (``True``: a progress bar on
        stderr) after every poll; Ctrl-C cancels the job."""
        answer = self._do(self.calls.train(epochs, None))
        if isinstance(answer, Frame):
            return answer
        return self.wait(answer, progress=progress, poll=poll)

    def start_training(self, epochs: int) -> Job:
        """Train ``epochs`` epochs as a job and return at once (``job``, ``wait``,
        ``cancel``)."""
        answer = self._do(self.calls.train(epochs, True))
        if isinstance(answer, Frame):  # nothing to train (a diverged session)
            raise PlaygroundError(f"the session did not train (status {answer.status})", "epochs")
        return answer

    def job(self, job: Job | str) -> Job:
        """A job's progress, read now."""
        return self._do(self.calls.job(job if isinstance(job, str) else job.id))

    def cancel(self, job: Job | str) -> Job:
        """Stop a job where it is; its ``result`` is the frame there."""
        return self._do(self.calls.cancel(job if isinstance(job, str) else job.id))

    def wait(self, job: Job, *, progress: Progress = None, poll: float = POLL_SECONDS) -> Frame:
        """Wait for a job to finish; its last frame (Ctrl-C cancels it). A job cancelled
        elsewhere, cut short or diverged answers the frame where it stopped: look at
        ``frame.epoch`` and ``frame.status``."""
        report = _progress_fn(progress)
        try:
            while not job.finished:
                if report:
                    report(job)
                time.sleep(poll)
                job = self.job(job)
        except KeyboardInterrupt:
            self.cancel(job)
            raise
        if report:
            report(job)
        return job.result if job.result is not None else self.frame()  # cancelled while queued

    def history(self) -> History:
        """The loss curve (thinned to at most ``max_history_points``)."""
        return self._do(self.calls.history())

    def predict(self, inputs: Any, targets: Any = None) -> Trace:
        """Outputs and the trace (z, a, g_prime; with targets δ, E and the gradients) for
        input rows, without changing the network."""
        return self._do(self.calls.predict(inputs, targets))

    def backprop(self, inputs: Any, targets: Any, learning_rate: float | None = None) -> Trace:
        """One backprop step (``POST /api/backprop``) on this session's current W and b
        (the session itself is not changed): the trace, gradients and updated W and b.
        ``learning_rate`` defaults to the session's."""
        eta = self.config["training"]["learning_rate"] if learning_rate is None else learning_rate
        network = network_of(self.export(), self.layer_sizes)
        return self.playground.backprop(network, inputs, targets, eta)

    def export(self) -> dict[str, Any]:
        """A body that ``Playground.restore`` (``POST /api/sessions``) turns into the same
        session, bit for bit."""
        return self._do(self.calls.export())

    def reset(self) -> Frame:
        """Back to the initial weights at epoch 0."""
        return self._do(self.calls.reset())

    def set_training(self, **training: Any) -> dict[str, Any]:
        """Change learning_rate, batch_size, momentum, regularization or regularization_rate
        live; the session's new state."""
        self.state = self._do(self.calls.patch(training))
        return self.state

    def set_weight(self, layer: int, i: int, j: int, value: float) -> Frame:
        """Set w_ij of ``W[layer]``."""
        return self._do(self.calls.weight(layer, i, j, value))

    def set_bias(self, layer: int, j: int, value: float) -> Frame:
        """Set b_j of ``b[layer]``."""
        return self._do(self.calls.bias(layer, j, value))

    def gradient_check(self, samples: int | None = None, eps: float = 1e-4) -> dict[str, Any]:
        """Analytic gradients against central differences on the first training samples."""
        return self._do(self.calls.gradient_check(samples, eps))

    def delete(self) -> None:
        self._do(self.calls.delete())

    def stream(
        self, *, play: bool = False, open_timeout: float = 10.0, frames: str = "json"
    ) -> Stream:
        """The session's WebSocket: ``for frame in s.stream(play=True): ...`` or
        ``with s.stream() as st: st.play(); st.next_frame()``. ``frames="binary"`` asks for
        binary frames (a third of the bytes, numbers rounded to float32); the frames read the
        same either way."""
        return Stream(self, play=play, open_timeout=open_timeout, frames=frames)


class Stream:
    """The live stream of a session (``Session.stream``). Iterating yields frames (opening
    the socket when needed, closing it after a loop it opened); ``messages()`` yields every
    message (``Frame``, ``Status``, ``SampleStep``). A refused command raises
    ``CommandRefused`` (field, message) from the next read; the socket stays usable."""

    def __init__(
        self,
        session: Session,
        *,
        play: bool = False,
        open_timeout: float = 10.0,
        frames: str = "json",
    ):
        self.session = session
        self.url = _stream_url(session, frames)
        self.play_on_open = play
        self.open_timeout = open_timeout
        self.ws: Any = None
        self.last_frame: Frame | None = None  # the newest (a binary frame may keep its grid)

    def open(self) -> Stream:
        from websockets.sync.client import connect

        self._exit = contextlib.ExitStack()  # websockets' connect is a context manager
        self.ws = self._exit.enter_context(
            connect(self.url, max_size=None, open_timeout=self.open_timeout, proxy=None)
        )
        if self.play_on_open:
            self.play()
        return self

    def close(self) -> None:
        if self.ws is not None:
            self.ws = None
            self._exit.close()

    def __enter__(self) -> Stream:
        return self.open() if self.ws is None else self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------------------------
    def send(self, command: dict[str, Any]) -> None:
        if self.ws is None:
            self.open()
        self.ws.send(json.dumps(command))

    def play(self) -> None:
        self.send(_command("play"))

    def pause(self) -> None:
        self.send(_command("pause"))

    def step(self, epochs: int = 1) -> None:
        self.send(_command("step", epochs=epochs))

    def step_sample(self, index: int | None = None) -> None:
        self.send(_command("step_sample", index=index))

    def reset(self) -> None:
        self.send(_command("reset"))

    def set(self, **training: Any) -> None:
        self.send(_command("set", training=training))

    def probe(self, index: int) -> None:
        self.send(_command("probe", index=index))

    # -- messages ---------------------------------------------------------------------------
    def recv(self, timeout: float | None = None) -> Message | None:
        """The next message (None for a kind this client does not know; TimeoutError after
        ``timeout`` seconds; StopIteration-free: a closed stream raises ``EOFError``)."""
        from websockets.exceptions import ConnectionClosed

        if self.ws is None:
            self.open()
        try:
            text = self.ws.recv(timeout)
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            error = _closed_error(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
            if error is not None:
                raise error from None
            raise EOFError("the stream is closed") from None
        message = _stream_message(text, self.last_frame)
        if isinstance(message, Frame):
            self.last_frame = message
        return message

    def next_frame(self, timeout: float | None = None) -> Frame:
        """The next frame (other messages are skipped)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            message = self.recv(left)
            if isinstance(message, Frame):
                return message

    def messages(self, timeout: float | None = None) -> Iterator[Message]:
        """Every message until the stream closes."""
        while True:
            try:
                message = self.recv(timeout)
            except EOFError:
                return
            if message is not None:
                yield message

    def frames(self, timeout: float | None = None) -> Iterator[Frame]:
        for message in self.messages(timeout):
            if isinstance(message, Frame):
                yield message

    def __iter__(self) -> Iterator[Frame]:
        opened_here = self.ws is None
        if opened_here:
            self.open()
        try:
            yield from self.frames()
        finally:
            if opened_here:
                self.close()


# -- the asynchronous client --------------------------------------------------------------------


class AsyncPlayground:
    """``Playground`` with ``await``: ``async with AsyncPlayground(url) as pg: s = await
    pg.session(...)``. The API version is checked before the first request."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        *,
        timeout: float = DEFAULT_TIMEOUT,
        check_version: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.ws_url = _ws_url(self.url)
        self.http = httpx.AsyncClient(
            base_url=self.url,
            timeout=timeout,
            transport=transport,
            headers=_headers(),
        )
        self.local_server: LocalServer | None = None
        self.api_version: str | None = None
        self._must_check = check_version

    @classmethod
    def local(cls, **settings: Any) -> AsyncPlayground:
        """A playground served in this process (see ``Playground.local``)."""
        server = LocalServer(**settings)
        pg = cls(server.url)
        pg.local_server = server
        return pg

    async def close(self) -> None:
        await self.http.aclose()
        if self.local_server is not None:
            await asyncio.to_thread(self.local_server.stop)
            self.local_server = None

    async def __aenter__(self) -> AsyncPlayground:
        if self._must_check:
            await self.check_version()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncPlayground({self.url!r})"

    async def request(self, call: Call) -> Any:
        if self._must_check:
            await self.check_version()
        response = await self.http.request(call.method, call.path, json=call.body)
        return _answer(call, response)

    async def version(self) -> dict[str, str]:
        response = await self.http.get("/api/version")
        return _answer(Call("GET", "/api/version"), response)

    async def check_version(self) -> str:
        try:
            found = await self.version()
        except NotFound:
            found = {}
        check_compatible(self.url, found.get("api"), found.get("server", "?"))
        self._must_check = False
        self.api_version = found["api"]
        return self.api_version

    async def catalog(self) -> dict[str, Any]:
        return await self.request(Call("GET", "/api/catalog"))

    async def backprop(
        self, network: dict[str, Any], inputs: Any, targets: Any, learning_rate: float
    ) -> Trace:
        return await self.request(backprop_call(network, inputs, targets, learning_rate))

    async def session(self, **options: Any) -> AsyncSession:
        state = await self.request(Call("POST", "/api/sessions", session_body(**options)))
        return AsyncSession(self, state)

    async def restore(self, export: dict[str, Any]) -> AsyncSession:
        return AsyncSession(self, await self.request(Call("POST", "/api/sessions", export)))

    async def open(self, session_id: str) -> AsyncSession:
        return AsyncSession(self, await self.request(Calls(session_id).get()))


class AsyncSession(_SessionBase):
    """``Session`` with ``await``."""

    playground: AsyncPlayground

    async def _do(self, call: Call) -> Any:
        return await self.playground.request(call)

    async def refresh(self) -> dict[str, Any]:
        self.state = await self._do(self.calls.get())
        return self.state

    async def frame(self) -> Frame:
        return Frame.from_json((await self.refresh())["frame"])

    async def train(
        self, epochs: int, *, progress: Progress = None, poll: float = POLL_SECONDS
    ) -> Frame:
        answer = await self._do(self.calls.train(epochs, None))
        if isinstance(answer, Frame):
            return answer
        return await self.wait(answer, progress=progress, poll=poll)

    async def start_training(self, epochs: int) -> Job:
        answer = await self._do(self.calls.train(epochs, True))
        if isinstance(answer, Frame):
            raise PlaygroundError(f"the session did not train (status {answer.status})", "epochs")
        return answer

    async def job(self, job: Job | str) -> Job:
        return await self._do(self.calls.job(job if isinstance(job, str) else job.id))

    async def cancel(self, job: Job | str) -> Job:
        return await self._do(self.calls.cancel(job if isinstance(job, str) else job.id))

    async def wait(
        self, job: Job, *, progress: Progress = None, poll: float = POLL_SECONDS
    ) -> Frame:
        report = _progress_fn(progress)
        try:
            while not job.finished:
                if report:
                    report(job)
                await asyncio.sleep(poll)
                job = await self.job(job)
        except asyncio.CancelledError:
            await self.cancel(job)
            raise
        if report:
            report(job)
        return job.result if job.result is not None else await self.frame()

    async def history(self) -> History:
        return await self._do(self.calls.history())

    async def predict(self, inputs: Any, targets: Any = None) -> Trace:
        return await self._do(self.calls.predict(inputs, targets))

    async def backprop(
        self, inputs: Any, targets: Any, learning_rate: float | None = None
    ) -> Trace:
        eta = self.config["training"]["learning_rate"] if learning_rate is None else learning_rate
        network = network_of(await self.export(), self.layer_sizes)
        return await self.playground.backprop(network, inputs, targets, eta)

    async def export(self) -> dict[str, Any]:
        return await self._do(self.calls.export())

    async def reset(self) -> Frame:
        return await self._do(self.calls.reset())

    async def set_training(self, **training: Any) -> dict[str, Any]:
        self.state = await self._do(self.calls.patch(training))
        return self.state

    async def set_weight(self, layer: int, i: int, j: int, value: float) -> Frame:
        return await self._do(self.calls.weight(layer, i, j, value))

    async def set_bias(self, layer: int, j: int, value: float) -> Frame:
        return await self._do(self.calls.bias(layer, j, value))

    async def gradient_check(self, samples: int | None = None, eps: float = 1e-4) -> dict[str, Any]:
        return await self._do(self.calls.gradient_check(samples, eps))

    async def delete(self) -> None:
        await self._do(self.calls.delete())

    def stream(
        self, *, play: bool = False, open_timeout: float = 10.0, frames: str = "json"
    ) -> AsyncStream:
        """``async for frame in s.stream(play=True): ...`` or ``async with s.stream() as
        st: ...`` (``frames``: as ``Session.stream``)."""
        return AsyncStream(self, play=play, open_timeout=open_timeout, frames=frames)


class AsyncStream:
    """``Stream`` with ``await``."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        play: bool = False,
        open_timeout: float = 10.0,
        frames: str = "json",
    ) -> None:
        self.session = session
        self.url = _stream_url(session, frames)
        self.play_on_open = play
        self.open_timeout = open_timeout
        self.ws: Any = None
        self.last_frame: Frame | None = None  # the newest (a binary frame may keep its grid)

    async def open(self) -> AsyncStream:
        from websockets.asyncio.client import connect

        self._exit = contextlib.AsyncExitStack()
        self.ws = await self._exit.enter_async_context(
            connect(self.url, max_size=None, open_timeout=self.open_timeout, proxy=None)
        )
        if self.play_on_open:
            await self.play()
        return self

    async def close(self) -> None:
        if self.ws is not None:
            self.ws = None
            await self._exit.aclose()

    async def __aenter__(self) -> AsyncStream:
        return await self.open() if self.ws is None else self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def send(self, command: dict[str, Any]) -> None:
        if self.ws is None:
            await self.open()
        await self.ws.send(json.dumps(command))

    async def play(self) -> None:
        await self.send(_command("play"))

    async def pause(self) -> None:
        await self.send(_command("pause"))

    async def step(self, epochs: int = 1) -> None:
        await self.send(_command("step", epochs=epochs))

    async def step_sample(self, index: int | None = None) -> None:
        await self.send(_command("step_sample", index=index))

    async def reset(self) -> None:
        await self.send(_command("reset"))

    async def set(self, **training: Any) -> None:
        await self.send(_command("set", training=training))

    async def probe(self, index: int) -> None:
        await self.send(_command("probe", index=index))

    async def recv(self, timeout: float | None = None) -> Message | None:
        from websockets.exceptions import ConnectionClosed

        if self.ws is None:
            await self.open()
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as closed:
            rcvd = closed.rcvd
            error = _closed_error(rcvd.code if rcvd else None, rcvd.reason if rcvd else "")
            if error is not None:
                raise error from None
            raise EOFError("the stream is closed") from None
        message = _stream_message(text, self.last_frame)
        if isinstance(message, Frame):
            self.last_frame = message
        return message

    async def next_frame(self, timeout: float | None = None) -> Frame:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.recv()
                if isinstance(message, Frame):
                    return message

    async def messages(self) -> AsyncIterator[Message]:
        while True:
            try:
                message = await self.recv()
            except EOFError:
                return
            if message is not None:
                yield message

    async def frames(self) -> AsyncIterator[Frame]:
        async for message in self.messages():
            if isinstance(message, Frame):
                yield message

    async def __aiter__(self) -> AsyncIterator[Frame]:
        opened_here = self.ws is None
        if opened_here:
            await self.open()
        try:
            async for frame in self.frames():
                yield frame
        finally:
            if opened_here:
                await self.close()
