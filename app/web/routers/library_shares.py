"""Share links of a lesson (issue 18): a link that gives another teacher (logged in) their own
copy — made, counted and revoked by the lesson's teacher, read and taken by the other — and the
page such a link opens."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from app.classroom.schemas import LessonOut
from app.errors import FieldError
from app.web.contract import TEACHER, errors
from app.web.routers.classroom import LOOPBACK_HOSTS
from app.web.routers.classroom_deps import ClassroomsDep, TeacherDep
from app.web.routers.classroom_pages import _login_redirect, _page
from app.web.routers.library_deps import LESSON, LIMIT, LibraryDep, Open, own_lesson

router = APIRouter(prefix="/api", tags=["library"])

SHARED = TEACHER | errors(
    404, notes={404: "The share link does not work: revoked, expired or mistyped (``token``)."}
)


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
