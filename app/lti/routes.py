"""LTI's HTTP side, a thin adapter over the modules beside it:

- ``GET /lti/jwks``: the tool's public keys;
- ``GET /lti/config``: what to paste into Canvas or Moodle;
- ``GET|POST /lti/login``: OIDC login initiation → redirect to the platform;
- ``POST /lti/launch``: the platform's post of the id_token → the learner's seat, the
  instructor's dashboard, or the lesson picker (deep linking);
- ``POST /lti/deep-link``: the picked lesson → the signed answer, posted back to the platform;
- ``GET|POST /api/lti/classrooms/{id}/grades``: the scores and where posting each stands;
  post them ("post grades").

A refused launch is an HTML page with a 4xx status naming the parameter or claim at fault;
nothing is logged in before the id_token passed every check.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from app.classroom.access import TEACHER_COOKIE, seat_cookie
from app.errors import FieldError
from app.lti.claims import DEEP_LINKING_REQUEST, SCORE_SCOPE, Launch, LtiError
from app.lti.deeplink import choice_token, content_item, read_choice, response_token
from app.lti.launch import NoStateCookie
from app.lti.oidc import state_cookie
from app.lti.platforms import origin_of
from app.lti.service import LtiService
from app.web.contract import OWN_CLASSROOM
from app.web.routers.classroom_deps import OwnRoomDep
from app.web.routers.pages import templates

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/lti", tags=["lti"])

SEAT_COOKIE_SECONDS = 180 * 24 * 3600
LINE_LOOKUP_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"


def _lti(request: Request) -> LtiService:
    return request.app.state.lti


def base_url(request: Request) -> str:
    """The tool's address as the LMS knows it: ``lti_base_url``, else this request's."""
    configured = request.app.state.settings.lti_base_url
    return (configured or str(request.base_url)).rstrip("/")


def lti_cookie(
    request: Request, response: Response, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    """A cookie that works inside the LMS's frame: over HTTPS SameSite=None; Secure;
    Partitioned (CHIPS: kept per top-level site, which browsers blocking third-party cookies
    still allow). Over plain HTTP (a laptop) browsers refuse SameSite=None, so Lax."""
    https = request.url.scheme == "https"
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="none" if https else "lax",
        secure=https,
    )
    if https:  # the standard library's cookies learn Partitioned only in Python 3.14
        header, cookie = response.raw_headers[-1]
        response.raw_headers[-1] = (header, cookie + b"; Partitioned")


def page(
    request: Request, title: str, message: str, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The LTI pages: a message, and whatever ``extra`` the template shows."""
    return templates.TemplateResponse(
        request,
        "lti_message.html",
        {"title": title, "message": message, "boot": {}, **extra},
        status_code=status,
    )


def refused(
    request: Request, exc: FieldError, title: str = "This launch was refused"
) -> HTMLResponse:
    return page(
        request,
        title,
        exc.message,
        exc.status_code,
        field=exc.field,
    )


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (what platforms post), first values."""
    body = (await request.body()).decode("utf-8", "replace")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        form.setdefault(key, value)
    return form


# ---- keys and configuration -----------------------------------------------------------------


@router.get("/lti/jwks")
async def jwks(request: Request) -> JSONResponse:
    """The tool's public keys (RFC 7517): platforms verify its signatures with them."""
    keys = await asyncio.to_thread(_lti(request).keys.jwks)
    return JSONResponse(keys, headers={"Cache-Control": "public, max-age=300"})


def tool_config(base: str) -> dict[str, Any]:
    """The URLs to register, and Canvas's JSON configuration of the tool."""
    launch = base + "/lti/launch"
    urls = {
        "login_url": base + "/lti/login",
        "redirect_url": launch,
        "target_link_url": launch,
        "deep_linking_url": launch,
        "jwks_url": base + "/lti/jwks",
    }
    canvas = {
        "title": "Backprop Playground",
        "description": "Watch a neural network learn by backpropagation; lessons and challenges.",
        "oidc_initiation_url": urls["login_url"],
        "target_link_uri": launch,
        "public_jwk_url": urls["jwks_url"],
        "scopes": [SCORE_SCOPE, LINE_LOOKUP_SCOPE],
        "extensions": [
            {
                "platform": "canvas.instructure.com",
                "privacy_level": "name_only",
                "settings": {
                    "placements": [
                        {
                            "placement": "link_selection",
                            "message_type": DEEP_LINKING_REQUEST,
                            "target_link_uri": launch,
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": DEEP_LINKING_REQUEST,
                            "target_link_uri": launch,
                        },
                    ]
                },
            }
        ],
    }
    return {**urls, "canvas": canvas}


@router.get("/lti/config", response_class=HTMLResponse)
async def config_page(request: Request) -> HTMLResponse:
    """What an LMS admin pastes into Canvas or Moodle, and the platforms registered here."""
    lti = _lti(request)
    platforms = await asyncio.to_thread(lti.platforms.all)
    config = tool_config(base_url(request))
    return templates.TemplateResponse(
        request,
        "lti_config.html",
        {
            "boot": {},
            "config": config,
            "canvas_json": json.dumps(config["canvas"], indent=2),
            "platforms": [p.json() for p in platforms],
        },
    )


@router.get("/lti/config.json")
async def config_json(request: Request) -> JSONResponse:
    """Canvas's JSON configuration ("Enter URL" when adding an LTI 1.3 developer key)."""
    return JSONResponse(tool_config(base_url(request))["canvas"])


# ---- login initiation ---------------------------------------------------------------------------


@router.api_route("/lti/login", methods=["GET", "POST"])
async def login(request: Request) -> Response:
    """OIDC third-party login initiation: a registered platform's issuer (and client id) →
    redirect to its auth URL with a new state (also set as a cookie) and nonce."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update(await read_form(request))
    lti = _lti(request)
    try:
        target = params.get("target_link_uri", "")
        if target and origin_of(target) != origin_of(base_url(request)):
            raise LtiError("target_link_uri", "is not an address of this tool")
        url, state = await asyncio.to_thread(
            lti.logins.begin, params, base_url(request) + "/lti/launch"
        )
    except FieldError as exc:
        return refused(request, exc)
    response = RedirectResponse(url, status_code=302)
    seconds = int(lti.settings.lti_login_seconds)
    lti_cookie(request, response, state_cookie(state), state, seconds, "/lti/")
    return response


# ---- the launch -------------------------------------------------------------------------------


@router.post("/lti/launch")
async def launch(request: Request) -> Response:
    """The platform's form post: the id_token checked in full, then the person placed."""
    lti = _lti(request)
    form = await read_form(request)
    state = form.get("state", "")
    try:
        verified = await asyncio.to_thread(
            lti.launcher.verify,
            form.get("id_token", ""),
            state,
            request.cookies.get(state_cookie(state)) if state else None,
        )
        if verified.message_type == DEEP_LINKING_REQUEST:
            response = await _picker(request, verified)
        elif verified.role == "instructor":
            response = await _instructor(request, verified)
        else:
            response = await _learner(request, verified)
    except NoStateCookie as exc:
        again = "/lti/login?" + urlencode(exc.login)
        return page(
            request,
            "Open the playground in a new tab",
            "Your browser keeps this site's cookies out of the course page's frame, so the "
            "launch cannot finish here. Open it in a new tab: it signs you in the same way.",
            200,
            new_tab=again,
        )
    except FieldError as exc:
        return refused(request, exc)
    response.delete_cookie(state_cookie(state), path="/lti/")
    return response


async def _picker(request: Request, launch: Launch) -> Response:
    """Deep linking: the instructor's lessons, to pick the one the course links to."""
    lti = _lti(request)
    teacher = await asyncio.to_thread(
        lambda: lti.links.teacher(lti.links.user(launch), launch.email)
    )
    lessons = await asyncio.to_thread(lti.rooms.lessons_of, teacher.id)
    if not lessons:
        lessons = [
            await asyncio.to_thread(
                lti.rooms.create_lesson, teacher.id, "Backpropagation", {}, [], None
            )
        ]
    token = await asyncio.to_thread(
        choice_token, lti.keys, launch, teacher.id, lti.settings.lti_login_seconds
    )
    return templates.TemplateResponse(
        request,
        "lti_pick.html",
        {"boot": {}, "choice": token, "lessons": lessons, "teacher": teacher.name},
    )


async def _instructor(request: Request, launch: Launch) -> Response:
    """The teacher of the link's classroom (made, with the classroom, on first launch), on
    the dashboard."""
    lti = _lti(request)
    c = request.app.state.classrooms

    def place():
        user = lti.links.user(launch)
        teacher = lti.links.teacher(user, launch.email)
        link = lti.links.link(launch) or lti.links.create_link(teacher, launch)
        link = lti.links.set_lineitem(link, launch.lineitem_url)
        return teacher, link

    teacher, link = await asyncio.to_thread(place)
    room = await asyncio.to_thread(lti.rooms.classroom, link.classroom_id)
    if room is None or room.teacher_id != teacher.id:
        raise LtiError(
            "resource_link",
            "this link's classroom belongs to another instructor's account; they open it, or "
            "an admin links your accounts",
            403,
        )
    token, _ = await asyncio.to_thread(c.accounts.issue, teacher.id, "cookie")
    response = RedirectResponse(f"/classrooms/{room.id}", status_code=303)
    lti_cookie(request, response, TEACHER_COOKIE, token, int(c.settings.teacher_login_hours * 3600))
    return response


async def _learner(request: Request, launch: Launch) -> Response:
    """The learner's seat in the link's classroom (made on first launch), no join code."""
    lti = _lti(request)
    c = request.app.state.classrooms
    link = await asyncio.to_thread(lti.links.link, launch)
    room = await asyncio.to_thread(lti.rooms.classroom, link.classroom_id) if link else None
    if link is None or room is None:
        return page(
            request,
            "Not ready yet",
            "Your instructor has not opened this activity yet. Come back after they have "
            "(their first visit sets it up).",
            200,
        )
    link = await asyncio.to_thread(lti.links.set_lineitem, link, launch.lineitem_url)
    user = await asyncio.to_thread(lti.links.user, launch)
    status = "waiting" if room.approval_required else "active"
    seat, token = await asyncio.to_thread(lti.links.seat, link, room, user, status)
    if seat.status == "removed":
        return page(request, "Removed", "Your teacher removed you from this classroom.", 403)
    if (
        seat.status == "active"
        and room.open
        and (seat.session_id is None or await c.registry_missing(seat.session_id))
    ):
        await c.teaching.give_session(room, seat)
    response = RedirectResponse(f"/classrooms/{room.id}/seat", status_code=303)
    lti_cookie(request, response, seat_cookie(room.id), token, SEAT_COOKIE_SECONDS)
    return response


# ---- deep linking's answer ----------------------------------------------------------------------


@router.post("/lti/deep-link", response_class=HTMLResponse)
async def deep_link(request: Request) -> Response:
    """The picked lesson → an LtiDeepLinkingResponse, posted back by the browser."""
    lti = _lti(request)
    form = await read_form(request)
    try:
        choice = await asyncio.to_thread(read_choice, lti.keys, form.get("choice", ""))
        platform = await asyncio.to_thread(lti.platforms.get, choice["platform_id"])
        if platform is None:
            raise LtiError("choice", "the platform is no longer registered", 403)
        if origin_of(choice["return_url"]) not in platform.origins():
            raise LtiError(
                "deep_link_return_url", "is not on the platform's registered origins", 403
            )
        lesson = await asyncio.to_thread(lti.rooms.lesson, form.get("lesson_id", ""))
        if lesson is None or lesson.teacher_id != choice["teacher_id"]:
            raise LtiError("lesson_id", "pick one of your lessons", 404)
        item = content_item(lesson, base_url(request) + "/lti/launch")
        jwt = await asyncio.to_thread(response_token, lti.keys, platform, choice, [item])
    except FieldError as exc:
        return refused(request, exc)
    return templates.TemplateResponse(
        request,
        "lti_return.html",
        {"boot": {}, "return_url": choice["return_url"], "jwt": jwt, "title": lesson.title},
    )


# ---- grades -------------------------------------------------------------------------------------


async def _link_of(request: Request, room_id: str):
    link = await asyncio.to_thread(_lti(request).links.link_of_classroom, room_id)
    if link is None:
        raise FieldError(
            "classroom_id", "this classroom is not linked to an LMS course", status_code=404
        )
    return link


async def _grades(request: Request, room_id: str) -> dict[str, Any]:
    lti = _lti(request)
    link = await _link_of(request, room_id)
    learners = await asyncio.to_thread(lti.links.learners, link)
    book = await asyncio.to_thread(lti.grades.of_link, link.id)
    rows = []
    for user, seat in learners:
        grade = book.get(user.id) or {"status": "not scored", "score": None, "error": None}
        rows.append({"seat_id": seat.id, "name": seat.name, **grade})
    return {
        "classroom_id": room_id,
        "linked": True,
        "lineitem_url": link.lineitem_url,
        "grades": rows,
    }


@api.get("/classrooms/{classroom_id}/grades", responses=OWN_CLASSROOM)
async def grades(request: Request, room: OwnRoomDep) -> dict[str, Any]:
    """Each LMS learner's score (1: challenge met, 0: not) and its posting: ``pending``,
    ``posted`` or ``failed`` with the reason. A classroom not linked to an LMS course has
    none (``linked`` false)."""
    linked = await asyncio.to_thread(_lti(request).links.link_of_classroom, room.id)
    if linked is None:
        return {"classroom_id": room.id, "linked": False, "lineitem_url": None, "grades": []}
    return await _grades(request, room.id)


@api.post("/classrooms/{classroom_id}/grades", responses=OWN_CLASSROOM)
async def post_grades(request: Request, room: OwnRoomDep) -> dict[str, Any]:
    """Post grades: every learner's score recorded and posted now (a score already posted
    is not sent again)."""
    lti = _lti(request)
    link = await _link_of(request, room.id)
    changed = await lti.post_grades(link)
    await lti.post_due()
    return {**(await _grades(request, room.id)), "changed": changed}


def install(app: Any) -> None:
    """The LTI routes (after the classroom's: they reuse its objects)."""
    app.state.lti.teaching = app.state.classrooms.teaching
    app.include_router(router)
    app.include_router(api)
