"""The lesson library's REST API (issue 18): duplicate, delete, export and import a lesson as one
JSON file, share it by a link that gives another teacher a copy, and the starter activities.
The logic is ``app.classroom.library``; who may do what follows the classroom's rules (a
teacher reads and changes only their own lessons; a share link is the one way to another's).

The routes, in this order (the order they match in): one lesson of yours
(``library_lessons``), share links and their page (``library_shares``), the starter activities
(``library_starters``); what they share is ``library_deps``.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.web.routers import library_lessons, library_shares, library_starters

router = APIRouter()
for part in (library_lessons, library_shares, library_starters):
    router.include_router(part.router)

pages = library_shares.pages  # the share link's page
