"""Backprop Playground from Python: a typed client for the playground's REST API and live
WebSocket stream (``Playground``, ``AsyncPlayground``), with numpy arrays named as in the
derivation (z, a, g_prime, delta, W, b). See ``backprop_playground.client``."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("backprop-playground")
except metadata.PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"

from backprop_playground.client import (  # noqa: E402
    API_VERSION,
    AsyncPlayground,
    AsyncSession,
    AsyncStream,
    Playground,
    Session,
    Stream,
)
from backprop_playground.errors import (  # noqa: E402
    CommandRefused,
    Conflict,
    Forbidden,
    IncompatibleServer,
    Invalid,
    NotFound,
    PlaygroundError,
    ServerError,
    TooLarge,
    TooManyRequests,
    Unavailable,
    UnsupportedMediaType,
)
from backprop_playground.models import (  # noqa: E402
    Frame,
    Grid,
    History,
    Job,
    Layer,
    Probe,
    SampleStep,
    Status,
    Trace,
)

__all__ = [
    "API_VERSION",
    "AsyncPlayground",
    "AsyncSession",
    "AsyncStream",
    "CommandRefused",
    "Conflict",
    "Forbidden",
    "Frame",
    "Grid",
    "History",
    "IncompatibleServer",
    "Invalid",
    "Job",
    "Layer",
    "NotFound",
    "Playground",
    "PlaygroundError",
    "Probe",
    "SampleStep",
    "ServerError",
    "Session",
    "Status",
    "Stream",
    "TooLarge",
    "TooManyRequests",
    "Trace",
    "Unavailable",
    "UnsupportedMediaType",
    "__version__",
]
