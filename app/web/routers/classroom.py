"""The classroom's REST API: teachers' logins, lessons, classrooms, students' seats, pacing and
exports (docs/contract.md, "Classroom"). Pages are in ``classroom_pages``; who may do what to a
session is decided in ``app.classroom.access``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from app import limits
from app.classroom.access import TEACHER_COOKIE, Gate, bearer, seat_cookie
from app.classroom.accounts import Accounts, Teacher
from app.classroom.controls import CONTROLS
from app.classroom.ratelimit import FailureLimit
from app.classroom.rooms import Classroom, Rooms, Seat
from app.classroom.schemas import (
    ClassExport,
    ClassroomDetail,
    ClassroomIn,
    ClassroomOut,
    ClassroomPatch,
    ClassroomsOut,
    JoinIn,
    JoinOut,
    LeaderboardOut,
    LessonIn,
    LessonOut,
    LessonPatch,
    LessonsOut,
    Login,
    LoginOut,
    MeOut,
    NewSessionOut,
    PaceIn,
    PaceOut,
    PushOut,
    SeatOut,
    SetupIn,
    TokenOut,
)
from app.classroom.teaching import Teaching
from app.classroom.tokens import MAX_NAME_LENGTH, clean_name, normalise_code
from app.commands import CheckSetup
from app.errors import FieldError
from app.schemas import PauseCommand, SessionCreate, shown_setup
from app.seam.base import TrainerLost, Trainers
from app.settings import Settings
from app.web.deps import client_address
from engine import SpecError

router = APIRouter(prefix="/api", tags=["classroom"])


# ---- shared objects ------------------------------------------------------------------------


class Classrooms:
    """Everything the classroom's routes share, made once per app."""

    def __init__(self, app: Any) -> None:
        s: Settings = app.state.settings
        self.settings = s
        self.accounts = Accounts(app.state.store, s)
        self.rooms = Rooms(app.state.store, s)
        self.gate = Gate(self.accounts, self.rooms)
        self.teaching = Teaching(app.state.registry, self.rooms)
        self.trainers: Trainers = app.state.pool  # lesson setups are built there to check them
        self.logins = FailureLimit(s.login_attempts_per_minute)
        self.joins = FailureLimit(s.join_attempts_per_minute)

    async def registry_missing(self, session_id: str) -> bool:
        """True when a seat's session is gone (deleted for retention, say): it gets a new one."""
        return await self.teaching.registry.find(session_id) is None


def get_classrooms(request: Request) -> Classrooms:
    return request.app.state.classrooms


ClassroomsDep = Annotated[Classrooms, Depends(get_classrooms)]


async def current_teacher(request: Request, c: ClassroomsDep) -> Teacher:
    """The logged-in teacher (login cookie or bearer token), or 401."""
    teacher = await c.gate.teacher(request)
    if teacher is None:
        raise FieldError(
            "authorization",
            "log in as a teacher first (POST /api/auth/login, or a bearer token from "
            "POST /api/auth/token)",
            status_code=401,
            kind="unauthorized",
        )
    return teacher


TeacherDep = Annotated[Teacher, Depends(current_teacher)]


async def own_classroom(classroom_id: str, teacher: TeacherDep, c: ClassroomsDep) -> Classroom:
    """The teacher's classroom named in the path: 404 if there is none, 403 if not theirs."""
    room = await asyncio.to_thread(c.rooms.classroom, classroom_id)
    if room is None:
        raise FieldError("classroom_id", f"no classroom {classroom_id!r}", status_code=404)
    if room.teacher_id != teacher.id:
        raise FieldError(
            "classroom_id", "this classroom is another teacher's", status_code=403, kind="forbidden"
        )
    return room


OwnRoomDep = Annotated[Classroom, Depends(own_classroom)]


async def my_seat(classroom_id: str, request: Request, c: ClassroomsDep) -> tuple[Classroom, Seat]:
    """The classroom in the path and the asking student's seat in it (from its cookie)."""
    room = await asyncio.to_thread(c.rooms.classroom, classroom_id)
    if room is None:
        raise FieldError("classroom_id", f"no classroom {classroom_id!r}", status_code=404)
    token = request.cookies.get(seat_cookie(classroom_id), "")
    seat = await asyncio.to_thread(c.rooms.seat_by_token, classroom_id, token)
    if seat is None or seat.status == "removed":
        raise FieldError(
            "seat",
            "you have no seat in this classroom: join it with its code at /join",
            status_code=403,
            kind="forbidden",
        )
    return room, seat


SeatDep = Annotated[tuple[Classroom, Seat], Depends(my_seat)]


async def check_setup(setup: SessionCreate, c: Classrooms) -> dict[str, Any]:
    """A lesson's setup must be one the playground allows: the limits, then a trainer builds
    it (which names any unknown activation, dataset, feature...)."""
    try:
        limits.check_session(setup, c.settings)
        await c.trainers.any_trainer(CheckSetup(body=setup))
    except TrainerLost:
        raise
    except (FieldError, SpecError) as exc:  # named as the lesson's field
        raise FieldError("setup." + exc.field, exc.message) from None
    return setup.model_dump(exclude={"state"}, exclude_none=True)


# ---- cookies -------------------------------------------------------------------------------


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


# ---- teachers ------------------------------------------------------------------------------


async def _login(request: Request, c: Classrooms, body: Login) -> Teacher:
    address = client_address(request)
    name_key = "name:" + clean_name(body.name).casefold()
    wait = max(c.logins.blocked("addr:" + address), c.logins.blocked(name_key))
    if wait:
        raise FieldError(
            "password",
            f"too many failed logins; try again in {int(wait) + 1} s (login_attempts_per_minute)",
            status_code=429,
            kind="limit",
        )
    teacher = await asyncio.to_thread(c.accounts.check_password, body.name, body.password)
    if teacher is None:
        c.logins.failed("addr:" + address)
        c.logins.failed(name_key)
        raise FieldError(
            "password", "that name and password do not match", status_code=401, kind="unauthorized"
        )
    return teacher


@router.post("/auth/login", responses={200: {"model": LoginOut}})
async def login(body: Login, request: Request, c: ClassroomsDep) -> JSONResponse:
    """Log a teacher's browser in: an HttpOnly, SameSite=Lax cookie (Secure over HTTPS)."""
    teacher = await _login(request, c, body)
    token, _ = await asyncio.to_thread(c.accounts.issue, teacher.id, "cookie")
    response = JSONResponse({"teacher": {"id": teacher.id, "name": teacher.name}})
    set_cookie(request, response, TEACHER_COOKIE, token, int(c.settings.teacher_login_hours * 3600))
    return response


@router.post("/auth/token", response_model=TokenOut)
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


@router.get("/auth/me", response_model=LoginOut)
async def me(teacher: TeacherDep) -> dict:
    return {"teacher": {"id": teacher.id, "name": teacher.name}}


# ---- lessons -------------------------------------------------------------------------------


def _lesson_or_404(lesson, teacher: Teacher):
    if lesson is None or lesson.teacher_id != teacher.id:
        raise FieldError("lesson_id", "no such lesson of yours", status_code=404)
    return lesson


@router.get("/lessons", response_model=LessonsOut)
async def list_lessons(teacher: TeacherDep, c: ClassroomsDep) -> dict:
    lessons = await asyncio.to_thread(c.rooms.lessons_of, teacher.id)
    return {"lessons": [x.json() for x in lessons], "controls": CONTROLS}


@router.post("/lessons", status_code=201, response_model=LessonOut)
async def create_lesson(body: LessonIn, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    """A lesson: a session setup, the locked controls, an optional challenge."""
    setup = await check_setup(body.setup, c)
    challenge = body.challenge.model_dump() if body.challenge else None
    lesson = await asyncio.to_thread(
        c.rooms.create_lesson, teacher.id, body.title, setup, body.locks, challenge
    )
    return lesson.json()


@router.get("/lessons/{lesson_id}", response_model=LessonOut)
async def get_lesson(lesson_id: str, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    return _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher).json()


@router.patch("/lessons/{lesson_id}", response_model=LessonOut)
async def patch_lesson(
    lesson_id: str, body: LessonPatch, teacher: TeacherDep, c: ClassroomsDep
) -> dict:
    """Change a lesson for classrooms opened from it later (open ones keep their copy; push
    a change to one with ``PUT /api/classrooms/{id}/lesson``)."""
    _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher)
    change = await _lesson_change(body, c)
    lesson = await asyncio.to_thread(c.rooms.update_lesson, lesson_id, **change)
    return lesson.json()


async def _lesson_change(body: LessonPatch, c: Classrooms) -> dict[str, Any]:
    change: dict[str, Any] = {}
    if body.title is not None:
        change["title"] = body.title
    if body.setup is not None:
        change["setup"] = await check_setup(body.setup, c)
    if body.locks is not None:
        change["locks"] = body.locks
    if "challenge" in body.model_fields_set:
        change["challenge"] = body.challenge.model_dump() if body.challenge else None
    return change


# ---- classrooms (the teacher's) --------------------------------------------------------------


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


def classroom_json(request: Request, room: Classroom) -> dict[str, Any]:
    return {**room.json(), "join_url": join_url(request, room), "controls": CONTROLS}


@router.get("/classrooms", response_model=ClassroomsOut)
async def list_classrooms(request: Request, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    rooms = await asyncio.to_thread(c.rooms.classrooms_of, teacher.id)
    return {"classrooms": [classroom_json(request, r) for r in rooms]}


@router.post("/classrooms", status_code=201, response_model=ClassroomOut)
async def open_classroom(
    body: ClassroomIn, request: Request, teacher: TeacherDep, c: ClassroomsDep
) -> dict:
    """Open a classroom from one of your lessons; it gets a join code."""
    lesson = _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, body.lesson_id), teacher)
    room = await asyncio.to_thread(
        c.rooms.open_classroom, teacher.id, lesson, body.name or lesson.title
    )
    return classroom_json(request, room)


@router.get("/classrooms/{classroom_id}", response_model=ClassroomDetail)
async def get_classroom(request: Request, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """The classroom, its roster (every seat and its session's id), and the lesson."""
    seats = await asyncio.to_thread(c.rooms.seats_of, room.id)
    return {
        **classroom_json(request, room),
        "lesson_setup": shown_setup(room.setup),
        "seats": [s.json() for s in seats],
    }


@router.patch("/classrooms/{classroom_id}", response_model=ClassroomOut)
async def patch_classroom(
    body: ClassroomPatch, request: Request, room: OwnRoomDep, c: ClassroomsDep
) -> dict:
    """Lock the lobby, require approval, hide names, show the leaderboard, run the challenge."""
    change = body.model_dump(exclude_none=True)
    if change.get("challenge_active") and not room.challenge:
        raise FieldError("challenge_active", "this classroom's lesson has no challenge")
    if change:
        room = await asyncio.to_thread(c.rooms.update_classroom, room.id, **change)
    return classroom_json(request, room)


@router.put("/classrooms/{classroom_id}/lesson", response_model=PushOut)
async def push_lesson(
    body: LessonPatch, request: Request, room: OwnRoomDep, c: ClassroomsDep
) -> dict:
    """Change the lesson this classroom is taught from — a new setup (every student gets a
    session of it), unlocked or locked controls, a challenge — and push it to everyone."""
    if not room.open:
        raise FieldError("classroom_id", "the classroom is closed", status_code=409)
    change = await _lesson_change(body, c)
    change.pop("title", None)
    setup_changed = "setup" in change and change["setup"] != room.setup
    if "challenge" in change and change["challenge"] is None:
        change["challenge_active"] = False
    room = await asyncio.to_thread(c.rooms.update_classroom, room.id, **change)
    replaced = await c.teaching.push(room, setup_changed)
    return {**classroom_json(request, room), "replaced": replaced}


@router.post("/classrooms/{classroom_id}/close", response_model=ClassroomOut)
async def close_classroom(request: Request, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """The join code stops working; students' work stays, read-only, for the teacher."""
    await c.teaching.pace(room, "pause")
    room = await asyncio.to_thread(c.rooms.close_classroom, room.id)
    return classroom_json(request, room)


@router.post("/classrooms/{classroom_id}/pace", response_model=PaceOut)
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


@router.post("/classrooms/{classroom_id}/seats/{seat_id}/approve", response_model=SeatOut)
async def approve_seat(seat_id: str, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Let a waiting student in (or a removed one back): they get their session."""
    seat = await _seat_in(room, seat_id, c)
    if seat.status != "active":
        await asyncio.to_thread(c.rooms.update_seat, seat.id, status="active")
        seat = await _seat_in(room, seat_id, c)
    if seat.session_id is None or await c.registry_missing(seat.session_id):
        await c.teaching.give_session(room, seat)
    return (await _seat_in(room, seat_id, c)).json()


@router.delete("/classrooms/{classroom_id}/seats/{seat_id}", response_model=SeatOut)
async def remove_seat(seat_id: str, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Remove a student: their browser loses the seat; their session is paused and kept for
    the teacher's export (approve brings them back)."""
    seat = await _seat_in(room, seat_id, c)
    handle = await c.teaching.handle(seat)
    if handle is not None:
        await handle.call(PauseCommand(type="pause"))
    await asyncio.to_thread(c.rooms.update_seat, seat.id, status="removed")
    return (await _seat_in(room, seat_id, c)).json()


@router.get("/classrooms/{classroom_id}/leaderboard", response_model=LeaderboardOut)
async def leaderboard(classroom_id: str, request: Request, c: ClassroomsDep) -> dict:
    """The challenge's leaderboard: best test loss first among seats within the unit budget.
    The teacher always sees it (with names); students only when it is shown, with names only
    when the teacher opted in."""
    teacher = await c.gate.teacher(request)
    room = await asyncio.to_thread(c.rooms.classroom, classroom_id)
    if room is None:
        raise FieldError("classroom_id", f"no classroom {classroom_id!r}", status_code=404)
    if teacher is not None and teacher.id == room.teacher_id:
        names = not room.hide_names
    else:
        await my_seat(classroom_id, request, c)
        if not room.leaderboard:
            raise FieldError(
                "classroom_id", "the leaderboard is not shown", status_code=403, kind="forbidden"
            )
        names = room.leaderboard_names and not room.hide_names
    return {
        "challenge": room.challenge,
        "active": room.challenge_active,
        "rows": await c.teaching.leaderboard(room, names),
    }


@router.get("/classrooms/{classroom_id}/export.csv", responses={200: {"content": {"text/csv": {}}}})
async def export_csv(room: OwnRoomDep, c: ClassroomsDep) -> PlainTextResponse:
    """The class as CSV: student, epochs, final losses, settings, challenge met."""
    text = await c.teaching.csv_text(room)
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="classroom-{room.id}.csv"'},
    )


@router.get("/classrooms/{classroom_id}/export.json", responses={200: {"model": ClassExport}})
async def export_json(room: OwnRoomDep, c: ClassroomsDep) -> JSONResponse:
    """The classroom and every student's session as an export."""
    return JSONResponse(
        await c.teaching.sessions_json(room),
        headers={"Content-Disposition": f'attachment; filename="classroom-{room.id}.json"'},
    )


# ---- students --------------------------------------------------------------------------------


@router.post("/join", responses={200: {"model": JoinOut}})
async def join(body: JoinIn, request: Request, c: ClassroomsDep) -> JSONResponse:
    """Join a classroom with its code and a display name (or your seat key, to take your seat
    on another device). Sets the seat's cookie; answers with the seat and, the first time,
    its rejoin key."""
    address = "addr:" + client_address(request)
    wait = c.joins.blocked(address)
    if wait:
        raise FieldError(
            "code",
            f"too many wrong codes; try again in {int(wait) + 1} s (join_attempts_per_minute)",
            status_code=429,
            kind="limit",
        )
    room = await asyncio.to_thread(c.rooms.classroom_by_code, normalise_code(body.code))
    if room is None:
        c.joins.failed(address)
        raise FieldError("code", "no open classroom has this code: check it with your teacher")
    name = clean_name(body.name)
    if not name:
        raise FieldError("name", "type the name your teacher will see")
    if len(name) > MAX_NAME_LENGTH:
        raise FieldError("name", f"must have at most {MAX_NAME_LENGTH} characters")
    key = None
    if body.key:
        taken = await asyncio.to_thread(c.rooms.take_seat, room.id, name, body.key)
        if taken is None:
            c.joins.failed(address)
            raise FieldError("key", "this seat key does not match that name in this classroom")
        seat, token = taken
    else:
        if room.lobby_locked:
            raise FieldError(
                "code",
                "the teacher has locked this classroom's lobby: ask them to let you in",
                status_code=403,
                kind="forbidden",
            )
        seat, token, key = await asyncio.to_thread(
            c.rooms.add_seat, room, name, "waiting" if room.approval_required else "active"
        )
        if seat.status == "active":
            await c.teaching.give_session(room, seat)
    seat = await asyncio.to_thread(c.rooms.seat, seat.id)
    response = JSONResponse(
        {
            "classroom_id": room.id,
            "seat": seat.json(),
            "key": key,
            "url": f"/classrooms/{room.id}/seat",
        }
    )
    set_cookie(request, response, seat_cookie(room.id), token, 180 * 24 * 3600)
    return response


@router.get("/classrooms/{classroom_id}/me", response_model=MeOut)
async def my_place(seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """The asking student's seat, session and what the lesson locks."""
    room, seat = seat_and_room
    if (
        seat.status == "active"
        and room.open
        and (seat.session_id is None or await c.registry_missing(seat.session_id))
    ):
        await c.teaching.give_session(room, seat)
        seat = await asyncio.to_thread(c.rooms.seat, seat.id)
    return {
        "seat": seat.json(),
        "classroom": {
            "id": room.id,
            "name": room.name,
            "status": room.status,
            "locks": room.locks,
            "setup": room.setup,
            "challenge": room.challenge,
            "challenge_active": room.challenge_active,
            "leaderboard": room.leaderboard,
        },
        "controls": CONTROLS,
    }


@router.post("/classrooms/{classroom_id}/me/session", response_model=NewSessionOut)
async def change_my_setup(body: SetupIn, seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """A student's new setup (the page's dataset, layers, activation...): refused (403 naming
    the control) where the lesson locks it; otherwise the seat gets a session of it."""
    room, seat = seat_and_room
    if not room.open:
        raise FieldError("classroom_id", "the classroom is closed", status_code=409)
    if seat.status != "active":
        raise FieldError("seat", "your teacher has not let you in yet", status_code=403)
    try:
        limits.check_session(body.setup, c.settings)
    except FieldError as exc:  # named as this body's field
        raise FieldError("setup." + exc.field, exc.message) from None
    setup = body.setup.model_dump(exclude_none=True)
    session_id = await c.teaching.change_setup(room, seat, setup)
    return {"session_id": session_id}


def install(app: Any) -> None:
    """Make the classroom's shared objects and its routes part of ``app``."""
    app.state.classrooms = Classrooms(app)
    app.include_router(router)
