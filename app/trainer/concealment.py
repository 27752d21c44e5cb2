"""What a session leaves out of its frames and reads while a network question is open for its
student (issue 18), and the freeze that keeps the network the student computes from the one
that is checked.

The web process sends ``Conceal`` (``app.commands``) with the fields of
``engine.questions.hidden_fields`` — the quantity asked for and what gives it away at once
(a_j gives z_j, ∂E/∂w_ij = δ_j a_i gives δ_j, the updated weight gives the gradient, Eq. 5–7,
14–15) — and the question's label while the network must not change. The trainer applies it
where the probe trace becomes a frame (``Resident.frame``), in ``predict`` and the replay
frames, and refuses every change of the network (``check_thawed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.errors import FieldError
from app.trainer.frame_binary import PROBE_FIELDS

# probe-trace fields kept per layer (frames.probe_json): the ones a question may hide
LAYER_FIELDS = ("z", "a", "g_prime", "delta")


@dataclass(frozen=True)
class Concealment:
    fields: frozenset[str] = frozenset()
    frozen: str | None = None  # the open question, named in refusals; None: free to train
    hold_probe: bool = False  # the question is about the probe sample: it may not move

    @property
    def active(self) -> bool:
        return bool(self.fields) or self.frozen is not None

    def state(self) -> dict[str, Any]:
        return {"fields": sorted(self.fields), "frozen": self.frozen, "hold_probe": self.hold_probe}

    @classmethod
    def of(cls, state: dict[str, Any] | None) -> Concealment:
        if not state:
            return cls()
        return cls(
            frozenset(state.get("fields") or ()), state.get("frozen"), bool(state.get("hold_probe"))
        )

    def probe_fields(self) -> frozenset[str]:
        """The hidden fields as ``frame_binary.PROBE_FIELDS`` names (what ``probe`` drops)."""
        out = set(self.fields)
        if "gradients" in out:
            out.add("updated")
        if "a" in out:
            out.add("output")
        return frozenset(out & set(PROBE_FIELDS))

    def check_thawed(self, field: str) -> None:
        """Refuse (409 naming ``field``) a change of the network while a question is open."""
        if self.frozen is not None:
            raise FieldError(
                field,
                f"your network is frozen while the question {self.frozen!r} is open: answer it "
                "first (or wait for your teacher's reveal)",
                status_code=409,
            )

    def check_probe(self) -> None:
        if self.frozen is not None and self.hold_probe:
            self.check_thawed("index")

    def frame(self, frame: dict[str, Any]) -> dict[str, Any]:
        """``frame`` without the hidden fields of its probe trace (and, when gradients are
        hidden, its mean gradients too); it says what it leaves out in ``concealed``."""
        if not self.fields:
            return frame
        frame["probe"] = self.probe(frame.get("probe") or {})
        if "gradients" in self.fields:
            frame.pop("gradients", None)
        frame["concealed"] = sorted(self.fields)
        return frame

    def probe(self, probe: dict[str, Any]) -> dict[str, Any]:
        hidden = self.fields
        out = {k: v for k, v in probe.items() if k not in hidden}
        if "layers" in probe:
            out["layers"] = [
                {k: v for k, v in layer.items() if k not in hidden} for layer in probe["layers"]
            ]
        if "gradients" in hidden or "updated" in hidden:  # Eq. 7's value gives the gradient
            out.pop("updated", None)
            out.pop("learning_rate", None)
        if "a" in hidden:  # the output units' a_k
            out.pop("output", None)
        return out

    def predict(self, answer: dict[str, Any]) -> dict[str, Any]:
        """A ``predict`` answer without what the question hides (its trace is the probe's)."""
        if not self.fields:
            return answer
        out = self.probe(answer)
        if "error" in self.fields or "loss" in self.fields:
            out.pop("loss", None)
        if {"a", "z"} & self.fields:
            out.pop("outputs", None)
        out["concealed"] = sorted(self.fields)
        return out
