"""The activity API (issue 18, docs/activities.md): the teacher opens steps and reveals
answers, reads the results and exports the answers; a student reads their activity and
answers the open step's question. The logic is ``app.classroom.answers``; who may call what is
decided as for the rest of the classroom (``own_classroom``: the room's teacher; ``my_seat``:
the seat's cookie).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.classroom.activity import (
    ActivityOut,
    AnswerIn,
    AnswerOut,
    AnswersOut,
    MoveIn,
    OpenStepIn,
    PacingOut,
    ResultsOut,
    SnapshotsIn,
    SnapshotsOut,
)
from app.classroom.answers import Activities
from app.classroom.snapshots import Snapshots
from app.store.answers import Answers
from app.store.snapshots import KeptSnapshots
from app.web.contract import OWN_CLASSROOM, SEAT, errors
from app.web.routers.classroom_deps import ClassroomsDep, CsvText, OwnRoomDep, SeatDep

router = APIRouter(prefix="/api", tags=["activity"])

STEP = errors(
    404, 409, notes={404: "No such step (field ``step``).", 409: "Closed, or not opened yet."}
)
ANSWER = errors(
    403,
    409,
    notes={
        403: "No seat here (field ``seat``), or the step is not open to you (field ``step``).",
        409: "No attempts left, or revealed already (field ``answer``); the classroom is "
        "closed (field ``classroom_id``).",
    },
)


def activities(c: Any) -> Activities:
    return c.activities


@router.post(
    "/classrooms/{classroom_id}/steps/open",
    response_model=PacingOut,
    responses=OWN_CLASSROOM | errors(409, 503),
)
async def open_step(body: OpenStepIn, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Open step ``step``: ``class`` moves every student there (the step's setup becomes their
    session, its locks hold; a network question hides its quantity and freezes the network);
    ``self`` lets each student go up to it (``POST …/me/step``)."""
    return await activities(c).open_step(room, body.step, body.mode)


@router.post(
    "/classrooms/{classroom_id}/steps/{step}/reveal",
    response_model=PacingOut,
    responses=OWN_CLASSROOM | STEP,
)
async def reveal(step: int, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """The correct answer and explanation reach everyone; hidden fields come back, frozen
    networks thaw."""
    return await activities(c).reveal(room, step)


@router.get(
    "/classrooms/{classroom_id}/steps/{step}/results",
    response_model=ResultsOut,
    responses=OWN_CLASSROOM | STEP,
)
async def results(step: int, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """Who answered, right/wrong counts, the distribution, texts, times, one row per seat."""
    return await activities(c).results(room, step)


@router.get(
    "/classrooms/{classroom_id}/answers.csv",
    response_class=CsvText,
    responses={
        **OWN_CLASSROOM,
        200: {
            "description": "One row per student per step, as an attachment.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
    },
)
async def answers_csv(room: OwnRoomDep, c: ClassroomsDep) -> CsvText:
    text = await activities(c).csv_text(room)
    return CsvText(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="answers-{room.id}.csv"'},
    )


@router.get(
    "/classrooms/{classroom_id}/answers.json",
    responses={**OWN_CLASSROOM, 200: {"model": AnswersOut}},
)
async def answers_json(room: OwnRoomDep, c: ClassroomsDep) -> JSONResponse:
    return JSONResponse(
        {"answers": await activities(c).export_rows(room)},
        headers={"Content-Disposition": f'attachment; filename="answers-{room.id}.json"'},
    )


@router.post(
    "/classrooms/{classroom_id}/snapshots",
    response_model=SnapshotsOut,
    responses=OWN_CLASSROOM | errors(409, 503),
)
async def take_snapshots(body: SnapshotsIn, room: OwnRoomDep, c: ClassroomsDep) -> dict:
    """2–6 students' networks now, labelled A, B, … without names, to project side by side
    (kept until cleared; ``GET`` reads them again)."""
    return {"snapshots": await c.snapshots.take(room, body.seats)}


@router.get(
    "/classrooms/{classroom_id}/snapshots", response_model=SnapshotsOut, responses=OWN_CLASSROOM
)
async def snapshots(room: OwnRoomDep, c: ClassroomsDep) -> dict:
    return {"snapshots": await c.snapshots.shown(room)}


@router.delete(
    "/classrooms/{classroom_id}/snapshots", response_model=SnapshotsOut, responses=OWN_CLASSROOM
)
async def clear_snapshots(room: OwnRoomDep, c: ClassroomsDep) -> dict:
    await c.snapshots.clear(room)
    return {"snapshots": []}


# ---- students ------------------------------------------------------------------------------


@router.get("/classrooms/{classroom_id}/activity", response_model=ActivityOut, responses=SEAT)
async def my_activity(seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """The steps up to the open one, the student's own answers, no correct answer before
    the reveal."""
    room, seat = seat_and_room
    return await activities(c).view(room, seat)


@router.post(
    "/classrooms/{classroom_id}/steps/{step}/answer",
    response_model=AnswerOut,
    responses=SEAT | ANSWER | errors(503),
)
async def answer(step: int, body: AnswerIn, seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """Answer the open step's question (a decimal comma is fine); checked at once (a network
    question on your own network, where it lives) and recorded before the reply."""
    room, seat = seat_and_room
    return await activities(c).answer(room, seat, step, body)


@router.post(
    "/classrooms/{classroom_id}/me/step",
    response_model=ActivityOut,
    responses=SEAT
    | errors(429, 503, notes={429: "The server holds its limit of sessions (field ``session``)."}),
)
async def move(body: MoveIn, seat_and_room: SeatDep, c: ClassroomsDep) -> dict:
    """Self-paced: go to step ``step`` (at most the open one)."""
    room, seat = seat_and_room
    return await activities(c).move(room, seat, body.step)


def install(app: Any) -> None:
    """The activity routes, on the classroom's shared objects (``app.state.classrooms`` first)."""
    c = app.state.classrooms
    c.activities = Activities(
        c.rooms, c.teaching, Answers(app.state.store), app.state.hub, c.settings
    )
    c.teaching.on_new_session = c.activities.on_new_session
    c.snapshots = Snapshots(c.rooms, c.teaching, KeptSnapshots(app.state.store), c.settings)
    app.include_router(router)


async def answers_of(c: Any, room: Any) -> list[dict[str, Any]]:
    """The classroom's answers for its JSON export."""
    return await activities(c).export_rows(room)
