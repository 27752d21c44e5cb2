"""What the lesson library's routes share (issue 18): the ``Library`` of the app (made on first
use), the check that a lesson is the teacher's own, the answers several routes document, and
the open base of their response models."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict

from app.classroom.library import Library
from app.web.contract import TEACHER, errors
from app.web.routers.classroom_deps import ClassroomsDep, TeacherDep
from app.web.routers.lessons import _lesson_or_404

LESSON = TEACHER | errors(404, notes={404: "No such lesson of yours (field ``lesson_id``)."})
LIMIT = errors(429, notes={429: "You keep ``max_lessons_per_teacher`` lessons (``lesson``)."})


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


def get_library(request: Request, c: ClassroomsDep) -> Library:
    state = request.app.state
    if getattr(state, "library", None) is None:
        state.library = Library(c.rooms.store, c.rooms, c.settings)
    return state.library


LibraryDep = Annotated[Library, Depends(get_library)]


async def own_lesson(lesson_id: str, teacher: TeacherDep, c: ClassroomsDep):
    return _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher)
