"""Lessons, classrooms and seats in the store: plain rows in, plain dataclasses out.

Nothing here touches a training session; ``teaching`` does, with what these return. Every
method is synchronous (the routers call them in a thread) and raises ``FieldError`` naming the
field for a request that cannot be met (a name taken, a full room, a limit).

This module holds the lessons and classrooms; the seats' methods are ``app.classroom.seating``
(mixed into ``Rooms``), the records they return ``app.classroom.records`` (re-exported here).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.records import Classroom, Lesson, Seat, SeatOwner, _make
from app.classroom.seating import Seating
from app.classroom.steps import with_first_setup
from app.classroom.tokens import new_code, new_id
from app.errors import FieldError
from app.settings import Settings
from app.store import Store
from app.store.models import classrooms, lessons

__all__ = ["Classroom", "Lesson", "Rooms", "Seat", "SeatOwner"]

CODE_TRIES = 50


class Rooms(Seating):
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    # ---- lessons -----------------------------------------------------------------------------

    def create_lesson(
        self,
        teacher_id: str,
        title: str,
        setup: dict[str, Any],
        locks: list[str],
        challenge: dict[str, Any] | None,
        instructions: str = "",
        steps: list[dict[str, Any]] | None = None,
    ) -> Lesson:
        now = datetime.now(UTC)
        lesson = Lesson(
            new_id(), teacher_id, title, setup, locks, challenge, now, now, instructions,
            steps or [],
        )  # fmt: skip
        with self.store.transaction() as conn:
            count = conn.execute(
                select(func.count()).select_from(lessons).where(lessons.c.teacher_id == teacher_id)
            ).scalar_one()
            if count >= self.settings.max_lessons_per_teacher:
                raise FieldError(
                    "lesson",
                    f"you keep the limit of {self.settings.max_lessons_per_teacher} lessons "
                    "(max_lessons_per_teacher); delete one first",
                    429,
                )
            conn.execute(insert(lessons).values(**asdict(lesson)))
        return lesson

    def lessons_of(self, teacher_id: str) -> list[Lesson]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(lessons)
                .where(lessons.c.teacher_id == teacher_id)
                .order_by(lessons.c.created_at)
            )
            return [_make(Lesson, r) for r in rows]

    def lesson(self, lesson_id: str) -> Lesson | None:
        with self.store.reading() as conn:
            row = conn.execute(select(lessons).where(lessons.c.id == lesson_id)).first()
        return _make(Lesson, row) if row else None

    def update_lesson(self, lesson_id: str, **change: Any) -> Lesson | None:
        with self.store.transaction() as conn:
            conn.execute(
                update(lessons)
                .where(lessons.c.id == lesson_id)
                .values(**change, updated_at=datetime.now(UTC))
            )
        return self.lesson(lesson_id)

    # ---- classrooms --------------------------------------------------------------------------

    def open_classroom(self, teacher_id: str, lesson: Lesson, name: str) -> Classroom:
        """A new open classroom taught from ``lesson`` (a copy of it), with a join code unique
        among open rooms."""
        with self.store.reading() as conn:
            count = conn.execute(
                select(func.count())
                .select_from(classrooms)
                .where(classrooms.c.teacher_id == teacher_id)
            ).scalar_one()
        if count >= self.settings.max_classrooms_per_teacher:
            raise FieldError(
                "classroom",
                f"you keep the limit of {self.settings.max_classrooms_per_teacher} classrooms "
                "(max_classrooms_per_teacher); delete a closed one first",
                429,
            )
        for _ in range(CODE_TRIES):
            room = Classroom(
                id=new_id(),
                teacher_id=teacher_id,
                lesson_id=lesson.id,
                name=name,
                code=new_code(),
                status="open",
                lobby_locked=False,
                approval_required=False,
                hide_names=False,
                leaderboard=False,
                leaderboard_names=False,
                challenge_active=False,
                setup=lesson.setup,
                locks=lesson.locks,
                challenge=lesson.challenge,
                created_at=datetime.now(UTC),
                closed_at=None,
                instructions=lesson.instructions,
                steps=with_first_setup(lesson.steps, lesson.setup),
            )
            try:
                with self.store.transaction() as conn:
                    conn.execute(insert(classrooms).values(**asdict(room)))
                return room
            except IntegrityError:  # the code is taken by an open room: draw another
                continue
        raise FieldError("code", "no free join code was found; try again", 503)  # pragma: no cover

    def classroom(self, classroom_id: str) -> Classroom | None:
        with self.store.reading() as conn:
            row = conn.execute(select(classrooms).where(classrooms.c.id == classroom_id)).first()
        return _make(Classroom, row) if row else None

    def classroom_by_code(self, code: str) -> Classroom | None:
        """The open classroom with this join code (closed rooms have none)."""
        with self.store.reading() as conn:
            row = conn.execute(
                select(classrooms).where(classrooms.c.code == code, classrooms.c.status == "open")
            ).first()
        return _make(Classroom, row) if row else None

    def classrooms_of(self, teacher_id: str) -> list[Classroom]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(classrooms)
                .where(classrooms.c.teacher_id == teacher_id)
                .order_by(classrooms.c.created_at.desc())
            )
            return [_make(Classroom, r) for r in rows]

    def update_classroom(self, classroom_id: str, **change: Any) -> Classroom | None:
        if not change:  # an UPDATE with nothing to set is an SQL error
            return self.classroom(classroom_id)
        with self.store.transaction() as conn:
            conn.execute(update(classrooms).where(classrooms.c.id == classroom_id).values(**change))
        return self.classroom(classroom_id)

    def close_classroom(self, classroom_id: str) -> Classroom | None:
        """The code stops working (and may be drawn again); the room and its seats stay."""
        return self.update_classroom(
            classroom_id, status="closed", code=None, closed_at=datetime.now(UTC)
        )
