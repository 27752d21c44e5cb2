"""What a class has done: the challenge's leaderboard (the teacher's, and the students' when it
is shown) and the teacher's exports of the class, as CSV and as JSON (docs/contract.md,
"Classroom")."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.classroom.schemas import ClassExport, LeaderboardOut
from app.errors import FieldError
from app.web.contract import OWN_CLASSROOM, SEAT, errors
from app.web.routers.classroom_deps import ClassroomsDep, CsvText, OwnRoomDep, my_seat

router = APIRouter(prefix="/api", tags=["classroom"])


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
