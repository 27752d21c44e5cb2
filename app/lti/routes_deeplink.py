"""Deep linking: a deep-linking launch shows the instructor's lessons to pick from
(``picker``); ``POST /lti/deep-link`` turns the picked lesson into the signed
LtiDeepLinkingResponse, posted back to the platform by the browser.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.errors import FieldError
from app.lti.claims import Launch, LtiError
from app.lti.deeplink import choice_token, content_item, read_choice, response_token
from app.lti.platforms import origin_of
from app.lti.routes_common import base_url, lti_of, read_form, refused
from app.web.routers.pages import templates

router = APIRouter(include_in_schema=False)


async def picker(request: Request, launch: Launch) -> Response:
    """Deep linking: the instructor's lessons, to pick the one the course links to."""
    lti = lti_of(request)
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


# ---- deep linking's answer ----------------------------------------------------------------------


@router.post("/lti/deep-link", response_class=HTMLResponse)
async def deep_link(request: Request) -> Response:
    """The picked lesson → an LtiDeepLinkingResponse, posted back by the browser."""
    lti = lti_of(request)
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
