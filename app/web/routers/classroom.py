"""The classroom's REST API: teachers' logins, lessons, classrooms, students' seats, pacing and
exports (docs/contract.md, "Classroom"). Pages are in ``classroom_pages``; who may do what to a
session is decided in ``app.classroom.access``.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from app import limits
from app.classroom.access import TEACHER_COOKIE, Gate, bearer, seat_cookie
from app.classroom.accounts import Accounts, Teacher
from app.classroom.controls import CONTROLS
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
from app.classroom.steps import check_edit, checked_steps, with_first_setup
from app.classroom.teaching import Teaching
from app.classroom.tokens import MAX_NAME_LENGTH, clean_name, normalise_code
from app.commands import CheckSetup
from app.errors import FieldError
from app.schemas import PauseCommand, SessionCreate, shown_setup
from app.seam.base import TrainerLost, Trainers
from app.settings import Settings
from app.web.contract import OWN_CLASSROOM, SEAT, TEACHER, errors
from app.web.deps import client_address
from engine import SpecError

router = APIRouter(prefix="/api", tags=["classroom"])

LOGIN = errors(
    401,
    429,
    notes={
        401: "That name and password do not match (field ``password``).",
        429: "Too many failed logins (``login_attempts_per_minute``; field ``password``).",
    },
)
LESSON = errors(404, notes={404: "No such lesson of yours (field ``lesson_id``)."})
SEAT_ID = errors(404, notes={404: "No such seat in this classroom (field ``seat_id``)."})
CLOSED = errors(409, notes={409: "The classroom is closed (field ``classroom_id``)."})
# answers that give a seat a session: the server's session limits, and its trainers
NEW_SESSION = errors(
    429, 503, notes={429: "The server holds its limit of sessions (field ``session``)."}
)


class CsvText(PlainTextResponse):
    """A CSV file (``export.csv``)."""

    media_type = "text/csv"


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
        self.quotas = app.state.quotas  # tries per window (app.quotas): Redis's on a bus
        self.trainers: Trainers = app.state.pool  # lesson setups are built there to check them
        self.activities: Any = None  # app.classroom.answers.Activities (activity.install)
        self.snapshots: Any = None  # app.classroom.snapshots.Snapshots (activity.install)

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
            where="header",
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
    if seat is None and token:  # the seat's token changed: it moved to another device (its key)
        raise FieldError(
            "seat",
            "your seat moved to another device: carry on there, or join again at /join",
            status_code=403,
            kind="seat_moved",
        )
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


_T = TypeVar("_T")


def _found(value: _T | None, field: str, what: str) -> _T:
    """``value`` read back after a write; None means the row went away meanwhile: 404."""
    if value is None:
        raise FieldError(field, f"{what} is gone", status_code=404)
    return value


# ---- lessons -------------------------------------------------------------------------------


def _lesson_or_404(lesson, teacher: Teacher):
    if lesson is None or lesson.teacher_id != teacher.id:
        raise FieldError("lesson_id", "no such lesson of yours", status_code=404)
    return lesson


@router.get("/lessons", response_model=LessonsOut, responses=TEACHER)
async def list_lessons(teacher: TeacherDep, c: ClassroomsDep) -> dict:
    lessons = await asyncio.to_thread(c.rooms.lessons_of, teacher.id)
    return {"lessons": [x.json() for x in lessons], "controls": CONTROLS}


@router.post(
    "/lessons",
    status_code=201,
    response_model=LessonOut,
    responses=TEACHER
    | errors(429, notes={429: "You keep ``max_lessons_per_teacher`` lessons (``lesson``)."}),
)
async def create_lesson(body: LessonIn, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    """A lesson: a session setup, the locked controls, an optional challenge."""
    setup = await check_setup(body.setup, c)
    challenge = body.challenge.model_dump() if body.challenge else None
    instructions = check_instructions(body.instructions, c.settings)
    steps = await checked_steps(body.steps, lambda s: check_setup(s, c), c.settings)
    lesson = await asyncio.to_thread(
        c.rooms.create_lesson,
        teacher.id, body.title, setup, body.locks, challenge, instructions, steps,
    )  # fmt: skip
    return lesson.json()


@router.get("/lessons/{lesson_id}", response_model=LessonOut, responses=TEACHER | LESSON)
async def get_lesson(lesson_id: str, teacher: TeacherDep, c: ClassroomsDep) -> dict:
    return _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher).json()


@router.patch("/lessons/{lesson_id}", response_model=LessonOut, responses=TEACHER | LESSON)
async def patch_lesson(
    lesson_id: str, body: LessonPatch, teacher: TeacherDep, c: ClassroomsDep
) -> dict:
    """Change a lesson for classrooms opened from it later (open ones keep their copy; push
    a change to one with ``PUT /api/classrooms/{id}/lesson``)."""
    _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher)
    change = await _lesson_change(body, c)
    lesson = await asyncio.to_thread(c.rooms.update_lesson, lesson_id, **change)
    return _found(lesson, "lesson_id", "this lesson").json()


def check_instructions(text: str, settings: Settings) -> str:
    """A lesson's instructions within ``max_lesson_instructions_chars`` (422 naming the field)."""
    if len(text) > settings.max_lesson_instructions_chars:
        raise FieldError(
            "instructions",
            f"at most {settings.max_lesson_instructions_chars} characters "
            f"(max_lesson_instructions_chars); these have {len(text)}",
        )
    return text


async def _lesson_change(body: LessonPatch, c: Classrooms) -> dict[str, Any]:
    change: dict[str, Any] = {}
    if body.title is not None:
        change["title"] = body.title
    if body.instructions is not None:
        change["instructions"] = check_instructions(body.instructions, c.settings)
    if body.setup is not None:
        change["setup"] = await check_setup(body.setup, c)
    if body.locks is not None:
        change["locks"] = body.locks
    if "challenge" in body.model_fields_set:
        change["challenge"] = body.challenge.model_dump() if body.challenge else None
    if body.steps is not None:
        change["steps"] = await checked_steps(body.steps, lambda s: check_setup(s, c), c.settings)
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


@router.get(
    "/classrooms/{classroom_id}/leaderboard",
    response_model=LeaderboardOut,
    responses=SEAT
    | errors(403, notes={403: "No seat here (field ``seat``), or the board is not shown."}),
)
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


@router.get(
    "/classrooms/{classroom_id}/export.csv",
    response_class=CsvText,
    responses={
        **OWN_CLASSROOM,
        200: {
            "description": "The class as CSV, as an attachment.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
async def export_csv(room: OwnRoomDep, c: ClassroomsDep) -> CsvText:
    """The class as CSV: student, epochs, final losses, settings, challenge met."""
    text = await c.teaching.csv_text(room)
    return CsvText(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="classroom-{room.id}.csv"'},
    )


@router.get(
    "/classrooms/{classroom_id}/export.json",
    responses={**OWN_CLASSROOM, 200: {"model": ClassExport}},
)
async def export_json(room: OwnRoomDep, c: ClassroomsDep) -> JSONResponse:
    """The classroom, every student's session as an export, and their answers."""
    body = await c.teaching.sessions_json(room)
    body["answers"] = await c.activities.export_rows(room)  # issue 18 (app/web/routers/activity)
    return JSONResponse(
        body,
        headers={"Content-Disposition": f'attachment; filename="classroom-{room.id}.json"'},
    )


# ---- students --------------------------------------------------------------------------------


@router.post(
    "/join",
    responses={
        **errors(
            403,
            409,
            429,
            notes={
                403: "The teacher has locked the lobby (field ``code``).",
                409: "Someone in this classroom has this name (field ``name``).",
                429: "Too many wrong codes (``join_attempts_per_minute``) or joins at once "
                "(``join_tries_in_flight``) from this address (field ``code``).",
            },
        ),
        **errors(503),
        200: {"model": JoinOut},
    },
)
async def join(body: JoinIn, request: Request, c: ClassroomsDep) -> JSONResponse:
    """Join a classroom with its code and a display name (or your seat key, to take your seat
    on another device). Sets the seat's cookie; answers with the seat and, the first time,
    its rejoin key.

    Only wrong tries count against the address (``join_attempts_per_minute``), each reserved
    atomically once known to be wrong: at most that many are ever answered "wrong" in a minute
    (the rest 429), and an address over it waits, whatever code it types; a hall of students
    behind one NAT address typing the right code never adds to it, however many join at once.
    Tries under way at once from one address are bounded too (``join_tries_in_flight``,
    reserved before anything is awaited and given back at the end): a burst sent at once
    before the address is over its limit can test at most that many codes."""
    address = client_address(request)
    wrong_key, flight_key = "addr:" + address, "flight:" + address
    limit = c.settings.join_attempts_per_minute
    wait = await c.quotas.joins.reserve([(flight_key, c.settings.join_tries_in_flight)])
    if wait:
        raise FieldError(
            "code",
            "too many joins at once from this address; try again in a moment "
            "(join_tries_in_flight)",
            status_code=429,
            kind="limit",
        )
    too_many = FieldError(
        "code",
        "too many wrong codes; try again in a minute (join_attempts_per_minute)",
        status_code=429,
        kind="limit",
    )
    if await c.quotas.joins.count(wrong_key) >= limit:
        await c.quotas.joins.refund([flight_key])
        raise too_many
    wrong = True
    try:
        room = await asyncio.to_thread(c.rooms.classroom_by_code, normalise_code(body.code))
        if room is None:
            raise FieldError("code", "no open classroom has this code: check it with your teacher")
        name = clean_name(body.name)
        if not name:
            wrong = False
            raise FieldError("name", "type the name your teacher will see")
        if len(name) > MAX_NAME_LENGTH:
            wrong = False
            raise FieldError("name", f"must have at most {MAX_NAME_LENGTH} characters")
        taken = None
        if body.key:
            taken = await asyncio.to_thread(c.rooms.take_seat, room.id, name, body.key)
            if taken is None:
                raise FieldError("key", "this seat key does not match that name in this classroom")
        wrong = False
    except FieldError:
        if wrong and await c.quotas.joins.reserve([(wrong_key, limit)]):
            raise too_many from None  # over the limit: not even told this code is wrong
        raise
    finally:
        await c.quotas.joins.refund([flight_key])
    key = None
    if taken is not None:
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
    seat = _found(await asyncio.to_thread(c.rooms.seat, seat.id), "code", "your seat")
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


@router.get("/classrooms/{classroom_id}/me", response_model=MeOut, responses=SEAT | NEW_SESSION)
async def my_place(seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """The asking student's seat, session and what the lesson locks."""
    room, seat = seat_and_room
    if (
        seat.status == "active"
        and room.open
        and (seat.session_id is None or await c.registry_missing(seat.session_id))
    ):
        await c.teaching.give_session(room, seat)
        seat = _found(await asyncio.to_thread(c.rooms.seat, seat.id), "seat", "your seat")
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
            "instructions": room.instructions,
        },
        "controls": CONTROLS,
    }


@router.post(
    "/classrooms/{classroom_id}/me/session",
    response_model=NewSessionOut,
    responses=SEAT
    | CLOSED
    | NEW_SESSION
    | errors(
        403,
        notes={
            403: "No seat here (field ``seat``), not let in yet, or the lesson locks a "
            "control this setup changes (field: the control)."
        },
    ),
)
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
    await c.activities.check_thawed(room, seat)  # not while a network question is open
    session_id = await c.teaching.change_setup(room, seat, setup)
    return {"session_id": session_id}


def install(app: Any) -> None:
    """Make the classroom's shared objects and its routes part of ``app``."""
    app.state.classrooms = Classrooms(app)
    app.include_router(router)
