"""Errors that name a field, and how they become HTTP answers.

Every refusal of the API is a 4xx whose body names the field:
``{"detail": [{"loc": ["body", "network", "hidden_layers"], "field": "network.hidden_layers",
"msg": "...", "type": "..."}]}`` — pydantic's shape plus a dotted ``field`` — so a client reads
request validation errors, limit violations and the engine's ``SpecError`` alike.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine import SpecError

if TYPE_CHECKING:
    from fastapi import FastAPI

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class FieldError(Exception):
    """A request that breaks a rule about one field (a limit, a shape, an index)."""

    def __init__(self, field: str, message: str, status_code: int = 422, kind: str = "value_error"):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code
        self.kind = kind


class Moved(FieldError):
    """The session is held by another live trainer, ``owner`` (several hosts on one bus)."""

    def __init__(self, owner: str) -> None:
        super().__init__("session_id", f"held by trainer {owner}", status_code=409, kind="moved")
        self.owner = owner


def split_field(field: str) -> list[str | int]:
    """``"network.activations[1]"`` → ``["network", "activations", 1]``."""
    return [int(index) if index else name for name, index in _PART.findall(field)]


def join_loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "network", "weights", 0)`` → ``"network.weights[0]"`` (no ``body`` prefix)."""
    out = ""
    for part in loc:
        if part == "body" and not out:
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def detail(field: str, message: str, kind: str = "value_error") -> list[dict[str, Any]]:
    return [{"loc": ["body", *split_field(field)], "field": field, "msg": message, "type": kind}]


def _named(error: dict[str, Any]) -> dict[str, Any]:
    """One pydantic error in the documented shape. A body that is not JSON (FastAPI reports
    the character position as the last ``loc`` entry) or not a JSON object is the field
    ``body``, and the message says what to send."""
    loc, kind = list(error.get("loc", ())), str(error.get("type", "value_error"))
    msg = str(error.get("msg", ""))
    if kind == "json_invalid":
        where = f" at character {loc[1]}" if len(loc) > 1 else ""
        loc, msg = ["body"], f"send a JSON body: {msg}{where}"
    elif loc == ["body"] and kind in ("model_attributes_type", "dict_type"):
        msg = f"send a JSON object as the body: {msg}"
    return {"loc": loc, "field": join_loc(loc) or "body", "msg": msg, "type": kind}


def install_error_handlers(app: FastAPI) -> None:
    """Map FieldError, the engine's SpecError and request validation errors to 4xx answers."""
    # imported here: trainer processes use this module's FieldError and need no web framework
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    @app.exception_handler(FieldError)
    async def _field_error(request: Request, exc: FieldError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc.field, exc.message, exc.kind)}, exc.status_code)

    @app.exception_handler(SpecError)
    async def _spec_error(request: Request, exc: SpecError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc.field, exc.message, "spec_error")}, 422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": [_named(error) for error in exc.errors()]}, 422)
