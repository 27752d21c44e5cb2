"""The REST API's answers, shared by its routers (``api``, ``api_sessions``, ``api_training``,
``api_inspect``): the errors and examples each route names in the OpenAPI document, and
``encoded``, an answer already encoded off the event loop (docs/contract.md, "REST")."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from app.web import responses as out
from app.web.contract import errors

Responses = dict[int | str, dict[str, Any]]  # a route's ``responses=`` (OpenAPI)
INVALID = errors(422)
TOO_MANY = errors(429)
BUSY = errors(503)  # no trainer can take the request

FRAME_EXAMPLE = {
    "type": "frame",
    "epoch": 12,
    "status": "paused",
    "loss": {"train": 0.21, "test": 0.23},
    "metrics": {"train_accuracy": 0.9, "test_accuracy": 0.88},
    "weights": [[[0.1, -0.4]], [[0.3], [0.2]]],
    "biases": [[0.0, 0.1], [0.05]],
    "gradients": {"weights": [[[0.01, 0.0]], [[-0.02], [0.01]]], "biases": [[0.0, 0.0], [0.01]]},
    "probe": {
        "index": 0,
        "input": [1.0],
        "target": [1.0],
        "output": [0.8],
        "error": 0.02,
        "layers": [{"z": [0.1, -0.3], "a": [0.1, -0.29], "g_prime": [0.99, 0.91], "delta": [0, 0]}],
        "gradients": {"weights": [[[0.0, 0.0]], [[0.0], [-0.06]]], "biases": [[0, 0], [-0.2]]},
        "learning_rate": 0.03,
        "updated": {"weights": [[[0.1, -0.4]], [[0.3], [0.2018]]], "biases": [[0, 0.1], [0.056]]},
    },
    "node_stats": [{"mean_a": [0.1, -0.2], "mean_abs_delta": [0.01, 0.02]}],
    "grid": None,
}


def _example(example: Any, model: type | None = None) -> Responses:
    """A 200 answer's example and, for the OpenAPI document, its model (app/web/responses.py)."""
    answer: dict[str, Any] = {"content": {"application/json": {"example": example}}}
    return {200: {**answer, "model": model} if model else answer}


FRAME = _example(FRAME_EXAMPLE, out.Frame)
STATE = _example(
    {
        "id": "Vx3k…",
        "config": {"network": {}, "dataset": {}, "training": {}},
        "status": "paused",
        "epoch": 0,
        "layer_sizes": [2, 4, 2, 1],
        "frame": FRAME_EXAMPLE,
        "data": {"task": "classification", "feature_names": ["x1", "x2"], "domain": []},
    },
    out.SessionState,
)


class PythonText(Response):
    """Python source (``export.py``)."""

    media_type = "text/x-python"


def encoded(text: bytes | str | None, status_code: int = 200) -> Response:
    """An answer already encoded (orjson, in a pool thread): the event loop only sends it, and
    FastAPI's own encoding (tens of ms for a large frame) never stalls the other sockets."""
    return Response(content=text, status_code=status_code, media_type="application/json")
