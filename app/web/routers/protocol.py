"""``GET /protocol``: the WebSocket protocol for API users — every command and message of the
session stream and the dashboard socket, each with an example (the OpenAPI description links
here). The sources of truth are ``app/schemas.py`` (commands), ``app/trainer/frames.py`` and
``app/trainer/worker.py`` (messages) and docs/contract.md; tests/test_protocol_page.py checks that
every command of the schema is listed, that each example command is accepted, and that each
example message has the keys the server really sends."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import frame_format
from app.version import API_VERSION, HEADER
from app.web.routers.api_answers import FRAME_EXAMPLE
from app.web.routers.api_training import JOB_EXAMPLE
from app.web.routers.pages import templates

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class Entry:
    """One command or message: its ``type``, what it does, and an example."""

    name: str
    summary: str
    example: dict[str, Any]

    @property
    def json(self) -> str:
        return json.dumps(self.example, indent=2, ensure_ascii=False)


STREAM_URL = "/api/sessions/{id}/stream"
SUMMARIES_URL = "/api/summaries"

COMMANDS = [
    Entry(
        "play",
        "Train continuously; the viewers get a frame up to frame_rate times a second and a "
        "status twice a second.",
        {"type": "play"},
    ),
    Entry(
        "pause",
        "Stop playing; the session keeps its weights (a frame and a status follow).",
        {"type": "pause"},
    ),
    Entry(
        "step",
        "Train this many epochs (pausing a playing session first), then a frame. Refused like "
        "REST train: epochs ≤ max_epochs_per_request and within max_train_work.",
        {"type": "step", "epochs": 10},
    ),
    Entry(
        "step_sample",
        "One forward pass, backward pass and update (Eq. 7) on one training sample (default: "
        "the probe): a sample_step message, then a frame.",
        {"type": "step_sample", "index": 3},
    ),
    Entry(
        "reset",
        "Back to the initial weights at epoch 0 (training settings kept).",
        {"type": "reset"},
    ),
    Entry(
        "set",
        "Change training settings live (learning_rate, batch_size, momentum, regularization, "
        "regularization_rate); omitted fields keep their value.",
        {"type": "set", "training": {"learning_rate": 0.1, "batch_size": 1}},
    ),
    Entry(
        "probe",
        "Choose the probe sample whose z, a, g′(z) and δ every frame carries.",
        {"type": "probe", "index": 7},
    ),
]

GRID_EXAMPLE = {
    "resolution": 24,
    "domain": [[-6.0, 6.0], [-6.0, 6.0]],
    "layers": [[{"lo": -5.9, "hi": 5.9, "data": "AAECAwQF…"}]],
}
STATUS_EXAMPLE = {"type": "status", "status": "running", "epoch": 120, "epochs_per_second": 410.5}
MESSAGES = [
    Entry(
        "frame",
        "One epoch of the session: losses, metrics, W and b, the epoch's mean gradients, the "
        "probe sample's z, a, g_prime and δ per layer (and its own gradients, and Eq. 7's "
        "updated W and b for it at learning_rate: API 1.1), per-unit mean a "
        "and mean |δ| over the training set, and for 1-D and 2-D data every unit's a over a grid "
        "of the input plane (base64 uint8 per unit: value = lo + (hi − lo) · byte / 255). On "
        "connect, then at most frame_rate a second while it trains; a slow viewer gets only the "
        "newest. With ?format=binary it comes as one binary message (Binary frames, below).",
        {**FRAME_EXAMPLE, "grid": GRID_EXAMPLE},
    ),
    Entry(
        "status",
        "The session's status and epoch: on connect, on every change and twice a second while "
        "it trains. While a stopped trainer's sessions are brought back the status is "
        '"restoring", with a "message".',
        STATUS_EXAMPLE,
    ),
    Entry(
        "sample_step",
        "The answer to step_sample: backprop_step's trace for that one sample (loss, layers "
        "with z, a, g_prime, delta; gradients; updated), the weights before, and which sample.",
        {
            "type": "sample_step",
            "index": 3,
            "input": [0.5, -1.0],
            "target": [1.0],
            "learning_rate": 0.03,
            "loss": 0.21,
            "layers": [
                {"z": [0.2, -0.1], "a": [0.197, -0.1], "g_prime": [0.96, 0.99], "delta": [0.01, 0]}
            ],
            "gradients": {"weights": [[[0.005, 0.0]]], "biases": [[0.01, 0.0]]},
            "updated": {"weights": [[[0.0998, -0.4]]], "biases": [[-0.0003, 0.1]]},
            "before": {"weights": [[[0.1, -0.4]]], "biases": [[0.0, 0.1]]},
        },
    ),
    Entry(
        "history",
        "The loss history with its gradient flow, as GET …/history answers it (API 1.1): on "
        "connect, and whenever training stops or the session changes while it is stopped "
        "(pause, a stop condition, a finished step, reset, an edit) — before the status that "
        "says so, so that the panels match its epoch. While it plays the frames carry the "
        "losses, and the gradient flow comes as gradient_flow.",
        {
            "type": "history",
            "epoch": [0, 1, 2],
            "train": [0.25, 0.24, 0.22],
            "test": [0.26, 0.25, 0.23],
            "gradient_flow": {
                "epoch": [0, 1, 2],
                "delta": [[0.02, 0.1], [0.02, 0.09], [0.01, 0.08]],
                "grad_w": [[0.01, 0.05], [0.01, 0.04], [0.01, 0.04]],
            },
        },
    ),
    Entry(
        "gradient_flow",
        "Each layer's mean |δ| and mean |∂E/∂w| per recorded epoch (API 1.1): about "
        "panel_rate times a second while the session trains.",
        {
            "type": "gradient_flow",
            "epoch": [0, 1, 2],
            "delta": [[0.02, 0.1], [0.02, 0.09], [0.01, 0.08]],
            "grad_w": [[0.01, 0.05], [0.01, 0.04], [0.01, 0.04]],
        },
    ),
    Entry(
        "confusion",
        "The confusion matrices at the current weights, as GET …/confusion answers them "
        "(classification only; API 1.1): with history, and about panel_rate times a second "
        "while the session trains.",
        {
            "type": "confusion",
            "epoch": 120,
            "train": [[18, 2], [1, 19]],
            "test": [[9, 1], [0, 10]],
            "classes": ["0", "1"],
        },
    ),
    Entry(
        "replay_range",
        "The epochs whose weights are kept for replay, as GET …/replay answers them (API 1.1): "
        "with history, and about panel_rate times a second while the session trains.",
        {
            "type": "replay_range",
            "epochs": [0, 1, 2, 3],
            "stride": 1,
            "bytes": 448,
            "max_bytes": 2097152,
        },
    ),
    Entry(
        "error",
        "A refused command (only to the viewer that sent it; the socket stays usable): field "
        'names the command\'s field ("type", "epochs", "index", "training.learning_rate"), or '
        '"message" for invalid JSON or a message over max_ws_message_bytes, or "session_id" '
        "for an unknown session (then the socket closes with code 4404).",
        {
            "type": "error",
            "field": "epochs",
            "message": "Input should be greater than or equal to 1",
        },
    ),
    Entry(
        "activity",
        "Only on a classroom seat's session with an activity (docs/activities.md): the teacher "
        "opened a step (event open) or revealed one (event reveal); the page reads GET "
        "/api/classrooms/{classroom_id}/activity again. step_open and mode say where the class "
        "is, revealed which steps are revealed.",
        {
            "type": "activity",
            "event": "open",
            "step": 1,
            "step_open": 1,
            "mode": "class",
            "revealed": [],
        },
    ),
]

WATCH = Entry(
    "watch",
    "Watch these sessions (at most max_watch_ids); a later watch replaces the list.",
    {"type": "watch", "ids": ["Vx3kq0…", "p9Zt1m…"]},
)
SUMMARY_MESSAGES = [
    Entry(
        "summary",
        "Each watched session at once, then about summary_rate times a second while it trains: "
        "epoch, status, losses, metrics, a small thumbnail of the first output a_k over the "
        "input plane, and setup: the session's settings without arrays (the body of POST "
        "/api/sessions as it is now).",
        {
            "type": "summary",
            "id": "Vx3kq0…",
            "epoch": 120,
            "status": "running",
            "loss": {"train": 0.08, "test": 0.09},
            "metrics": {"train_accuracy": 0.97, "test_accuracy": 0.95},
            "thumbnail": {"resolution": 16, "dims": 2, "lo": -1.0, "hi": 1.0, "data": "gICA…"},
            "setup": {
                "network": {"hidden_layers": [4, 2], "activations": ["tanh", "tanh", "tanh"]},
                "dataset": {"name": "xor", "n": 500},
                "training": {"learning_rate": 0.03, "batch_size": 10},
            },
        },
    ),
    Entry(
        "error",
        'A refused watch: field "ids" names unknown sessions (the others are watched), "type" '
        'or "message" a malformed one.',
        {"type": "error", "field": "ids", "message": "no sessions ['nope']"},
    ),
]

CLOSE_CODES = [
    (4400, "A format other than json or binary was asked for; an error message came first."),
    (4404, "The session does not exist (or is being deleted); an error message came first."),
    (1001, "The session was deleted or expired while you watched."),
    (1013, "The session already has max_viewers_per_session viewers."),
]


def binary_layout() -> str:
    """The binary frame's layout, as ``app/frame_format.py`` documents it."""
    doc = frame_format.__doc__ or ""
    start = doc.index("    header")
    return textwrap.dedent(doc[start : doc.index("\n\n", start)])


@router.get("/protocol", response_class=HTMLResponse)
async def protocol(request: Request) -> HTMLResponse:
    """The WebSocket protocol page."""
    return templates.TemplateResponse(
        request,
        "protocol.html",
        {
            "stream_url": STREAM_URL,
            "summaries_url": SUMMARIES_URL,
            "commands": COMMANDS,
            "messages": MESSAGES,
            "watch": WATCH,
            "summary_messages": SUMMARY_MESSAGES,
            "close_codes": CLOSE_CODES,
            "job_example": json.dumps(JOB_EXAMPLE, indent=2, ensure_ascii=False),
            "api_version": API_VERSION,
            "version_header": HEADER,
            "binary_frame": {"version": frame_format.VERSION, "layout": binary_layout()},
        },
    )
