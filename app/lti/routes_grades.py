"""``GET|POST /api/lti/classrooms/{id}/grades``: an LTI classroom's scores and where posting
each stands; post them ("post grades").
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from app.errors import FieldError
from app.lti.routes_common import lti_of
from app.web.contract import OWN_CLASSROOM
from app.web.routers.classroom_deps import OwnRoomDep

api = APIRouter(prefix="/api/lti", tags=["lti"])


# ---- grades -------------------------------------------------------------------------------------


async def _link_of(request: Request, room_id: str):
    link = await asyncio.to_thread(lti_of(request).links.link_of_classroom, room_id)
    if link is None:
        raise FieldError(
            "classroom_id", "this classroom is not linked to an LMS course", status_code=404
        )
    return link


async def _grades(request: Request, room_id: str) -> dict[str, Any]:
    lti = lti_of(request)
    link = await _link_of(request, room_id)
    learners = await asyncio.to_thread(lti.links.learners, link)
    book = await asyncio.to_thread(lti.grades.of_link, link.id)
    rows = []
    for user, seat in learners:
        grade = book.get(user.id) or {"status": "not scored", "score": None, "error": None}
        rows.append({"seat_id": seat.id, "name": seat.name, **grade})
    return {
        "classroom_id": room_id,
        "linked": True,
        "lineitem_url": link.lineitem_url,
        "grades": rows,
    }


@api.get("/classrooms/{classroom_id}/grades", responses=OWN_CLASSROOM)
async def grades(request: Request, room: OwnRoomDep) -> dict[str, Any]:
    """Each LMS learner's score (1: challenge met, 0: not) and its posting: ``pending``,
    ``posted`` or ``failed`` with the reason. A classroom not linked to an LMS course has
    none (``linked`` false)."""
    linked = await asyncio.to_thread(lti_of(request).links.link_of_classroom, room.id)
    if linked is None:
        return {"classroom_id": room.id, "linked": False, "lineitem_url": None, "grades": []}
    return await _grades(request, room.id)


@api.post("/classrooms/{classroom_id}/grades", responses=OWN_CLASSROOM)
async def post_grades(request: Request, room: OwnRoomDep) -> dict[str, Any]:
    """Post grades: every learner's score recorded and posted now (a score already posted
    is not sent again)."""
    lti = lti_of(request)
    link = await _link_of(request, room.id)
    changed = await lti.post_grades(link)
    await lti.post_due()
    return {**(await _grades(request, room.id)), "changed": changed}
