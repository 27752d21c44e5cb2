"""The LTI launch:

- ``GET|POST /lti/login``: OIDC login initiation → redirect to the platform;
- ``POST /lti/launch``: the platform's post of the id_token → the learner's seat, the
  instructor's dashboard, or the lesson picker (deep linking, ``routes_deeplink``).

Nothing is logged in before the id_token passed every check.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from app.classroom.access import TEACHER_COOKIE, seat_cookie
from app.errors import FieldError
from app.lti.claims import DEEP_LINKING_REQUEST, Launch, LtiError
from app.lti.launch import NoStateCookie
from app.lti.oidc import state_cookie
from app.lti.platforms import origin_of
from app.lti.routes_common import base_url, lti_cookie, lti_of, page, read_form, refused
from app.lti.routes_deeplink import picker

router = APIRouter(include_in_schema=False)

SEAT_COOKIE_SECONDS = 180 * 24 * 3600


# ---- login initiation ---------------------------------------------------------------------------


@router.api_route("/lti/login", methods=["GET", "POST"])
async def login(request: Request) -> Response:
    """OIDC third-party login initiation: a registered platform's issuer (and client id) →
    redirect to its auth URL with a new state (also set as a cookie) and nonce."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update(await read_form(request))
    lti = lti_of(request)
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
    lti = lti_of(request)
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
            response = await picker(request, verified)
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


async def _instructor(request: Request, launch: Launch) -> Response:
    """The teacher of the link's classroom (made, with the classroom, on first launch), on
    the dashboard."""
    lti = lti_of(request)
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
    lti = lti_of(request)
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
