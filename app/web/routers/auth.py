"""Teachers' logins (``/api/auth/…``): a browser's cookie, a script's bearer token, logout and
"who am I"; failed tries are limited per name and address (docs/contract.md, "Classroom")."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.classroom.access import TEACHER_COOKIE, bearer
from app.classroom.accounts import Teacher
from app.classroom.schemas import Login, LoginOut, TokenOut
from app.classroom.tokens import clean_name
from app.errors import FieldError
from app.web.contract import TEACHER, errors
from app.web.deps import client_address
from app.web.routers.classroom_deps import Classrooms, ClassroomsDep, TeacherDep, set_cookie

router = APIRouter(prefix="/api", tags=["classroom"])

LOGIN = errors(
    401,
    429,
    notes={
        401: "That name and password do not match (field ``password``).",
        429: "Too many failed logins (``login_attempts_per_minute``; field ``password``).",
    },
)


NO_LIMIT = 1 << 50  # a key that is only counted (the failures per name, for the slowdown)


async def _login(request: Request, c: Classrooms, body: Login) -> Teacher:
    """Check a teacher's password. Each try is reserved before anything is awaited against
    ``login_attempts_per_minute`` per account name *and* address and
    ``login_attempts_per_minute_per_address`` per address, and refunded if the password is
    right: failures from other addresses never refuse anyone. Once a name has had
    ``login_attempts_per_minute`` failures in the minute from all addresses together, each
    login for it waits ``login_name_slowdown_seconds`` first — a slowdown, not a lockout."""
    s = c.settings
    address = client_address(request)
    name = clean_name(body.name).casefold()
    keys = [
        (f"pair:{address} {name}", s.login_attempts_per_minute),
        (f"addr:{address}", s.login_attempts_per_minute_per_address),
    ]
    wait = await c.quotas.logins.reserve(keys)
    if wait:
        raise FieldError(
            "password",
            f"too many failed logins; try again in {int(wait) + 1} s "
            "(login_attempts_per_minute, login_attempts_per_minute_per_address)",
            status_code=429,
            kind="limit",
        )
    teacher = None
    try:
        if await c.quotas.login_names.count(name) >= s.login_attempts_per_minute:
            await asyncio.sleep(s.login_name_slowdown_seconds)
        teacher = await asyncio.to_thread(c.accounts.check_password, body.name, body.password)
    finally:
        if teacher is not None:  # the right password: this try does not count
            await c.quotas.logins.refund([key for key, _ in keys])
    if teacher is None:
        await c.quotas.login_names.reserve([(name, NO_LIMIT)])
        raise FieldError(
            "password", "that name and password do not match", status_code=401, kind="unauthorized"
        )
    return teacher


@router.post("/auth/login", responses={**LOGIN, 200: {"model": LoginOut}})
async def login(body: Login, request: Request, c: ClassroomsDep) -> JSONResponse:
    """Log a teacher's browser in: an HttpOnly, SameSite=Lax cookie (Secure over HTTPS)."""
    teacher = await _login(request, c, body)
    token, _ = await asyncio.to_thread(c.accounts.issue, teacher.id, "cookie")
    response = JSONResponse({"teacher": {"id": teacher.id, "name": teacher.name}})
    set_cookie(request, response, TEACHER_COOKIE, token, int(c.settings.teacher_login_hours * 3600))
    return response


@router.post("/auth/token", response_model=TokenOut, responses=LOGIN)
async def token(body: Login, request: Request, c: ClassroomsDep) -> dict:
    """A bearer token for scripts: send ``Authorization: Bearer <access_token>``."""
    teacher = await _login(request, c, body)
    secret, expires = await asyncio.to_thread(c.accounts.issue, teacher.id, "bearer")
    return {"access_token": secret, "token_type": "bearer", "expires_at": expires.isoformat()}


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, c: ClassroomsDep) -> Response:
    """End this login (the cookie's, or the bearer token's)."""
    token = bearer(request) or request.cookies.get(TEACHER_COOKIE)
    if token:
        await asyncio.to_thread(c.accounts.revoke, token)
    response = Response(status_code=204)
    response.delete_cookie(TEACHER_COOKIE, path="/")
    return response


@router.get("/auth/me", response_model=LoginOut, responses=TEACHER)
async def me(teacher: TeacherDep) -> dict:
    return {"teacher": {"id": teacher.id, "name": teacher.name}}
