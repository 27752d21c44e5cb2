"""Which status codes each operation answers, declared in one place (docs/contract.md).

Two halves, so that no route copies response dicts:

- ``errors(*codes, notes=...)`` builds a route's ``responses=`` for the refusals its own code
  makes (401 not logged in, 403 not yours, 404 no such id in the path, 409, 429, 503), each
  with the one error model (``app.web.responses.ErrorOut``). The usual sets are named below:
  ``SESSION``, ``TEACHER``, ``OWN_CLASSROOM``, ``SEAT``; combine them with ``|``.
- ``install(app)`` adds, to every operation of the generated OpenAPI document, the answers the
  middleware gives any request (``app/web/middleware.py``): 408 and 413 for the body; on POST, PUT,
  PATCH and DELETE also 403 (a cross-site ``Origin``) and, under ``/api/``, 415 (a body that
  is not JSON) and 422 (a body that is not UTF-8). FastAPI's own 422 (declared wherever there
  is a body or a parameter) gets the same error model in place of its ``HTTPValidationError``.

A route never declares 408, 413 or 415 itself; ``tests/test_openapi_contract.py`` checks that
every operation has all of its codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.web.responses import ErrorOut

if TYPE_CHECKING:
    from fastapi import FastAPI

Responses = dict[int | str, dict[str, Any]]

DESCRIPTIONS: dict[int, str] = {
    401: "Not logged in as a teacher: log in, or send ``Authorization: Bearer <token>`` "
    "(field ``authorization``).",
    403: "Not allowed to do this (the answer names the field: the seat, the control a lesson "
    "locks, the classroom, or the ``origin`` of a cross-site request).",
    404: "No such resource: the path parameter named in the answer is unknown (or gone).",
    408: "The request body took longer than ``body_timeout_seconds`` to arrive.",
    409: "The resource's state does not allow this now (the answer names the field).",
    413: "The request body exceeds ``max_body_bytes``.",
    415: "The body is not JSON: send it with ``Content-Type: application/json``.",
    422: "A field breaks a rule; the answer names it.",
    429: "A limit is reached; the answer names the setting.",
    503: "No trainer can take this now (one stopped, or the store is not writing); try again.",
}

UNSAFE = frozenset({"post", "put", "patch", "delete"})
BODY_CODES = (408, 413)  # any request: BodySizeLimit
UNSAFE_CODES = (403,)  # POST/PUT/PATCH/DELETE: SameOrigin
JSON_CODES = (415, 422)  # POST/PUT/PATCH/DELETE under JsonBody's prefix
JSON_PREFIX = "/api/"


def errors(*codes: int, notes: dict[int, str] | None = None) -> Responses:
    """``responses=`` entries for ``codes``, each with the error model and a description
    (``notes`` replaces the general one for a code: say which field this route names)."""
    notes = notes or {}
    return {
        code: {"model": ErrorOut, "description": notes.get(code, DESCRIPTIONS[code])}
        for code in codes
    }


SESSION = errors(
    403,
    404,
    409,
    503,
    notes={
        403: "A classroom seat's session: only its student may change it (not what the lesson "
        "locks; field: the control), and its teacher read it (field ``session_id``).",
        404: "No such session, expired or deleted (field ``session_id``).",
        409: "The session is held by another trainer, or busy (field ``session_id``).",
        503: "The trainer holding the session stopped, or none is running; try again.",
    },
)
TEACHER = errors(401)
OWN_CLASSROOM = TEACHER | errors(
    403,
    404,
    notes={
        403: "This classroom is another teacher's (field ``classroom_id``).",
        404: "No such classroom (field ``classroom_id``).",
    },
)
SEAT = errors(
    403,
    404,
    notes={
        403: "You have no seat in this classroom (field ``seat``): join it with its code.",
        404: "No such classroom (field ``classroom_id``).",
    },
)


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}


def _is_error(answer: dict[str, Any]) -> bool:
    """Whether an answer's body is the error model (or FastAPI's validation error, which
    ``complete`` replaces by it), under whichever media type FastAPI put it."""
    refs = [media.get("schema", {}).get("$ref", "") for media in answer.get("content", {}).values()]
    return any(ref.endswith(("/ErrorOut", "/HTTPValidationError")) for ref in refs)


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the middleware's answers to every operation of ``document`` and give FastAPI's
    422 the error model (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    item = schemas["ErrorOut"].pop("$defs", {})
    for name, schema in item.items():
        schemas.setdefault(name, schema)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            answers = operation.setdefault("responses", {})
            codes: tuple[int, ...] = BODY_CODES
            if method in UNSAFE:
                codes += UNSAFE_CODES + (JSON_CODES if path.startswith(JSON_PREFIX) else ())
            for code in codes:
                answers.setdefault(
                    str(code), {"description": DESCRIPTIONS[code], "content": _error_content()}
                )
            for code, answer in answers.items():
                if code.isdigit() and int(code) >= 400 and _is_error(answer):
                    answer["content"] = _error_content()  # JSON, whatever the 200's type
                    if code == "422":
                        answer["description"] = DESCRIPTIONS[422]
    if not any("HTTPValidationError" in str(ops) for ops in document.get("paths", {}).values()):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document


def install(app: FastAPI) -> None:
    """Serve ``complete`` d OpenAPI documents for ``app`` (call once its routes are in)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
