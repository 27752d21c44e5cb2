"""The server's refusals as exceptions that carry its ``field`` and ``message``.

Every 4xx of the API has the shape ``{"detail": [{"loc", "field", "msg", "type"}]}`` (older
servers answered an unknown session ``{"detail": "session_id: no session ..."}``, which is
still read); a refused WebSocket command is
``{"type": "error", "field", "message"}``. ``from_response`` turns either into the exception
class of its status code, so ``except NotFound`` or ``except Invalid as e: e.field`` read
naturally.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "CommandRefused",
    "Conflict",
    "Forbidden",
    "IncompatibleServer",
    "Invalid",
    "NotFound",
    "PlaygroundError",
    "ServerError",
    "TooLarge",
    "TooManyRequests",
    "Unavailable",
    "UnsupportedMediaType",
    "from_response",
]

_FIELD_PREFIX = re.compile(r"^([A-Za-z_][\w.\[\]]*): (.*)$", re.S)


class PlaygroundError(Exception):
    """A refusal or failure of the server: ``status_code`` (None for a socket message),
    ``field`` (dotted path, e.g. ``network.hidden_layers[1]``), ``message``, ``kind`` (the
    error's type), and every error of the answer in ``errors``."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        status_code: int | None = None,
        kind: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field
        self.status_code = status_code
        self.kind = kind
        self.errors = errors or []


class Invalid(PlaygroundError):
    """422: a field breaks a rule (a type, a shape, a limit — the message names the setting)."""


class NotFound(PlaygroundError):
    """404: no such session (expired or deleted) or job."""


class Conflict(PlaygroundError):
    """409: the session is busy with something that excludes this request."""


class Forbidden(PlaygroundError):
    """403: refused (e.g. a cross-origin request; field ``origin``)."""


class TooLarge(PlaygroundError):
    """413: the request body exceeds ``max_body_bytes``."""


class UnsupportedMediaType(PlaygroundError):
    """415: the body is not JSON."""


class TooManyRequests(PlaygroundError):
    """429: a count limit (``max_sessions``, ``max_sessions_per_client``,
    ``max_jobs_per_session``)."""


class Unavailable(PlaygroundError):
    """503: a trainer or the store could not serve the request; try again."""


class ServerError(PlaygroundError):
    """Any other failure status (5xx)."""


class CommandRefused(PlaygroundError):
    """A WebSocket command the server refused (``error`` message); the socket stays usable."""


class IncompatibleServer(PlaygroundError):
    """The server speaks an API version this client does not support."""


BY_STATUS: dict[int, type[PlaygroundError]] = {
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
    503: Unavailable,
}


def split_detail(text: str) -> tuple[str | None, str]:
    """``"session_id: no session 'x'"`` → ``("session_id", "no session 'x'")``."""
    match = _FIELD_PREFIX.match(text)
    return (match.group(1), match.group(2)) if match else (None, text)


def from_response(status_code: int, body: bytes | str) -> PlaygroundError:
    """The exception for a failed answer with this status and body."""
    cls = BY_STATUS.get(status_code) or (ServerError if status_code >= 500 else PlaygroundError)
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        return cls(
            str(first.get("msg", "")),
            first.get("field"),
            status_code,
            first.get("type"),
            errors=detail,
        )
    if isinstance(detail, str):
        field, message = split_detail(detail)
        return cls(message, field, status_code)
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    return cls(text.strip()[:500] or f"HTTP {status_code}", None, status_code)
