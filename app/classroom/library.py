"""A teacher's lesson library (issue 18): duplicate a lesson, export it as one JSON file and
import such a file, share it by a link that gives another teacher a copy, delete it, and the
starter activities that ship with the playground (``app/classroom/starters/*.json``, files of
the export's own format).

A lesson file is ``{"format": FORMAT, "version": FORMAT_VERSION, "lesson": {...}}``; its
``lesson`` is read strictly (``LessonFileBody``: unknown fields, NaN and Infinity are errors,
every step a ``StepIn``), so a bad file is a 422 naming the field (``lesson.steps[2].question
.kind``). A network question must name a quantity that exists in its step's network
(``engine.questions.Quantity.check``): "δ_j of hidden unit 3" of a 2-2-1 network is refused
when the file is imported, not when a student answers.

Share links carry a 256-bit token; the store keeps its SHA-256 only (``lesson_shares``,
migration ``0006_h18lib``). Each works for ``lesson_share_days``; revoking deletes them all.

Every method is synchronous (the router calls them in a thread) and raises ``FieldError``
naming the field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy import delete, func, insert, select, update

from app.classroom.activity import NetworkQuestion, StepIn, Strict
from app.classroom.controls import check_locks
from app.classroom.rooms import Lesson, Rooms
from app.classroom.schemas import Challenge
from app.classroom.tokens import digest, new_id, new_token
from app.errors import FieldError
from app.schemas import SessionCreate
from app.settings import Settings
from app.store import Store
from app.store.models import classrooms, lesson_shares, lessons

FORMAT = "backprop-playground/lesson"
FORMAT_VERSION = 1
COPY_SUFFIX = " (copy)"
TITLE_MAX = 200
# the row's own columns, never copied from one lesson to another
OWN_COLUMNS = frozenset({"id", "teacher_id", "created_at", "updated_at"})
# what a file's lesson holds (and the order the export writes it in)
FILE_FIELDS = ("title", "instructions", "setup", "locks", "challenge", "steps")


class LessonFileBody(Strict):
    """A lesson as a file carries it: what ``POST /api/lessons`` takes, plus its steps."""

    title: str = Field(min_length=1, max_length=TITLE_MAX)
    instructions: str = Field("", description="Markdown the students read; math as $…$.")
    setup: SessionCreate = Field(default_factory=SessionCreate)
    locks: list[str] = Field(default_factory=list)
    challenge: Challenge | None = None
    steps: list[StepIn] = Field(default_factory=list, description="The activity's steps.")

    @field_validator("locks")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return check_locks(v)


class LessonFile(Strict):
    """One exported lesson (``GET /api/lessons/{id}/export``); ``POST /api/lessons/import``
    takes it back. ``exported_at`` and ``summary`` are informative."""

    format: Literal["backprop-playground/lesson"] = Field(description=f"Always {FORMAT!r}.")
    version: Literal[1] = Field(description="The file format's version (1).")
    exported_at: str | None = Field(None, max_length=64)
    summary: str = Field("", max_length=2000, description="One line for a library listing.")
    lesson: LessonFileBody


# ---- what a lesson's content is ------------------------------------------------------------


def content_of_row(row: Any) -> dict[str, Any]:
    """A lesson row's content: every column but its own id, owner and times — so a column a
    later migration adds (the steps) travels with a copy without this module naming it."""
    return {k: v for k, v in row._mapping.items() if k not in OWN_COLUMNS}


def file_of(content: dict[str, Any], summary: str = "") -> dict[str, Any]:
    """The export file of a lesson's content."""
    body = {k: content.get(k) for k in FILE_FIELDS}
    body["instructions"] = body["instructions"] or ""
    body["locks"] = list(body["locks"] or [])
    body["steps"] = list(body["steps"] or [])
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": datetime.now(UTC).isoformat(),
        "summary": summary,
        "lesson": body,
    }


def content_of_file(parsed: LessonFile) -> dict[str, Any]:
    """The columns a new lesson gets from a validated file (before the router checks its
    setups: ``app.classroom.steps.checked_steps``)."""
    body = parsed.lesson
    return {
        "title": body.title,
        "instructions": body.instructions,
        "setup": body.setup.model_dump(exclude={"state"}, exclude_none=True),
        "locks": body.locks,
        "challenge": body.challenge.model_dump() if body.challenge else None,
        "steps": [s.model_dump(mode="json") for s in body.steps],
    }


def check_questions(parsed: LessonFileBody, settings: Settings) -> None:
    """Every network question's quantity exists in the network its step runs on (the step's
    own setup, else the one before it, else the lesson's), and its sample in that data set:
    422 naming ``lesson.steps[n].question.quantity.<part>`` otherwise."""
    from app.trainer.build import build  # the trainer's own builder: the same shapes
    from engine.errors import SpecError
    from engine.questions import Quantity

    current, built = parsed.setup, None
    for n, step in enumerate(parsed.steps):
        if step.setup is not None:
            current, built = step.setup, None
        q = step.question
        if not isinstance(q, NetworkQuestion):
            continue
        built = built or build(current, settings)
        field = f"lesson.steps[{n}].question.quantity"
        try:
            Quantity(**q.quantity.model_dump()).check(built.spec, field)
        except SpecError as exc:
            raise FieldError(exc.field, exc.message) from None
        samples = built.dataset.X_train.shape[0]
        if q.sample is not None and q.sample >= samples:
            raise FieldError(
                f"lesson.steps[{n}].question.sample",
                f"the training set has samples 0 to {samples - 1} (got {q.sample})",
            )


def copy_title(title: str) -> str:
    return title[: TITLE_MAX - len(COPY_SUFFIX)] + COPY_SUFFIX


# ---- the starter activities ----------------------------------------------------------------


STARTERS_PACKAGE = "app.classroom.starters"


@cache
def starters() -> dict[str, LessonFile]:
    """The starter activities by slug (the file's name without ``.json``), validated."""
    out: dict[str, LessonFile] = {}
    folder = resources.files(STARTERS_PACKAGE)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            out[item.name.removesuffix(".json")] = LessonFile.model_validate(
                json.loads(item.read_text(encoding="utf-8"))
            )
    return out


def starter_listing() -> list[dict[str, Any]]:
    return [
        {
            "slug": slug,
            "title": f.lesson.title,
            "summary": f.summary,
            "steps": len(f.lesson.steps),
            "questions": sum(1 for s in f.lesson.steps if s.question is not None),
        }
        for slug, f in starters().items()
    ]


# ---- the store -----------------------------------------------------------------------------


class Library:
    def __init__(self, store: Store, rooms: Rooms, settings: Settings) -> None:
        self.store = store
        self.rooms = rooms
        self.settings = settings

    def content(self, lesson_id: str) -> dict[str, Any] | None:
        with self.store.reading() as conn:
            row = conn.execute(select(lessons).where(lessons.c.id == lesson_id)).first()
        return content_of_row(row) if row else None

    def add(self, teacher_id: str, content: dict[str, Any]) -> Lesson:
        """A new lesson of ``teacher_id`` with ``content`` (within ``max_lessons_per_teacher``);
        any further column a copied row carries (one a later migration adds) is copied too."""
        made = self.rooms.create_lesson(
            teacher_id,
            content["title"],
            content["setup"],
            list(content.get("locks") or []),
            content.get("challenge"),
            content.get("instructions") or "",
            steps=list(content.get("steps") or []),
        )
        extra = {
            k: v
            for k, v in content.items()
            if k in lessons.c and k not in OWN_COLUMNS and k not in FILE_FIELDS
        }
        if not extra:
            return made
        with self.store.transaction() as conn:
            conn.execute(update(lessons).where(lessons.c.id == made.id).values(**extra))
        return self.rooms.lesson(made.id) or made

    def duplicate(self, teacher_id: str, lesson_id: str) -> Lesson:
        content = self.content(lesson_id)
        if content is None:
            raise FieldError("lesson_id", "this lesson is gone", status_code=404)
        return self.add(teacher_id, {**content, "title": copy_title(content["title"])})

    def delete(self, lesson_id: str) -> None:
        """Delete a lesson and its share links; classrooms taught from it keep their own copy
        (their ``lesson_id`` becomes null)."""
        with self.store.transaction() as conn:
            conn.execute(
                update(classrooms).where(classrooms.c.lesson_id == lesson_id).values(lesson_id=None)
            )
            conn.execute(delete(lesson_shares).where(lesson_shares.c.lesson_id == lesson_id))
            conn.execute(delete(lessons).where(lessons.c.id == lesson_id))

    # ---- share links -------------------------------------------------------------------------

    def share(self, lesson_id: str) -> tuple[str, datetime]:
        """A new share link's token (shown once) and when it stops working."""
        now = datetime.now(UTC)
        expires = now + timedelta(days=self.settings.lesson_share_days)
        token = new_token()
        with self.store.transaction() as conn:
            conn.execute(delete(lesson_shares).where(lesson_shares.c.expires_at <= now))
            live = conn.execute(
                select(func.count())
                .select_from(lesson_shares)
                .where(lesson_shares.c.lesson_id == lesson_id)
            ).scalar_one()
            if live >= self.settings.max_lesson_share_links:
                raise FieldError(
                    "lesson_id",
                    f"this lesson has {live} share links that work "
                    f"(max_lesson_share_links); revoke them first",
                    status_code=429,
                    kind="limit",
                )
            conn.execute(
                insert(lesson_shares).values(
                    id=new_id(),
                    lesson_id=lesson_id,
                    token_hash=digest(token),
                    created_at=now,
                    expires_at=expires,
                )
            )
        return token, expires

    def links(self, lesson_id: str) -> int:
        """How many of the lesson's share links work now."""
        with self.store.reading() as conn:
            return conn.execute(
                select(func.count())
                .select_from(lesson_shares)
                .where(
                    lesson_shares.c.lesson_id == lesson_id,
                    lesson_shares.c.expires_at > datetime.now(UTC),
                )
            ).scalar_one()

    def revoke(self, lesson_id: str) -> int:
        """Every share link of the lesson stops working; returns how many did."""
        with self.store.transaction() as conn:
            done = conn.execute(delete(lesson_shares).where(lesson_shares.c.lesson_id == lesson_id))
        return int(done.rowcount or 0)

    def shared(self, token: str) -> Lesson:
        """The lesson a working share link names, or 404 naming ``token``."""
        with self.store.reading() as conn:
            row = conn.execute(
                select(lesson_shares.c.lesson_id).where(
                    lesson_shares.c.token_hash == digest(token),
                    lesson_shares.c.expires_at > datetime.now(UTC),
                )
            ).first()
        lesson = self.rooms.lesson(row.lesson_id) if row else None
        if lesson is None:
            raise FieldError(
                "token", "this share link does not work (revoked, expired or mistyped)", 404
            )
        return lesson
