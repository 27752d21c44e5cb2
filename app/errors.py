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

    def __init__(
        self,
        field: str,
        message: str,
        status_code: int = 422,
        kind: str = "value_error",
        where: str | None = None,
    ):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status_code = status_code
        self.kind = kind
        self.where = where  # body, path, query or header; None: the path's if it has the field


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


def detail(
    field: str, message: str, kind: str = "value_error", where: str = "body"
) -> list[dict[str, Any]]:
    """The error list of one refusal; ``where`` is the first ``loc`` entry (``body``, ``path``,
    ``query`` or ``header``)."""
    return [{"loc": [where, *split_field(field)], "field": field, "msg": message, "type": kind}]


def located(field: str, where: str | None, path_params: dict[str, Any]) -> str:
    """Where a refused field was sent: as given, else ``path`` when the request's path has a
    parameter of that name (``session_id``, ``classroom_id``, ``job_id``...), else ``body``."""
    if where:
        return where
    name = split_field(field)[:1]
    return "path" if name and name[0] in path_params else "body"


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


# Starlette's own refusals: the field each names, and its type
_HTTP_FIELDS = {404: ("path", "not_found"), 405: ("method", "method_not_allowed")}


def install_error_handlers(app: FastAPI) -> None:
    """Map FieldError, the engine's SpecError and request validation errors to 4xx answers."""
    # imported here: trainer processes use this module's FieldError and need no web framework
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    @app.exception_handler(FieldError)
    async def _field_error(request: Request, exc: FieldError) -> JSONResponse:
        where = located(exc.field, exc.where, request.path_params)
        return JSONResponse(
            {"detail": detail(exc.field, exc.message, exc.kind, where)}, exc.status_code
        )

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        """Starlette's own refusals (no route for the path: 404; a method the path does not
        take: 405) in the same shape, naming the ``path`` or the ``method``."""
        field, kind = _HTTP_FIELDS.get(exc.status_code, ("request", "http_error"))
        error = {"loc": [field], "field": field, "msg": str(exc.detail), "type": kind}
        return JSONResponse(
            {"detail": [error]},
            exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(SpecError)
    async def _spec_error(request: Request, exc: SpecError) -> JSONResponse:
        return JSONResponse({"detail": detail(exc.field, exc.message, "spec_error")}, 422)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": [_named(error) for error in exc.errors()]}, 422)
