"""The lesson library's REST API (issue 18): duplicate, delete, export and import a lesson as one
JSON file, share it by a link that gives another teacher a copy, and the starter activities.
The logic is ``app.classroom.library``; who may do what follows the classroom's rules (a
teacher reads and changes only their own lessons; a share link is the one way to another's).
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from app.classroom.library import (
    LessonFile,
    Library,
    check_questions,
    content_of_file,
    file_of,
    starter_listing,
    starters,
)
from app.classroom.schemas import LessonOut
from app.classroom.steps import checked_steps
from app.errors import FieldError
from app.web.contract import TEACHER, errors
from app.web.routers.classroom import LOOPBACK_HOSTS
from app.web.routers.classroom_deps import Classrooms, ClassroomsDep, TeacherDep, check_setup
from app.web.routers.classroom_pages import _login_redirect, _page
from app.web.routers.lessons import _lesson_or_404, check_instructions

router = APIRouter(prefix="/api", tags=["library"])

LESSON = TEACHER | errors(404, notes={404: "No such lesson of yours (field ``lesson_id``)."})
SHARED = TEACHER | errors(
    404, notes={404: "The share link does not work: revoked, expired or mistyped (``token``)."}
)
STARTER = TEACHER | errors(404, notes={404: "No such starter activity (field ``slug``)."})
LIMIT = errors(429, notes={429: "You keep ``max_lessons_per_teacher`` lessons (``lesson``)."})


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ShareOut(Open):
    url: str = Field(description="The page another teacher opens (logged in) to get a copy.")
    token: str = Field(description="The link's secret; shown only now.")
    expires_at: str
    links: int = Field(description="Share links of this lesson that work now.")


class LinksOut(Open):
    links: int = Field(description="Share links of this lesson that work now.")


class RevokedOut(Open):
    revoked: int = Field(description="Share links that stopped working.")


class SharedOut(Open):
    title: str
    instructions: str
    steps: int
    questions: int


class StarterOut(Open):
    slug: str
    title: str
    summary: str
    steps: int
    questions: int


class StartersOut(Open):
    starters: list[StarterOut]


def get_library(request: Request, c: ClassroomsDep) -> Library:
    state = request.app.state
    if getattr(state, "library", None) is None:
        state.library = Library(c.rooms.store, c.rooms, c.settings)
    return state.library


LibraryDep = Annotated[Library, Depends(get_library)]


async def own_lesson(lesson_id: str, teacher: TeacherDep, c: ClassroomsDep):
    return _lesson_or_404(await asyncio.to_thread(c.rooms.lesson, lesson_id), teacher)


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


# ---- share links ---------------------------------------------------------------------------


def share_url(request: Request, token: str) -> str:
    """The share page's address as others reach it (the join URL's rule: ``public_url`` when
    this request came over a loopback address)."""
    base = str(request.base_url).rstrip("/")
    public = request.app.state.settings.public_url
    if public and request.url.hostname in LOOPBACK_HOSTS:
        base = public.rstrip("/")
    return f"{base}/teach/shared/{token}"


@router.get(
    "/lessons/shared/{token}",
    response_model=SharedOut,
    responses=SHARED,
)
async def shared_lesson(token: str, teacher: TeacherDep, lib: LibraryDep) -> dict:
    """What a share link gives (before you take a copy)."""
    lesson = await asyncio.to_thread(lib.shared, token)
    content = await asyncio.to_thread(lib.content, lesson.id) or {}
    steps = content.get("steps") or []
    return {
        "title": lesson.title,
        "instructions": lesson.instructions,
        "steps": len(steps),
        "questions": sum(1 for s in steps if isinstance(s, dict) and s.get("question")),
    }


@router.post(
    "/lessons/shared/{token}",
    status_code=201,
    response_model=LessonOut,
    responses=SHARED | LIMIT,
)
async def copy_shared_lesson(token: str, teacher: TeacherDep, lib: LibraryDep) -> dict:
    """Your own copy of the lesson a share link names (its title unchanged)."""
    lesson = await asyncio.to_thread(lib.shared, token)
    content = await asyncio.to_thread(lib.content, lesson.id)
    if content is None:
        raise FieldError("token", "the shared lesson is gone", status_code=404)
    return (await asyncio.to_thread(lib.add, teacher.id, content)).json()


@router.post(
    "/lessons/{lesson_id}/share",
    status_code=201,
    response_model=ShareOut,
    responses=LESSON
    | errors(429, notes={429: "The lesson has ``max_lesson_share_links`` links (``lesson_id``)."}),
)
async def share_lesson(
    lesson_id: str, request: Request, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> dict[str, Any]:
    """A new share link: another teacher who opens it (logged in) gets their own copy. It
    works for ``lesson_share_days`` days or until you revoke the lesson's links."""
    await own_lesson(lesson_id, teacher, c)
    token, expires = await asyncio.to_thread(lib.share, lesson_id)
    return {
        "url": share_url(request, token),
        "token": token,
        "expires_at": expires.isoformat(),
        "links": await asyncio.to_thread(lib.links, lesson_id),
    }


@router.get("/lessons/{lesson_id}/share", response_model=LinksOut, responses=LESSON)
async def share_links(
    lesson_id: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> dict:
    await own_lesson(lesson_id, teacher, c)
    return {"links": await asyncio.to_thread(lib.links, lesson_id)}


@router.delete("/lessons/{lesson_id}/share", response_model=RevokedOut, responses=LESSON)
async def revoke_share_links(
    lesson_id: str, teacher: TeacherDep, c: ClassroomsDep, lib: LibraryDep
) -> dict:
    """Every share link of the lesson stops working (copies already taken stay)."""
    await own_lesson(lesson_id, teacher, c)
    return {"revoked": await asyncio.to_thread(lib.revoke, lesson_id)}


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


# ---- the share link's page -----------------------------------------------------------------

pages = APIRouter(include_in_schema=False)


@pages.get("/teach/shared/{token}", response_class=HTMLResponse)
async def shared_page(token: str, request: Request) -> Response:
    """A share link opened: logged out, the login comes first and brings the teacher back; the
    page shows what the link gives and copies it on the teacher's confirm."""
    c = request.app.state.classrooms
    teacher = await c.gate.teacher(request)
    if teacher is None:
        return _login_redirect(request)
    return _page(request, "teach_shared.html", {"teacher": {"name": teacher.name}, "token": token})
