"""The Python client reads API 1.1's stream additions (probe.updated, the history message) and
ignores the page's other panels; it still reads a 1.0 server's frames."""

from __future__ import annotations

import numpy as np

from app.web.routers.protocol import MESSAGES
from backprop_playground.models import Frame, History, decode_message

EXAMPLES = {m.name: m.example for m in MESSAGES}
FRAME = {**EXAMPLES["frame"], "grid": None}  # the page's example grid data is elided ("…")


def test_a_frames_probe_carries_eq7s_updated_parameters():
    frame = decode_message(FRAME)
    assert isinstance(frame, Frame)
    probe = frame.probe
    assert probe.learning_rate == EXAMPLES["frame"]["probe"]["learning_rate"]
    assert np.allclose(probe.updated_W[1], EXAMPLES["frame"]["probe"]["updated"]["weights"][1])
    assert np.allclose(probe.updated_b[1], EXAMPLES["frame"]["probe"]["updated"]["biases"][1])


def test_a_frame_of_an_older_server_has_no_update():
    old = {**FRAME}
    old["probe"] = {k: v for k, v in old["probe"].items() if k not in ("updated", "learning_rate")}
    probe = decode_message(old).probe
    assert probe.updated_W is None and probe.updated_b is None and probe.learning_rate is None


def test_the_history_message_is_read_and_the_other_panels_are_skipped():
    history = decode_message(EXAMPLES["history"])
    assert isinstance(history, History)
    assert history.epoch.tolist() == EXAMPLES["history"]["epoch"]
    for kind in ("gradient_flow", "confusion", "replay_range", "a_future_kind"):
        assert decode_message(EXAMPLES.get(kind, {"type": kind})) is None
