"""A session as it lives in a trainer: its engine state, its loss history and how they change;
what it publishes and answers (encoded once) is ``app.trainer.messages``.

A ``Resident`` never leaves the trainer it was created in (a trainer process, or the web process
with ``BPP_TRAINERS=0``). It is plain synchronous code — no event loop, no locks: the trainer's
one thread calls it between training chunks. Every answer leaves as encoded JSON bytes, built
once; the web process only forwards them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from app.errors import FieldError
from app.limits import check_train_work, epoch_work
from app.schemas import SessionCreate
from app.settings import Settings
from app.trainer import frames
from app.trainer.build import Built, build
from app.trainer.concealment import Concealment
from app.trainer.gradflow import GradientFlow
from app.trainer.history import History
from app.trainer.messages import ERRSTATE, FrameStats, Messages
from app.trainer.replay import Checkpoints
from engine import Snapshot, gradient_check, gradient_flow, trace
from engine.questions import Quantity, expected_value

__all__ = ["ERRSTATE", "FrameStats", "History", "Resident"]


class Resident(Messages):
    """One session's engine state in its trainer.

    ``running`` means playing; ``pending_epochs`` counts the epochs a REST ``train`` (or a
    socket ``step``) still has to run. The trainer's scheduler runs both in chunks, so one long
    request never holds up the trainer's other sessions.
    """

    @classmethod
    def restore(
        cls, session_id: str, client: str, checkpoint: bytes, settings: Settings
    ) -> Resident:
        """The session a ``checkpoint`` saved, paused: same parameters, momentum, shuffling
        generator, epoch, probe, loss history and replay checkpoints, so its next epochs are the
        ones it would have trained."""
        saved = orjson.loads(checkpoint)
        r = cls(session_id, client, saved["session"], settings)
        r.history.load_state(saved["history"])
        r.flow.load_state(saved.get("gradient_flow"))
        r.replay.load_state(saved.get("replay"))
        r.saved_jobs = list(saved.get("jobs") or [])
        r.concealment = Concealment.of(saved.get("conceal"))
        return r

    def __init__(
        self, session_id: str, client: str, body: dict[str, Any], settings: Settings
    ) -> None:
        self.id = session_id
        self.client = client
        self.settings = settings
        parsed = SessionCreate.model_validate(body)
        self.built: Built = build(parsed, settings)
        self.trainer = self.built.new_trainer(self.built.params.copy())
        if parsed.state is not None:
            self.trainer.load_state(parsed.state.model_dump(exclude_none=True))
        self.stop_rule: dict[str, Any] = {}
        self.set_stop(parsed.stop.model_dump() if parsed.stop else {})
        self.history = History(settings.max_history_points)
        self.flow = GradientFlow(settings.max_gradient_flow_points)
        self.replay = Checkpoints(settings.max_replay_bytes)
        snap = self.trainer.snapshot()
        self.history.add(snap.epoch, snap.loss_train, snap.loss_test)
        self.record_flow(snap)
        self.replay.add(snap.epoch, snap.W, snap.b)
        self.running = False
        self.pending_epochs = 0
        self.saved_jobs: list[dict[str, Any]] = []  # jobs a restored checkpoint held
        self.viewers = 0  # live full viewers, summed over the web processes' counts
        self.summary_viewers = 0
        self.binary_viewers = 0  # of ``viewers``: those that read binary frames
        # web → (viewers, summary, when, binary)
        self.watchers: dict[str, tuple[int, int, float, int]] = {}
        self.epochs_per_second = 0.0
        self.concealment = Concealment()  # an open network question (issue 18)
        d = self.built.dataset
        # sessions with equal keys share their heatmap grid's inputs
        self.grid_key = (
            d.dims,
            tuple((float(lo), float(hi)) for lo, hi in d.domain),
            tuple(self.built.body.dataset.features or ()),
        )

    # -- bookkeeping ------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self.trainer.status == "diverged":
            return "diverged"
        return "running" if self.running else "paused"

    @property
    def runnable(self) -> bool:
        """Wants training time: playing, or a train request still has epochs to run."""
        return self.trainer.status != "diverged" and (self.running or self.pending_epochs > 0)

    def epoch_work(self) -> int:
        """The cost of one epoch at the current settings (see ``limits.epoch_work``)."""
        params = self.trainer.params
        return epoch_work(
            self.trainer.n_train,
            sum(w.size + v.size for w, v in zip(params.W, params.b, strict=True)),
            self.trainer.config.batch_size,
            len(params.W),
        )

    def record(
        self,
        snap: Snapshot,
        flow: tuple[list[float], list[float]] | None = None,
        sample: bool = True,
    ) -> None:
        """Add an epoch's losses to the history (a diverged epoch is not recorded); ``flow``:
        the snapshot's gradient flow when already measured (stacked: ``flow_stack``);
        ``sample`` false: the gradient-flow series skips this epoch (a playing session between
        its samples, ``flow_stack.FlowSampling``)."""
        if snap.status != "diverged":
            self.history.add(snap.epoch, snap.loss_train, snap.loss_test)
            if sample:
                self.record_flow(snap, flow)
            if self.replay.wants(snap.epoch):
                self.replay.add(snap.epoch, snap.W, snap.b)

    def record_flow(
        self, snap: Snapshot, flow: tuple[list[float], list[float]] | None = None
    ) -> None:
        """Each layer's mean |δ| and mean |∂E/∂w| at ``snap`` (on the epochs the thinned
        gradient-flow series keeps): ``flow`` when given, else measured here."""
        if self.flow.wants(snap.epoch):
            if flow is None:
                with np.errstate(**ERRSTATE):
                    flow = gradient_flow(self.trainer.node_stats(snap), snap.grad_W)
            self.flow.add(snap.epoch, *flow)

    # -- the stop condition -----------------------------------------------------------------
    def set_stop(self, stop: dict[str, Any]) -> None:
        """Replace the stop condition (``StopCondition``; empty: train until told to stop)."""
        self.stop_rule = {k: v for k, v in stop.items() if v is not None}

    def stop_reason(self, snap: Snapshot | None = None) -> str | None:
        """Why training must stop at ``snap`` (default: now), or None."""
        snap = snap or self.snap()
        rule = self.stop_rule
        limit = rule.get("max_epochs")
        if limit is not None and snap.epoch >= limit:
            return f"epoch {snap.epoch} reached max_epochs = {limit}"
        below = rule.get("test_loss_below")
        if below is not None and snap.loss_test is not None and snap.loss_test < below:
            return f"test loss {snap.loss_test:.6g} < test_loss_below = {below:g}"
        return None

    def check_stop(self) -> None:
        """Refuse (409 on ``stop``) to train when the stop condition already holds."""
        reason = self.stop_reason()
        if reason is not None:
            raise FieldError(
                "stop", f"the stop condition holds ({reason}); change or clear it to train on", 409
            )

    def stop_json(self) -> dict[str, Any]:
        return {"stop": self.stop_rule or None, "reached": self.stop_reason()}

    # -- changes ------------------------------------------------------------------------------
    def check_train(self, epochs: int) -> None:
        """Refuse (field ``epochs``) a train request whose work exceeds ``max_train_work``."""
        check_train_work("epochs", epochs, self.epoch_work(), self.settings)

    def set_probe(self, index: int) -> None:
        self.trainer.set_probe(index, "index")

    def edit(self, kind: str, layer: int, j: int, value: float, i: int | None = None) -> None:
        """``Trainer.set_parameter``: it names a bad ``layer``/``i``/``j``, lifts a diverged
        status and keeps the momentum velocity (the next steps carry on from it)."""
        if abs(value) > self.settings.max_abs_value:
            raise FieldError(
                "value",
                f"|{value}| exceeds the limit of {self.settings.max_abs_value} (max_abs_value)",
            )
        self.trainer.set_parameter(kind, layer, j, value, i)

    def reset(self) -> None:
        """Back to the initial parameters at epoch 0, keeping the training settings."""
        probe, config = self.trainer.probe_index, self.trainer.config
        self.trainer = self.built.new_trainer(self.built.params.copy(), probe, config)
        self.history.clear()
        self.flow.clear()
        self.replay.clear()
        self.record(self.trainer.snapshot())

    def step_sample(self, index: int | None) -> bytes:
        """One forward, backward and update on one training sample: the ``sample_step``
        message."""
        result = self.trainer.step_sample(index)
        return frames.dumpb(frames.sample_step_json(result))

    # -- activities (issue 18) ----------------------------------------------------------------
    def quantity(
        self, quantity: Quantity, sample: int | None, eta: float | None, field: str = "sample"
    ) -> dict[str, Any]:
        """A network question's expected value on this network now (``expected_value``: one
        trace of the sample, Eq. 5/14 for δ, Eq. 6/15 for ∂E/∂w, Eq. 7 for an update)."""
        d, spec = self.built.dataset, self.built.spec
        index = self.trainer.probe_index if sample is None else sample
        n = len(d.X_train)
        if not 0 <= index < n:
            raise FieldError(field, f"the training set has samples 0 to {n - 1} (got {index})")
        eta = self.trainer.config.learning_rate if eta is None else eta
        x = d.X_train[index]
        t = d.encode_targets(d.T_train[index : index + 1], spec.output)[0]
        value = expected_value(spec, self.trainer.params, x, t, quantity, eta)
        return {"value": value, "sample": int(index), "eta": float(eta)}

    # -- computed on request ------------------------------------------------------------------
    def predict(self, inputs: list[list[float]], targets: list[list[float]] | None) -> bytes:
        """Outputs and the full trace (z, a, g'(z), and δ when targets are given), no update."""
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
        with np.errstate(**ERRSTATE):
            tr = trace(spec, self.trainer.params, X, T)
        out: dict[str, Any] = {
            "outputs": frames.floats(tr["cache"].a[-1]),
            "layers": [{k: frames.floats(v) for k, v in lay.items()} for lay in tr["layers"]],
        }
        if T is not None:
            out["loss"] = float(tr["errors"].mean())
            out["gradients"] = frames.params_json(tr["gradients"].W, tr["gradients"].b)
        return frames.dumpb(self.concealment.predict(out))

    def gradient_check(self, samples: int | None, eps: float) -> bytes:
        """The engine's gradient check on the first ``samples`` training samples."""
        if "gradients" in self.concealment.fields:
            raise FieldError(
                "samples",
                "the gradients are hidden while your question is open: answer it first",
                409,
            )
        k = min(self.trainer.n_train, samples or self.settings.gradient_check_samples)
        params = self.trainer.params
        n_params = sum(w.size + v.size for w, v in zip(params.W, params.b, strict=True))
        limit = self.settings.max_gradient_check_work
        if k * n_params > limit:
            raise FieldError(
                "samples",
                f"{k} samples × {n_params} parameters exceed the limit of {limit} "
                "(max_gradient_check_work)",
            )
        data, output = self.built.dataset, self.built.spec.output
        X, T = data.X_train[:k], data.encode_targets(data.T_train[:k], output)
        with np.errstate(**ERRSTATE):
            result = gradient_check(self.built.spec, params, X, T, eps)
        return frames.dumpb(
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
