"""What a resident session says (``app.trainer.resident.Resident`` is one): the messages it
publishes — frame, summary, status, panels — and the answers to what a client asks of it —
its state, export and checkpoint, predictions, replayed frames, confusion matrix
(``app.trainer.confusion``), gradient check. Each leaves as JSON bytes encoded once
(``app.trainer.frames``); the web process only forwards them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import FieldError
from app.schemas import drop_arrays
from app.settings import Settings
from app.trainer import frame_binary, frames
from app.trainer.build import Built
from app.trainer.concealment import Concealment
from app.trainer.confusion import TargetCodes, confusion_bytes
from app.trainer.gradflow import GradientFlow
from app.trainer.replay import Checkpoints
from engine import (
    Params,
    Snapshot,
    Trainer,
    grid_activations,
)

if TYPE_CHECKING:
    from app.trainer.history import History

FrameStats = tuple[list[tuple[np.ndarray, np.ndarray]], list[np.ndarray] | None]

ERRSTATE: dict[str, Any] = {
    "over": "ignore",
    "invalid": "ignore",
    "divide": "ignore",
    "under": "ignore",
}


class Messages:
    """The encodings of a ``Resident`` (its base class: the state they read is the
    resident's)."""

    id: str
    settings: Settings
    built: Built
    trainer: Trainer
    history: History
    flow: GradientFlow
    replay: Checkpoints
    stop_rule: dict[str, Any]
    pending_epochs: int
    epochs_per_second: float
    concealment: Concealment

    if TYPE_CHECKING:

        @property
        def status(self) -> str: ...

        def stop_reason(self, snap: Snapshot | None = None) -> str | None: ...

    # -- encodings ----------------------------------------------------------------------------
    def snap(self) -> Snapshot:
        return self.trainer.last or self.trainer.snapshot()

    def grid_inputs(self) -> np.ndarray | None:
        """The network inputs at the heatmap grid's cells (None for data of more than 2 dims)."""
        return self.built.grid_inputs(self.settings.grid_resolution)

    def frame(self, snap: Snapshot | None = None, stats: FrameStats | None = None) -> dict:
        """The frame of ``snap`` (default: the last snapshot). ``stats`` are its node stats
        and grid activations when the trainer computed them stacked with other sessions'."""
        snap = snap or self.snap()
        if stats is None:
            b, X_grid = self.built, self.grid_inputs()
            node = self.trainer.node_stats(snap)
            grid = None if X_grid is None else grid_activations(b.spec, snap.W, snap.b, X_grid)
        else:
            node, grid = stats
        eta = self.trainer.config.learning_rate
        frame = frames.frame(snap, self.status, self.built.dataset, node, grid, eta)
        return self.concealment.frame(frame)

    @property
    def conceal(self) -> frozenset[str]:
        """The probe fields its binary frames leave out (an open network question's)."""
        return self.concealment.probe_fields()

    def frame_bytes(self, snap: Snapshot | None = None, stats: FrameStats | None = None) -> bytes:
        return frames.dumpb(self.frame(snap, stats))

    def frame_member(self, snap: Snapshot | None = None) -> frame_binary.Member:
        """This session as one member of a stack of binary frames."""
        eta, t = self.trainer.config.learning_rate, self.trainer
        i = t.probe_index
        return frame_binary.Member(
            snap or self.snap(),
            self.status,
            eta,
            self.conceal,
            spec=self.built.spec,
            probe_index=i,
            probe_x=t.X[i],
            probe_t=t.T[i],
        )

    def binary_frame(self, stats: FrameStats | None = None) -> bytes:
        """The binary frame (docs/contract.md, "Binary frames") of the last snapshot: the same
        numbers as ``frame``, encoded as a stack of one."""
        snap = self.snap()
        if stats is None:
            b, X_grid = self.built, self.grid_inputs()
            node = self.trainer.node_stats(snap)
            grid = None if X_grid is None else grid_activations(b.spec, snap.W, snap.b, X_grid)
        else:
            node, grid = stats
        node1 = [(m[None], d[None]) for m, d in node]
        grid1 = None if grid is None else [a[None] for a in grid]
        member = self.frame_member(snap)
        return frame_binary.encode_stack([member], self.built.dataset, node1, grid1)[0]

    def summary_bytes(self) -> bytes:
        """The small ``summary`` message a dashboard shows for this session."""
        b = self.built
        return frames.dumpb(
            frames.summary(
                self.id,
                self.snap(),
                self.status,
                b.spec,
                b.dataset,
                b.grid_inputs(self.settings.summary_resolution),
                setup=self.setup(),
            )
        )

    def setup(self) -> dict[str, Any]:
        """The session's settings as they are now, without its arrays (inline data, initial
        weights): what a dashboard compares with the lesson."""
        return drop_arrays(self.config())

    def status_message(self) -> dict[str, Any]:
        message = {
            "type": "status",
            "status": self.status,
            "epoch": int(self.trainer.epoch),
            "epochs_per_second": round(self.epochs_per_second, 1),
        }
        if self.status == "paused" and self.pending_epochs == 0:
            # every status says so while the stop condition holds (a viewer's mailbox keeps
            # only the newest status, so one special message could be overwritten)
            reason = self.stop_reason()
            if reason is not None:
                message["stopped"] = reason
        return message

    def status_bytes(self) -> bytes:
        return frames.dumpb(self.status_message())

    def config(self) -> dict[str, Any]:
        body = self.built.body.model_dump(exclude={"state"})
        body["training"] = self.trainer.config.to_dict()
        body["stop"] = self.stop_rule or None
        return body

    def data_json(self) -> dict[str, Any]:
        d, output = self.built.dataset, self.built.spec.output
        return {
            "task": d.task,
            "feature_names": list(d.feature_names),
            "domain": [[float(lo), float(hi)] for lo, hi in d.domain],
            "train": {
                "points": frames.floats(d.P_train),
                "targets": frames.floats(d.encode_targets(d.T_train, output)),
            },
            "test": {
                "points": frames.floats(d.P_test),
                "targets": frames.floats(d.encode_targets(d.T_test, output)),
            },
        }

    def state_bytes(self, frame_bytes: bytes | None = None) -> bytes:
        """``SessionState`` of docs/contract.md around an encoded frame."""
        return frames.dumpb(
            {
                "id": self.id,
                "config": self.config(),
                "status": self.status,
                "epoch": int(self.trainer.epoch),
                "layer_sizes": list(self.built.spec.layer_sizes),
                "frame": frames.Fragment(frame_bytes or self.frame_bytes()),
                "data": self.data_json(),
            }
        )

    def export(self) -> dict[str, Any]:
        """A body for ``POST /api/sessions`` that recreates this session bit-for-bit."""
        body = self.config()
        body["network"].update(self.trainer.params.to_lists())
        body["state"] = self.trainer.state()
        return body

    def checkpoint_bytes(self, jobs: list[dict[str, Any]] | None = None) -> bytes:
        """What the store keeps of this session (``restore`` reads it back): its export, its
        loss history, its gradient flow and its replay checkpoints (thinned within
        ``max_replay_checkpoint_bytes``) and its training ``jobs`` (``TrainQueue.saved``)."""
        return frames.dumpb(
            {
                "version": 1,
                "session": self.export(),
                "history": self.history.state(),
                "gradient_flow": self.flow.state(),
                "replay": self.replay.state(self.settings.max_replay_checkpoint_bytes),
                "jobs": jobs or [],
                "conceal": self.concealment.state() if self.concealment.active else None,
            }
        )

    def history_bytes(self) -> bytes:
        return frames.dumpb({**self.history.to_json(), "gradient_flow": self.flow.to_json()})

    def panel_messages(self, full: bool) -> list[tuple[str, bytes]]:
        """The stream's panel messages, each a REST read's answer with its ``type``: the loss
        history with its gradient flow (``full``: when training stops or the state changes;
        while it runs the frames carry the losses, so only the small ``gradient_flow``), the
        confusion matrix (classification only) and the replay range."""
        out = [
            ("history", frames.panel_message("history", self.history_bytes()))
            if full
            else ("gradient_flow", frames.panel_message("gradient_flow", self.flow_bytes()))
        ]
        if self.built.dataset.task == "classification":
            out.append(("confusion", frames.panel_message("confusion", self.confusion())))
        out.append(("replay_range", frames.panel_message("replay_range", self.replay_json())))
        return out

    def flow_bytes(self) -> bytes:
        return frames.dumpb(self.flow.to_json())

    def export_bytes(self) -> bytes:
        return frames.dumpb(self.export())

    # -- reads: the replay range and a past epoch's frame, the confusion matrix ------------------
    def replay_json(self) -> bytes:
        """The epochs whose parameters are kept for replay (``Checkpoints``)."""
        c = self.replay
        return frames.dumpb(
            {"epochs": list(c.epochs), "stride": c.stride, "bytes": c.nbytes,
             "max_bytes": c.max_bytes}
        )  # fmt: skip

    def replay_frame(self, epoch: int) -> bytes:
        """The frame of the last kept checkpoint at or before ``epoch``: the network as it was
        then (weights, probe trace, node statistics, grid, losses), computed now by the same
        code as a live frame. Its ``gradients`` are the full-batch mean gradient at those
        weights; it carries ``"replay": true``."""
        hit = self.replay.at(epoch)
        if hit is None:
            first = self.replay.epochs[0] if self.replay.epochs else None
            raise FieldError("epoch", f"no checkpoint at or before epoch {epoch} (first: {first})")
        kept, W, b = hit
        params = Params([w.copy() for w in W], [v.copy() for v in b])
        then = self.built.new_trainer(params, self.trainer.probe_index, self.trainer.config)
        with np.errstate(**ERRSTATE):
            snap = then.snapshot()
            X_grid = self.grid_inputs()
            grid = None if X_grid is None else grid_activations(self.built.spec, W, b, X_grid)
            node, eta = then.node_stats(snap), then.config.learning_rate
            frame = frames.frame(snap, self.status, self.built.dataset, node, grid, eta)
        frame["epoch"] = kept
        frame["replay"] = True
        return frames.dumpb(self.concealment.frame(frame))

    def confusion(self) -> bytes:
        """The confusion matrices at the current parameters (``app.trainer.confusion``)."""
        codes = self.__dict__.setdefault("_target_codes", TargetCodes(self.built.dataset))
        return confusion_bytes(self.built, self.trainer, codes)
