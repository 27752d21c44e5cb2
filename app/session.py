"""One training session: a network, its dataset, its trainer, its loss history, its play loop.

All engine work runs in the ``Runner``'s threads under the session's lock, never on the event
loop. Public coroutines are called from the event loop; they publish what changed to the
session's viewers through the ``Hub`` (frames and status for everyone).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from app import frames
from app.build import Built, build, export_state, load_state
from app.errors import FieldError
from app.hub import Hub
from app.limits import check_train_work, epoch_work
from app.runner import Runner
from app.schemas import SessionCreate, TrainingPatch
from app.settings import Settings
from engine import Snapshot, TrainingConfig, gradient_check, trace

log = logging.getLogger(__name__)
T = TypeVar("T")

STATUS_INTERVAL = 0.5  # seconds between status messages while running


class History:
    """The loss curve, one point per epoch, thinned to at most ``max_points``: when full, every
    other point is dropped and only every ``stride``-th epoch is recorded from then on."""

    def __init__(self, max_points: int) -> None:
        self.max_points = max_points
        self.clear()

    def clear(self) -> None:
        self.epoch: list[int] = []
        self.train: list[float] = []
        self.test: list[float | None] = []
        self.stride = 1
        self.first: int | None = None

    def add(self, epoch: int, train: float, test: float | None) -> None:
        if self.first is None:
            self.first = epoch
        if (epoch - self.first) % self.stride:
            return
        self.epoch.append(epoch)
        self.train.append(train)
        self.test.append(test)
        if len(self.epoch) > self.max_points:
            self.epoch, self.train, self.test = self.epoch[::2], self.train[::2], self.test[::2]
            self.stride *= 2

    def to_json(self) -> dict[str, Any]:
        return {"epoch": list(self.epoch), "train": list(self.train), "test": list(self.test)}


class TrainingSession:
    def __init__(
        self,
        session_id: str,
        body: SessionCreate,
        settings: Settings,
        hub: Hub,
        runner: Runner,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = session_id
        self.settings = settings
        self.hub = hub
        self.runner = runner
        self.clock = clock
        self.lock = threading.Lock()  # the engine state: REST work and the training thread
        self.async_lock = asyncio.Lock()  # REST callers wait here, not in a pool thread
        self.closed = False
        self.built: Built = build(body, settings)
        self.trainer = self.built.new_trainer(self.built.params.copy())
        if body.state is not None:
            load_state(self.trainer, body.state)
        self.history = History(settings.max_history_points)
        snap = self.trainer.snapshot()
        self.history.add(snap.epoch, snap.loss_train, snap.loss_test)
        self.running = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self.epochs_per_second = 0.0
        self._rate_epochs = 0
        self._rate_since = time.perf_counter()
        self.last_active = clock()
        self.unwatched_since: float | None = clock()  # None while a viewer is connected

    # -- bookkeeping --------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self.trainer.status == "diverged":
            return "diverged"
        return "running" if self.running else "paused"

    def touch(self) -> None:
        self.last_active = self.clock()

    def watched(self) -> None:
        """A viewer connected."""
        self.unwatched_since = None

    def unwatched(self) -> None:
        """A viewer left; call when none is left."""
        if not self.hub.viewers(self.id):
            self.unwatched_since = self.clock()

    def unwatched_seconds(self, now: float) -> float:
        """Seconds since the last viewer left (0 while anyone watches)."""
        if self.hub.viewers(self.id) or self.unwatched_since is None:
            return 0.0
        return now - self.unwatched_since

    def idle_seconds(self, now: float) -> float:
        """Seconds since the last request; a session with viewers is never idle."""
        if self.hub.viewers(self.id):
            return 0.0
        return now - self.last_active

    async def _locked(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in a REST pool thread while holding the session's lock.

        Callers queue on the session's asyncio lock first, so a request waiting for a long
        one on the same session holds no pool thread (the pool serves every session)."""

        def call() -> T:
            with self.lock:
                return fn()

        async with self.async_lock:
            return await self.runner.run(call)

    # -- frames -------------------------------------------------------------------------------
    def _snap(self) -> Snapshot:
        return self.trainer.last or self.trainer.snapshot()

    def _frame(self, snap: Snapshot | None = None) -> dict[str, Any]:
        b = self.built
        return frames.frame(
            snap or self._snap(),
            self.status,
            b.spec,
            b.dataset,
            b.X_train,
            b.T_train,
            self.settings.grid_resolution,
            b.grid_inputs(self.settings.grid_resolution),
        )

    async def frame_text(self) -> str:
        """The current state as a frame, encoded."""
        return await self._locked(lambda: frames.dumps(self._frame()))

    def status_message(self) -> dict[str, Any]:
        return {
            "type": "status",
            "status": self.status,
            "epoch": int(self.trainer.epoch),
            "epochs_per_second": round(self.epochs_per_second, 1),
        }

    def publish_status(self) -> None:
        self.hub.publish(self.id, "status", frames.dumps(self.status_message()))

    async def publish_frame(self) -> str:
        """Encode the current frame, send it to every viewer, and return its text (the REST
        answer: encoded once, in a pool thread, never again on the event loop)."""
        text = await self.frame_text()
        self.hub.publish(self.id, "frame", text)
        return text

    # -- state for REST -----------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        body = self.built.body.model_dump(exclude={"state"})
        body["training"] = self.trainer.config.to_dict()
        return body

    def data_json(self) -> dict[str, Any]:
        d, b = self.built.dataset, self.built
        return {
            "task": d.task,
            "feature_names": list(d.feature_names),
            "domain": [[float(lo), float(hi)] for lo, hi in d.domain],
            "train": {"points": frames.floats(d.P_train), "targets": frames.floats(b.T_train)},
            "test": {"points": frames.floats(d.P_test), "targets": frames.floats(b.T_test)},
        }

    def _state_text(self, frame_text: str) -> str:
        """``SessionState`` of docs/contract.md, encoded, around an encoded frame."""
        return frames.dumps(
            {
                "id": self.id,
                "config": self.config(),
                "status": self.status,
                "epoch": int(self.trainer.epoch),
                "layer_sizes": list(self.built.spec.layer_sizes),
                "frame": frames.Fragment(frame_text),
                "data": self.data_json(),
            }
        )

    async def state_text(self) -> str:
        """``SessionState`` of docs/contract.md, encoded."""
        return await self._locked(lambda: self._state_text(frames.dumps(self._frame())))

    async def history_text(self) -> str:
        return await self._locked(lambda: frames.dumps(self.history.to_json()))

    async def export_text(self) -> str:
        """A body for ``POST /api/sessions`` that recreates this session bit-for-bit."""

        def make() -> str:
            body = self.config()
            body["network"].update(self.trainer.params.to_lists())
            body["state"] = export_state(self.trainer)
            return frames.dumps(body)

        return await self._locked(make)

    # -- training -----------------------------------------------------------------------------
    def _record(self, snap: Snapshot) -> None:
        self.history.add(snap.epoch, snap.loss_train, snap.loss_test)

    def _train(self, epochs: int) -> Snapshot:
        """Train up to ``epochs`` epochs, recording each in the history; stops early on
        divergence and when the session is closed (deleted or expired meanwhile)."""
        snap = self._snap()
        for _ in range(epochs):
            if self.closed:
                break
            snap = self.trainer.run_epoch()
            if self.trainer.status == "diverged":
                break
            self._record(snap)
        return snap

    def epoch_work(self) -> int:
        """The cost of one epoch at the current settings (see ``limits.epoch_work``)."""
        params = self.trainer.params
        return epoch_work(
            self.built.X_train.shape[0],
            sum(w.size + v.size for w, v in zip(params.W, params.b, strict=True)),
            self.trainer.config.batch_size,
            len(params.W),
        )

    async def train(self, epochs: int) -> str:
        """Train ``epochs`` epochs now (pausing a running loop first); return the last frame.
        Refused (field ``epochs``) when the work exceeds ``max_train_work``."""
        check_train_work("epochs", epochs, self.epoch_work(), self.settings)
        await self.pause()
        await self._locked(lambda: self._train(epochs))
        return await self.publish_frame()

    def play_chunk(self, budget: float) -> bool | None:
        """(A training thread.) Train until ``budget`` seconds have passed (at least one
        epoch), encode a frame if anyone watches, hand it to the event loop without waiting.
        Returns False when the session must stop (paused, diverged, closed), and None without
        waiting when a REST request holds the session (the runner tries again later, so that a
        busy session never holds up the others)."""
        if not self.lock.acquire(blocking=False):
            return None if self.running else False
        try:
            if not self.running or self.closed:
                return False
            deadline = time.perf_counter() + budget
            snap = self._train(1)
            done = 1
            while self.trainer.status != "diverged" and time.perf_counter() < deadline:
                snap = self._train(1)
                done += 1
            diverged = self.trainer.status == "diverged"
            text = frames.dumps(self._frame(snap)) if self.hub.viewers(self.id) else None
        finally:
            self.lock.release()
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(self._after_chunk, done, text, diverged)
            except RuntimeError:  # the loop is closed: the server is shutting down
                return False
        return not diverged

    def _after_chunk(self, done: int, text: str | None, diverged: bool) -> None:
        """(The event loop.) Publish a chunk's frame and, now and then, the status."""
        if text is not None and (self.running or diverged):  # pause() sent a fresher one
            self.hub.publish(self.id, "frame", text)
        self._rate_epochs += done
        now = time.perf_counter()
        if diverged:
            self.running = False
        if diverged or now - self._rate_since >= STATUS_INTERVAL:
            self.epochs_per_second = self._rate_epochs / max(now - self._rate_since, 1e-9)
            self._rate_epochs, self._rate_since = 0, now
            self.publish_status()

    async def play(self) -> None:
        """Start training in the background (no-op when running, diverged or closed)."""
        if self.closed:
            return
        if self.running or self.trainer.status == "diverged":
            self.publish_status()
            return
        self._loop = asyncio.get_running_loop()
        self.running = True
        self._rate_epochs, self._rate_since = 0, time.perf_counter()
        self.runner.start(self)
        self.publish_status()

    async def pause(self) -> None:
        """Stop the background training after its current chunk; publish status and frame."""
        if not self.running:
            return
        self.running = False
        self.runner.stop(self)
        self.epochs_per_second = 0.0
        await self._locked(lambda: None)  # the chunk in progress, if any, has finished
        self.publish_status()
        await self.publish_frame()

    async def step(self, epochs: int) -> str:
        return await self.train(epochs)

    async def step_sample(self, index: int | None) -> dict[str, Any]:
        """One forward, backward and update on one training sample; publishes ``sample_step``
        (to every viewer) and then a frame."""
        await self.pause()
        if index is not None:
            self._check_index("index", index)
        result = await self._locked(lambda: self.trainer.step_sample(index))
        message = frames.sample_step_json(result)
        self.hub.publish(self.id, "sample_step", frames.dumps(message))
        await self.publish_frame()
        return message

    async def reset(self) -> str:
        """Back to the initial parameters at epoch 0 (paused)."""
        await self.pause()

        def do() -> None:
            probe = self.trainer.probe_index
            self.built.config = self.trainer.config
            self.trainer = self.built.new_trainer(self.built.params.copy(), probe)
            self.history.clear()
            self._record(self.trainer.snapshot())

        await self._locked(do)
        self.publish_status()
        return await self.publish_frame()

    def _set_config(self, patch: TrainingPatch) -> None:
        changes = patch.model_dump(exclude_none=True)
        self.trainer.set_config(TrainingConfig(**{**self.trainer.config.to_dict(), **changes}))

    async def set_training(self, patch: TrainingPatch) -> None:
        """Change η, batch size, momentum or regularisation live; the weights stay."""
        await self._locked(lambda: self._set_config(patch))
        if not self.running:
            await self.publish_frame()
        self.publish_status()

    async def patch_state(self, patch: TrainingPatch) -> str:
        """``set_training`` answering the encoded state (REST): one frame is built, published
        (unless the session is running: its own frames follow) and embedded in the state."""

        def do() -> tuple[str, str]:
            self._set_config(patch)
            frame_text = frames.dumps(self._frame())
            return frame_text, self._state_text(frame_text)

        frame_text, text = await self._locked(do)
        if not self.running:
            self.hub.publish(self.id, "frame", frame_text)
        self.publish_status()
        return text

    def _check_index(self, field: str, index: int) -> None:
        n = self.built.X_train.shape[0]
        if not 0 <= index < n:
            raise FieldError(field, f"must be in [0, {n - 1}] (the training samples)")

    async def set_probe(self, index: int) -> None:
        self._check_index("index", index)

        def do() -> None:
            self.trainer.set_probe(index)
            self.trainer.last = None

        await self._locked(do)
        await self.publish_frame()

    async def edit_weight(self, layer: int, i: int, j: int, value: float) -> str:
        """Set one weight w_ij of ``W[layer]``; answers the new frame."""
        return await self._edit("weight", layer, j, value, i)

    async def edit_bias(self, layer: int, j: int, value: float) -> str:
        """Set one bias b_j of ``b[layer]``; answers the new frame."""
        return await self._edit("bias", layer, j, value)

    def _check_value(self, value: float) -> None:
        if abs(value) > self.settings.max_abs_value:
            raise FieldError(
                "value",
                f"|{value}| exceeds the limit of {self.settings.max_abs_value} (max_abs_value)",
            )

    async def _edit(self, kind: str, layer: int, j: int, value: float, i: int | None = None) -> str:
        """``Trainer.set_parameter``: it names a bad ``layer``/``i``/``j``, lifts a diverged
        status and keeps the momentum velocity (the next steps carry on from it)."""
        self._check_value(value)
        await self._locked(lambda: self.trainer.set_parameter(kind, layer, j, value, i))
        return await self.publish_frame()

    async def predict(self, inputs: list[list[float]], targets: list[list[float]] | None) -> str:
        """Outputs and the full trace (z, a, g'(z), and δ when targets are given), no update;
        encoded."""
        spec = self.built.spec
        X = np.asarray(inputs, dtype=np.float64)
        n_0, K = spec.layer_sizes[0], spec.layer_sizes[-1]
        if X.ndim != 2 or X.shape[1] != n_0:
            raise FieldError("inputs", f"every row needs {n_0} values (the input features)")
        T = None
        if targets is not None:
            T = np.asarray(targets, dtype=np.float64)
            if T.ndim != 2 or T.shape != (X.shape[0], K):
                raise FieldError("targets", f"must have shape [{X.shape[0]}, {K}]")

        def do() -> str:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                tr = trace(spec, self.trainer.params, X, T)
            out: dict[str, Any] = {
                "outputs": frames.floats(tr["cache"].a[-1]),
                "layers": [{k: frames.floats(v) for k, v in lay.items()} for lay in tr["layers"]],
            }
            if T is not None:
                out["loss"] = float(tr["errors"].mean())
                out["gradients"] = frames.params_json(tr["gradients"].W, tr["gradients"].b)
            return frames.dumps(out)

        return await self._locked(do)

    async def gradient_check(self, samples: int | None, eps: float) -> str:
        """The engine's gradient check on the first ``samples`` training samples; encoded."""
        n = self.built.X_train.shape[0]
        k = min(n, samples or self.settings.gradient_check_samples)
        n_params = sum(
            w.size + v.size for w, v in zip(self.built.params.W, self.built.params.b, strict=True)
        )
        limit = self.settings.max_gradient_check_work
        if k * n_params > limit:
            raise FieldError(
                "samples",
                f"{k} samples × {n_params} parameters exceed the limit of {limit} "
                "(max_gradient_check_work)",
            )
        X, T = self.built.X_train[:k], self.built.T_train[:k]

        def do() -> str:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                result = gradient_check(self.built.spec, self.trainer.params, X, T, eps)
            return frames.dumps(
                {
                    "max_rel_error": result["max_rel_error"],
                    "max_abs_error": result["max_abs_error"],
                    "parameters": result["parameters"],
                    "samples": k,
                    "eps": eps,
                    "analytic": frames.params_json(result["analytic"].W, result["analytic"].b),
                    "numeric": frames.params_json(result["numeric"].W, result["numeric"].b),
                    "rel_error": {
                        "weights": [r.tolist() for r in result["rel_error"]["weights"]],
                        "biases": [r.tolist() for r in result["rel_error"]["biases"]],
                    },
                }
            )

        return await self._locked(do)

    async def close(self) -> None:
        """Stop training (a REST train in progress stops after its current epoch) and
        disconnect the viewers; a closed session never trains again."""
        self.closed = True
        self.running = False
        self.runner.stop(self)
        self.hub.close_session(self.id)
