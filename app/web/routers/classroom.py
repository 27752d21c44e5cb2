"""The teacher's classrooms (``/api/classrooms``): open one from a lesson, its roster, its
settings (lobby, approval, names, leaderboard, challenge), a lesson pushed to everyone, the
class's pace, letting a student in or removing them, closing it (docs/contract.md,
"Classroom")."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from app import limits
from app.classroom.controls import CONTROLS
from app.classroom.rooms import Classroom, Seat
from app.classroom.schemas import (
    ClassroomDetail,
    ClassroomIn,
    ClassroomOut,
    ClassroomPatch,
    ClassroomsOut,
    LessonPatch,
    PaceIn,
    PaceOut,
    PushOut,
    SeatOut,
)
from app.classroom.steps import check_edit, with_first_setup
from app.errors import FieldError
from app.schemas import PauseCommand, shown_setup
from app.web.contract import OWN_CLASSROOM, TEACHER, errors
from app.web.routers.classroom_deps import (
    CLOSED,
    NEW_SESSION,
    Classrooms,
    ClassroomsDep,
    OwnRoomDep,
    TeacherDep,
    _found,
)
from app.web.routers.lessons import _lesson_change, _lesson_or_404

router = APIRouter(prefix="/api", tags=["classroom"])

SEAT_ID = errors(404, notes={404: "No such seat in this classroom (field ``seat_id``)."})


def join_url(request: Request, room: Classroom) -> str | None:
    """Where students join: this request's own address, unless that is a loopback one and the
    LAN address is known (``public_url``) — 127.0.0.1 would mean nothing on their laptops."""
    if not room.code:
        return None
    base = str(request.base_url).rstrip("/")
    public = request.app.state.settings.public_url
    if public and request.url.hostname in ("127.0.0.1", "localhost", "::1"):
        base = public.rstrip("/")
    return f"{base}/join/{room.code}"


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def join_warning(url: str | None) -> str | None:
    """Why students cannot use ``url`` (it names this computer only), and the fix; None when it
    is an address others can reach."""
    host = urlsplit(url).hostname if url else None
    if host is None or not (host in LOOPBACK_HOSTS or host.startswith("127.")):
        return None
    return (
        f"Students on other devices cannot reach {host}: it means “this computer”. Restart the "
        "server with `backprop-playground --host 0.0.0.0` (it then shows students your LAN "
        "address, such as http://192.168.1.20:8000), or set BPP_PUBLIC_URL to that address."
    )


def classroom_json(request: Request, room: Classroom) -> dict[str, Any]:
    url = join_url(request, room)
    return {**room.json(), "join_url": url, "join_warning": join_warning(url), "controls": CONTROLS}


@router.get("/classrooms", response_model=ClassroomsOut, responses=TEACHER)
async def list_classrooms(request: Request, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    rooms = await asyncio.to_thread(c.rooms.classrooms_of, teacher.id)
    return {"classrooms": [classroom_json(request, r) for r in rooms]}


@router.post(
    "/classrooms",
    status_code=201,
    response_model=ClassroomOut,
    responses=TEACHER
    | errors(404, 503, notes={404: "No such lesson of yours (field ``lesson_id``)."}),
)
async def open_classroom(
    body: ClassroomIn, request: Request, teacher: TeacherDep, c: ClassroomsDep
) -> dict:
    """Open a classroom from one of your lessons; it gets a join code."""
    lesson = _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, body.lesson_id), teacher)
    room = await asyncio.to_thread(
        c.rooms.open_classroom, teacher.id, lesson, body.name or lesson.title
    )
    return classroom_json(request, room)


@router.get("/classrooms/{classroom_id}", response_model=ClassroomDetail, responses=OWN_CLASSROOM)
async def get_classroom(request: Request, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """The classroom, its roster (every seat, its session's id, and where its setup differs
    from the lesson's: ``differs``, the locks' compare), and the lesson."""
    seats = await asyncio.to_thread(c.rooms.seats_of, room.id)
    differs = await c.teaching.differs(room, seats)
    return {
        **classroom_json(request, room),
        "lesson_setup": shown_setup(room.setup),
        "seats": [{**s.json(), "differs": differs.get(s.id)} for s in seats],
    }


@router.patch("/classrooms/{classroom_id}", response_model=ClassroomOut, responses=OWN_CLASSROOM)
async def patch_classroom(
    body: ClassroomPatch, request: Request, room: OwnRoomDep, c: ClassroomsDep
) -> dict:
    """Lock the lobby, require approval, hide names, show the leaderboard, run the challenge."""
    change = body.model_dump(exclude_none=True)
    if change.get("challenge_active") and not room.challenge:
        raise FieldError("challenge_active", "this classroom's lesson has no challenge")
    if change:
        changed = await asyncio.to_thread(c.rooms.update_classroom, room.id, **change)
        room = _found(changed, "classroom_id", "this classroom")
    return classroom_json(request, room)


@router.put(
    "/classrooms/{classroom_id}/lesson", response_model=PushOut, responses=OWN_CLASSROOM | CLOSED
)
async def push_lesson(
    body: LessonPatch, request: Request, room: OwnRoomDep, c: ClassroomsDep
) -> dict:
    """Change the lesson this classroom is taught from — a new setup (every student gets a
    session of it), unlocked or locked controls, a challenge — and push it to everyone."""
    if not room.open:
        raise FieldError("classroom_id", "the classroom is closed", status_code=409)
    change = await _lesson_change(body, c)
    change.pop("title", None)
    if not change:
        raise FieldError(  # named as the first of the fields that push something
            "setup",
            "nothing to push: send at least one of setup, locks, challenge, steps (a title is the "
            "lesson's: PATCH /api/lessons/{lesson_id}; a classroom's name: PATCH "
            "/api/classrooms/{classroom_id})",
        )
    if "steps" in change:  # a running activity changes only the steps not yet opened
        first = room.steps[0].get("setup") if room.steps else None
        change["steps"] = with_first_setup(change["steps"], first or room.setup)
        check_edit(room, change["steps"])
    setup_changed = "setup" in change and change["setup"] != room.setup
    if "challenge" in change and change["challenge"] is None:
        change["challenge_active"] = False
    changed = await asyncio.to_thread(c.rooms.update_classroom, room.id, **change)
    room = _found(changed, "classroom_id", "this classroom")
    replaced = await c.teaching.push(room, setup_changed)
    return {**classroom_json(request, room), "replaced": replaced}


@router.post(
    "/classrooms/{classroom_id}/close", response_model=ClassroomOut, responses=OWN_CLASSROOM
)
async def close_classroom(request: Request, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """The join code stops working; students' work stays, read-only, for the teacher."""
    await c.teaching.pace(room, "pause")
    closed = await asyncio.to_thread(c.rooms.close_classroom, room.id)
    room = _found(closed, "classroom_id", "this classroom")
    return classroom_json(request, room)


@router.post(
    "/classrooms/{classroom_id}/pace", response_model=PaceOut, responses=OWN_CLASSROOM | CLOSED
)
async def pace(body: PaceIn, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Pause, play, step n epochs, step one sample, or reset every student's session."""
    if not room.open:
        raise FieldError("classroom_id", "the classroom is closed", status_code=409)
    if body.op == "step":
        limits.check_epochs("epochs", body.epochs, c.settings)
    return await c.teaching.pace(room, body.op, body.epochs)


async def _seat_in(room: Classroom, seat_id: str, c: Classrooms) -> Seat:
    seat = await asyncio.to_thread(c.rooms.seat, seat_id)
    if seat is None or seat.classroom_id != room.id:
        raise FieldError("seat_id", f"no seat {seat_id!r} in this classroom", status_code=404)
    return seat


@router.post(
    "/classrooms/{classroom_id}/seats/{seat_id}/approve",
    response_model=SeatOut,
    responses=OWN_CLASSROOM | SEAT_ID | NEW_SESSION,
)
async def approve_seat(seat_id: str, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Let a waiting student in (or a removed one back): they get their session."""
    seat = await _seat_in(room, seat_id, c)
    if seat.status != "active":
        await asyncio.to_thread(c.rooms.update_seat, seat.id, status="active")
        seat = await _seat_in(room, seat_id, c)
    if seat.session_id is None or await c.registry_missing(seat.session_id):
        await c.teaching.give_session(room, seat)
    return (await _seat_in(room, seat_id, c)).json()


@router.delete(
    "/classrooms/{classroom_id}/seats/{seat_id}",
    response_model=SeatOut,
    responses=OWN_CLASSROOM | SEAT_ID | errors(409, 503),
)
async def remove_seat(seat_id: str, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Remove a student: their browser loses the seat; their session is paused and kept for
    the teacher's export (approve brings them back)."""
    seat = await _seat_in(room, seat_id, c)
    handle = await c.teaching.handle(seat)
    if handle is not None:
        await handle.call(PauseCommand(type="pause"))
    await asyncio.to_thread(c.rooms.update_seat, seat.id, status="removed")
    return (await _seat_in(room, seat_id, c)).json()
