"""The starter activities (issue 18): the activities that ship with the playground, listed,
and copied into a teacher's lessons (checked as an imported lesson file is)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter

from app.classroom.library import starter_listing, starters
from app.classroom.schemas import LessonOut
from app.errors import FieldError
from app.web.contract import TEACHER, errors
from app.web.routers.classroom_deps import ClassroomsDep, TeacherDep
from app.web.routers.library_deps import LIMIT, LibraryDep, Open
from app.web.routers.library_lessons import _checked

router = APIRouter(prefix="/api", tags=["library"])

STARTER = TEACHER | errors(404, notes={404: "No such starter activity (field ``slug``)."})


class StarterOut(Open):
    slug: str
    title: str
    summary: str
    steps: int
    questions: int


class StartersOut(Open):
    starters: list[StarterOut]


# ---- starter activities --------------------------------------------------------------------


@router.get("/starters", response_model=StartersOut, responses=TEACHER)
async def list_starters(teacher: TeacherDep) -> dict:
    """The activities that ship with the playground; "use this" copies one into your lessons."""
    return {"starters": starter_listing()}


@router.post(
    "/starters/{slug}",
    status_code=201,
    response_model=LessonOut,
    responses=STARTER | LIMIT | errors(503),
)
async def use_starter(slug: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep) -> dict:
    """Your own copy of a starter activity, to run or change."""
    found = starters().get(slug)
    if found is None:
        raise FieldError("slug", f"no starter activity {slug!r}", status_code=404)
    content = await _checked(found, c)
    return (await asyncio.to_thread(lib.add, teacher.id, content)).json()
