"""Where a launch puts its person: resource links → classrooms, LMS users → teacher accounts
(instructors) and seats (learners). Reuses the classroom's rooms and seats: an LTI classroom
is an ordinary classroom; its learners simply never type its join code. Who the people are
(LMS users, teacher accounts) is in ``people``; ``Links`` has both.

Synchronous (the routes call it in a thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.accounts import Teacher
from app.classroom.rooms import Classroom, Lesson, Rooms, Seat
from app.classroom.tokens import MAX_NAME_LENGTH, digest, new_id, new_token
from app.errors import FieldError
from app.lti.claims import Launch
from app.lti.people import NAME_TRIES, LmsPeople, LmsUser
from app.store import Store
from app.store.models import lti_links, lti_seats, lti_users


@dataclass(frozen=True)
class Link:
    id: str
    platform_id: str
    deployment_id: str
    resource_link_id: str
    classroom_id: str
    lineitem_url: str | None


def _link(row: Any) -> Link:
    return Link(
        row.id,
        row.platform_id,
        row.deployment_id,
        row.resource_link_id,
        row.classroom_id,
        row.lineitem_url,
    )


class Links(LmsPeople):
    def __init__(self, store: Store, rooms: Rooms) -> None:
        self.store = store
        self.rooms = rooms

    # ---- links and their classrooms -----------------------------------------------------------

    def link(self, launch: Launch) -> Link | None:
        with self.store.reading() as conn:
            row = conn.execute(
                select(lti_links).where(
                    lti_links.c.platform_id == launch.platform_id,
                    lti_links.c.resource_link_id == launch.resource_link_id,
                )
            ).first()
        return _link(row) if row else None

    def link_of_classroom(self, classroom_id: str) -> Link | None:
        with self.store.reading() as conn:
            row = conn.execute(
                select(lti_links).where(lti_links.c.classroom_id == classroom_id)
            ).first()
        return _link(row) if row else None

    def set_lineitem(self, link: Link, url: str | None) -> Link:
        if url and url != link.lineitem_url:
            with self.store.transaction() as conn:
                conn.execute(
                    update(lti_links).where(lti_links.c.id == link.id).values(lineitem_url=url)
                )
            return Link(**{**link.__dict__, "lineitem_url": url})
        return link

    def lesson_for(self, teacher: Teacher, launch: Launch) -> Lesson:
        """The lesson a new link's classroom is taught from: the one chosen by deep linking
        (``custom.bpp_lesson_id``), else the teacher's first, else a new default lesson."""
        chosen = launch.custom.get("bpp_lesson_id")
        if isinstance(chosen, str):
            lesson = self.rooms.lesson(chosen)
            if lesson is not None:
                return lesson
        mine = self.rooms.lessons_of(teacher.id)
        if mine:
            return mine[0]
        return self.rooms.create_lesson(teacher.id, "Backpropagation", {}, [], None)

    def create_link(self, teacher: Teacher, launch: Launch) -> Link:
        """The instructor's first launch of a link: its classroom, opened from the lesson."""
        lesson = self.lesson_for(teacher, launch)
        title = launch.resource_link_title or launch.context_title or lesson.title
        room = self.rooms.open_classroom(teacher.id, lesson, title[:200])
        link = Link(
            new_id(),
            launch.platform_id,
            launch.deployment_id,
            launch.resource_link_id or "",
            room.id,
            launch.lineitem_url,
        )
        try:
            with self.store.transaction() as conn:
                conn.execute(
                    insert(lti_links).values(
                        **link.__dict__,
                        context_title=(launch.context_title or "")[:255] or None,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:  # two first launches at once: the other one made it
            self.rooms.close_classroom(room.id)
            found = self.link(launch)
            assert found is not None
            return found
        return link

    # ---- learners' seats ----------------------------------------------------------------------

    def seat(self, link: Link, room: Classroom, user: LmsUser, status: str) -> tuple[Seat, str]:
        """The learner's seat in the link's classroom and a new token for this browser (the
        LMS vouches for them: no join code, no rejoin key). Made on first launch, named as the
        LMS names them — or ``Learner <number>`` when names are not kept."""
        with self.store.reading() as conn:
            seat_id = conn.execute(
                select(lti_seats.c.seat_id).where(
                    lti_seats.c.link_id == link.id, lti_seats.c.user_id == user.id
                )
            ).scalar()
        seat = self.rooms.seat(seat_id) if seat_id else None
        if seat is not None:
            token = new_token()
            self.rooms.update_seat(seat.id, token_hash=digest(token))
            return seat, token
        base = user.name or "Learner"
        for n in range(1, NAME_TRIES + 1):
            name = base if n == 1 and user.name else f"{base} {n}"
            try:
                seat, token, _key = self.rooms.add_seat(room, name[:MAX_NAME_LENGTH], status)
            except FieldError as exc:
                if exc.field == "name":  # someone of that name is seated: number this one
                    continue
                raise
            with self.store.transaction() as conn:
                conn.execute(
                    insert(lti_seats).values(link_id=link.id, user_id=user.id, seat_id=seat.id)
                )
            return seat, token
        raise FieldError("name", "no free seat name was found", 409)  # pragma: no cover

    def learners(self, link: Link) -> list[tuple[LmsUser, Seat]]:
        """Every learner seated through the link, with their seat."""
        with self.store.reading() as conn:
            rows = conn.execute(
                select(lti_users, lti_seats.c.seat_id)
                .join(lti_seats, lti_seats.c.user_id == lti_users.c.id)
                .where(lti_seats.c.link_id == link.id)
            ).all()
        out = []
        for r in rows:
            seat = self.rooms.seat(r.seat_id)
            if seat is not None:
                out.append((LmsUser(r.id, r.sub, r.name, r.teacher_id), seat))
        return out

    def all_links(self) -> list[Link]:
        with self.store.reading() as conn:
            return [_link(r) for r in conn.execute(select(lti_links))]
