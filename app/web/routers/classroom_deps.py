"""The classroom API's shared parts: the objects its routes share (``Classrooms``, made once
per app), the dependencies that find the asking teacher, their classroom and a student's seat,
a lesson setup's check, the cookies, and the answers several of its routes give. The routes
are by job: teachers' logins (``auth``), lessons (``lessons``), the teacher's classrooms
(``classroom``), leaderboard and exports (``classroom_results``), the student's seat
(``student``); pages are in ``classroom_pages``; who may do what to a session is decided in
``app.classroom.access`` (docs/contract.md, "Classroom").
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from fastapi.responses import PlainTextResponse

from app import limits
from app.classroom.access import Gate, seat_cookie
from app.classroom.accounts import Accounts, Teacher
from app.classroom.rooms import Classroom, Rooms, Seat
from app.classroom.teaching import Teaching
from app.commands import CheckSetup
from app.errors import FieldError
from app.schemas import SessionCreate
from app.seam.base import TrainerLost, Trainers
from app.settings import Settings
from app.web.contract import errors
from engine import SpecError

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


_T = TypeVar("_T")


def _found(value: _T | None, field: str, what: str) -> _T:
    """``value`` read back after a write; None means the row went away meanwhile: 404."""
    if value is None:
        raise FieldError(field, f"{what} is gone", status_code=404)
    return value
