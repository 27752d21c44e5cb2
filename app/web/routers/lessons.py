"""A teacher's lessons (``/api/lessons``): a session setup, the locked controls, an optional
challenge, instructions and steps; each setup checked by a trainer before it is kept
(docs/contract.md, "Classroom")."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from app.classroom.accounts import Teacher
from app.classroom.controls import CONTROLS
from app.classroom.schemas import LessonIn, LessonOut, LessonPatch, LessonsOut
from app.classroom.steps import checked_steps
from app.errors import FieldError
from app.settings import Settings
from app.web.contract import TEACHER, errors
from app.web.routers.classroom_deps import (
    Classrooms,
    ClassroomsDep,
    TeacherDep,
    _found,
    check_setup,
)

router = APIRouter(prefix="/api", tags=["classroom"])

LESSON = errors(404, notes={404: "No such lesson of yours (field ``lesson_id``)."})


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
