"""JSON at the edge, one way for both processes: compact, numpy-aware, never invalid.

A trainer encodes each message once (``dumpb``); the web process sends those bytes as they are
and encodes only its own few messages (``dumps``). ``Fragment`` embeds already-encoded JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from orjson import Fragment  # already-encoded JSON embedded as is by ``dumps``

__all__ = ["Fragment", "dumpb", "dumps"]


def _finite(x: Any) -> Any:
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x


def dumpb(message: dict[str, Any]) -> bytes:
    """``dumps`` as UTF-8 bytes (what crosses the process boundary)."""
    try:
        return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError:
        return dumps(message).encode()


def dumps(message: dict[str, Any]) -> str:
    """Compact JSON (orjson: the same shortest round-trip float text as Python's repr, about ten
    times faster); a non-finite number (never expected) becomes null, never invalid JSON."""
    try:
        return orjson.dumps(message, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    except TypeError:
        return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False, default=str)
