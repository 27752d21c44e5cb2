"""One lesson of yours in the library (issue 18): duplicate it, delete it, export it as one
JSON file and import such a file (read strictly, checked as ``POST /api/lessons`` checks a
lesson: ``_checked``, which the starters use too)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from app.classroom.library import LessonFile, check_questions, content_of_file, file_of
from app.classroom.schemas import LessonOut
from app.classroom.steps import checked_steps
from app.errors import FieldError
from app.web.contract import TEACHER, errors
from app.web.routers.classroom_deps import Classrooms, ClassroomsDep, TeacherDep, check_setup
from app.web.routers.lessons import check_instructions
from app.web.routers.library_deps import LESSON, LIMIT, LibraryDep, own_lesson

router = APIRouter(prefix="/api", tags=["library"])


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")[:60] or "lesson"


# ---- one lesson of yours -------------------------------------------------------------------


@router.post(
    "/lessons/{lesson_id}/duplicate",
    status_code=201,
    response_model=LessonOut,
    responses=LESSON | LIMIT,
)
async def duplicate_lesson(
    lesson_id: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> dict:
    """A copy of your lesson (steps and all), titled "… (copy)"."""
    await own_lesson(lesson_id, teacher, c)
    return (await asyncio.to_thread(lib.duplicate, teacher.id, lesson_id)).json()


@router.delete("/lessons/{lesson_id}", status_code=204, responses=LESSON)
async def delete_lesson(
    lesson_id: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> Response:
    """Delete your lesson and its share links. Classrooms taught from it keep their copy."""
    await own_lesson(lesson_id, teacher, c)
    await asyncio.to_thread(lib.delete, lesson_id)
    return Response(status_code=204)


@router.get(
    "/lessons/{lesson_id}/export",
    response_model=LessonFile,
    responses=LESSON,
)
async def export_lesson(
    lesson_id: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> JSONResponse:
    """Your lesson as one JSON file (a download): format, version, and the lesson with its
    steps. ``POST /api/lessons/import`` takes it back."""
    lesson = await own_lesson(lesson_id, teacher, c)
    content = await asyncio.to_thread(lib.content, lesson.id)
    if content is None:
        raise FieldError("lesson_id", "this lesson is gone", status_code=404)
    name = f"lesson-{_slug(lesson.title)}.json"
    return JSONResponse(
        file_of(content), headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _in_file(field: str) -> str:
    """A field the lesson routes name (``steps.2.setup.network``) as the file's
    (``lesson.steps[2].setup.network``)."""
    return "lesson." + re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", field)


async def _checked(parsed: LessonFile, c: Classrooms) -> dict[str, Any]:
    """The new lesson's columns from a lesson file, checked as ``POST /api/lessons`` checks a
    lesson (the instructions' limit, every setup built by a trainer, ``max_activity_steps``),
    and every network question's quantity in its step's network. Errors name the file's
    field (``lesson.steps[1].setup.network...``)."""
    body = parsed.lesson
    content = content_of_file(parsed)
    try:
        check_instructions(body.instructions, c.settings)
        content["setup"] = await check_setup(body.setup, c)
        content["steps"] = await checked_steps(body.steps, lambda s: check_setup(s, c), c.settings)
    except FieldError as exc:
        raise FieldError(_in_file(exc.field), exc.message, exc.status_code, exc.kind) from None
    await asyncio.to_thread(check_questions, body, c.settings)
    return content


@router.post(
    "/lessons/import",
    status_code=201,
    response_model=LessonOut,
    responses=TEACHER | LIMIT | errors(503),
)
async def import_lesson(
    body: LessonFile, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> dict:
    """A new lesson of yours from an exported file (the file's JSON as the body). The file is
    read strictly: a 422 names the first field it breaks."""
    content = await _checked(body, c)
    return (await asyncio.to_thread(lib.add, teacher.id, content)).json()
