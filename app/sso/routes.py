"""``GET /login/sso`` → the provider's login (state, nonce and the PKCE verifier kept in a
short-lived cookie, signed by the server's key); ``GET /login/sso/callback`` → the code
exchanged, the person checked and allowed, the teacher logged in (the classroom's login
cookie) and sent on. Every refusal is a page naming the field."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.classroom.access import TEACHER_COOKIE
from app.errors import FieldError
from app.lti.routes_common import base_url, page, refused
from app.sso.provider import Provider, sso_error
from app.sso.teachers import SsoTeachers, check_allowed
from app.web.routers.classroom_deps import set_cookie

router = APIRouter(include_in_schema=False)
FLOW_COOKIE = "bpp_sso"
FLOW_AUDIENCE = "bpp-sso-login"


class Sso:
    def __init__(self, app: Any) -> None:
        lti = app.state.lti
        self.settings = app.state.settings
        self.keys = lti.keys
        self.provider = Provider(self.settings, lti.platform_keys)
        self.teachers = SsoTeachers(app.state.store)


def _sso(request: Request) -> Sso:
    return request.app.state.sso


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/teach"


@router.get("/login/sso")
async def sso_login(request: Request, next: str = "/teach") -> Response:
    sso = _sso(request)
    if not sso.provider.configured:
        return page(request, "No single sign-on", "This server has no sign-on provider.", 404)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48)  # RFC 7636 §4.1: 43–128 characters
    redirect = base_url(request) + "/login/sso/callback"
    try:
        url = await asyncio.to_thread(
            sso.provider.authorization_url, redirect, state, nonce, verifier
        )
    except FieldError as exc:
        return refused(request, exc, "Sign-in refused")
    seconds = int(sso.settings.lti_login_seconds)
    flow = await asyncio.to_thread(
        sso.keys.sign,
        {
            "aud": FLOW_AUDIENCE,
            "exp": int(time.time()) + seconds,
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": _safe_next(next),
        },
    )
    response = RedirectResponse(url, status_code=302)
    set_cookie(request, response, FLOW_COOKIE, flow, seconds)
    return response


@router.get("/login/sso/callback")
async def sso_callback(request: Request) -> Response:
    sso = _sso(request)
    c = request.app.state.classrooms
    q = request.query_params
    try:
        if q.get("error"):
            raise sso_error("error", f"the provider said: {q.get('error')}", 401)
        flow = await asyncio.to_thread(sso.keys.verify, request.cookies.get(FLOW_COOKIE, ""))
        if not flow or flow.get("aud") != FLOW_AUDIENCE or flow.get("exp", 0) < time.time():
            raise sso_error("state", "this sign-in was not started here, or took too long")
        if not secrets.compare_digest(str(flow.get("state")), q.get("state", "")):
            raise sso_error("state", "does not match this browser's sign-in")
        if not q.get("code"):
            raise sso_error("code", "is missing from the provider's answer")
        redirect = base_url(request) + "/login/sso/callback"
        person = await asyncio.to_thread(
            sso.provider.person, q["code"], redirect, flow["verifier"], flow["nonce"]
        )
        check_allowed(person, sso.settings)
        teacher = await asyncio.to_thread(sso.teachers.teacher, person)
    except FieldError as exc:
        response = refused(request, exc, "Sign-in refused")
        response.delete_cookie(FLOW_COOKIE, path="/")
        return response
    token, _ = await asyncio.to_thread(c.accounts.issue, teacher.id, "cookie")
    signed_in = RedirectResponse(_safe_next(flow.get("next", "/teach")), status_code=303)
    set_cookie(
        request, signed_in, TEACHER_COOKIE, token, int(c.settings.teacher_login_hours * 3600)
    )
    signed_in.delete_cookie(FLOW_COOKIE, path="/")
    return signed_in


def install(app: Any) -> None:
    app.state.sso = Sso(app)
    app.include_router(router)
