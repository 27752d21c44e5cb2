"""The classroom's pages: a teacher's login, home (lessons and classrooms) and live dashboard;
a student's join page and seat (the playground page in classroom mode); a read-only spectator
view and the projector view of one student. Each page gets its data as one JSON block (no
inline script: the Content-Security-Policy forbids it) and fetches the rest from the API,
which checks every request itself — a page only shows what its caller may see.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.classroom.access import seat_cookie
from app.classroom.controls import CONTROLS
from app.classroom.tokens import CODE_ALPHABET, CODE_LENGTH, normalise_code
from app.web.routers.pages import playground_boot, templates

router = APIRouter(include_in_schema=False)


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def _page(request: Request, name: str, boot: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, {"boot": boot}, status_code=status_code)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/teach") -> Response:
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/teach"
    return _page(request, "login.html", {"next": safe_next})


@router.get("/teach", response_class=HTMLResponse)
async def teach_page(request: Request) -> Response:
    c = request.app.state.classrooms
    teacher = await c.gate.teacher(request)
    if teacher is None:
        return _login_redirect(request)
    return _page(
        request,
        "teach.html",
        {
            "teacher": {"id": teacher.id, "name": teacher.name},
            "controls": CONTROLS,
            **playground_boot(request),
        },
    )


@router.get("/teach/new", response_class=HTMLResponse)
async def lesson_editor_page(request: Request) -> Response:
    """A new lesson, made on the playground itself: the page as it stands is the lesson's setup,
    a padlock on each control locks it, and a panel takes the title, the instructions and the
    challenge. Logged out, the login comes first and brings the teacher back here (the setup
    travels in the URL's hash and the tab's sessionStorage)."""
    c = request.app.state.classrooms
    teacher = await c.gate.teacher(request)
    if teacher is None:
        return _login_redirect(request)
    boot = playground_boot(request)
    boot["lesson"] = {"teacher": teacher.name, "controls": CONTROLS}
    return _page(request, "index.html", boot)


@router.get("/join", response_class=HTMLResponse)
async def join_page(request: Request) -> Response:
    return _page(
        request, "join.html", {"code": "", "length": CODE_LENGTH, "alphabet": CODE_ALPHABET}
    )


@router.get("/join/{code}", response_class=HTMLResponse)
async def join_code_page(request: Request, code: str) -> Response:
    return _page(
        request,
        "join.html",
        {"code": normalise_code(code), "length": CODE_LENGTH, "alphabet": CODE_ALPHABET},
    )


async def _room_for_teacher(request: Request, classroom_id: str):
    c = request.app.state.classrooms
    teacher = await c.gate.teacher(request)
    room = await asyncio.to_thread(c.rooms.classroom, classroom_id)
    if teacher is None or room is None or room.teacher_id != teacher.id:
        return teacher, None
    return teacher, room


@router.get("/classrooms/{classroom_id}", response_class=HTMLResponse)
async def classroom_page(request: Request, classroom_id: str) -> Response:
    """The teacher's dashboard; a student who opens it goes to their seat."""
    teacher, room = await _room_for_teacher(request, classroom_id)
    if room is not None:
        return _page(
            request,
            "dashboard.html",
            {"classroom_id": room.id, "teacher": {"name": teacher.name}, "controls": CONTROLS},
        )
    if request.cookies.get(seat_cookie(classroom_id)):
        return RedirectResponse(f"/classrooms/{classroom_id}/seat", status_code=303)
    if teacher is None:
        return _login_redirect(request)
    return _page(request, "message.html", {"message": "This classroom is not yours."}, 403)


@router.get("/classrooms/{classroom_id}/seat", response_class=HTMLResponse)
async def seat_page(request: Request, classroom_id: str) -> Response:
    """A student's playground: their own session, the lesson's locks enforced."""
    if not request.cookies.get(seat_cookie(classroom_id)):
        return RedirectResponse("/join", status_code=303)
    boot = playground_boot(request)
    boot["classroom"] = {"id": classroom_id, "mode": "student"}
    return _page(request, "index.html", boot)


async def _spectate(request: Request, classroom_id: str, seat_id: str, mode: str) -> Response:
    teacher, room = await _room_for_teacher(request, classroom_id)
    if room is None:
        if teacher is None:
            return _login_redirect(request)
        return _page(request, "message.html", {"message": "This classroom is not yours."}, 403)
    c = request.app.state.classrooms
    seat = await asyncio.to_thread(c.rooms.seat, seat_id)
    if seat is None or seat.classroom_id != room.id or seat.session_id is None:
        return _page(request, "message.html", {"message": "No such student here."}, 404)
    hidden = mode == "projector" or room.hide_names
    boot = playground_boot(request)
    boot["classroom"] = {
        "id": room.id,
        "mode": mode,
        "session_id": seat.session_id,
        "seat_id": seat.id,
        "name": seat.label if hidden else seat.name,
    }
    return _page(request, "index.html", boot)


@router.get("/classrooms/{classroom_id}/students/{seat_id}", response_class=HTMLResponse)
async def spectate_page(request: Request, classroom_id: str, seat_id: str) -> Response:
    """One student's live view, read-only, for their teacher."""
    return await _spectate(request, classroom_id, seat_id, "spectate")


@router.get("/classrooms/{classroom_id}/projector/{seat_id}", response_class=HTMLResponse)
async def projector_page(request: Request, classroom_id: str, seat_id: str) -> Response:
    """The same as spectating, large and with the student's name hidden."""
    return await _spectate(request, classroom_id, seat_id, "projector")
