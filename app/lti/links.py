"""Where a launch puts its person: resource links → classrooms, LMS users → teacher accounts
(instructors) and seats (learners). Reuses the classroom's rooms and seats: an LTI classroom
is an ordinary classroom; its learners simply never type its join code.

Synchronous (the routes call it in a thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.accounts import MAX_TEACHER_NAME, Teacher
from app.classroom.merge import NO_PASSWORD, Moved, move_teacher, other_ways_in, take_over
from app.classroom.rooms import Classroom, Lesson, Rooms, Seat
from app.classroom.tokens import MAX_NAME_LENGTH, clean_name, digest, new_id, new_token
from app.errors import FieldError
from app.lti.claims import Launch
from app.store import Store
from app.store.models import lti_links, lti_seats, lti_users, sso_users, teachers

NAME_TRIES = 50


@dataclass(frozen=True)
class Link:
    id: str
    platform_id: str
    deployment_id: str
    resource_link_id: str
    classroom_id: str
    lineitem_url: str | None


@dataclass(frozen=True)
class LmsUser:
    id: str
    sub: str
    name: str | None
    teacher_id: str | None


def create_teacher_without_password(conn: Any, base: str) -> Teacher:
    """A teacher account with no usable password (they sign in through the LMS or the
    institution's provider), named ``base`` — or ``base (2)``, ``(3)``... when taken. Inside
    the caller's transaction (a name taken meanwhile fails the transaction)."""
    base = base[: MAX_TEACHER_NAME - 6].strip() or "Teacher"
    for n in range(1, NAME_TRIES + 1):
        name = base if n == 1 else f"{base} ({n})"
        taken = conn.execute(select(teachers.c.id).where(teachers.c.name == name)).first()
        if taken:
            continue
        teacher = Teacher(new_id(), name)
        conn.execute(
            insert(teachers).values(
                id=teacher.id, name=name, password_hash=NO_PASSWORD, created_at=datetime.now(UTC)
            )
        )
        return teacher
    raise FieldError("name", "no free teacher name was found", 409)  # pragma: no cover


@dataclass(frozen=True)
class Relinked:
    """An admin's link: the teacher the identity now is, and what moved from the teacher it
    was before (``old_name``), if anything did."""

    teacher: Teacher
    old_name: str | None
    moved: Moved | None

    def describe(self, who: str) -> str:
        said = f"{who} now signs in as teacher {self.teacher.name!r}."
        if self.moved is not None and self.old_name is not None:
            said += "\n" + self.moved.describe(self.old_name, self.teacher.name)
        return said


def named_teacher(conn: Any, teacher_id: str | None) -> tuple[str, str] | None:
    """(id, name) of the teacher ``teacher_id``, or None."""
    if teacher_id is None:
        return None
    row = conn.execute(
        select(teachers.c.id, teachers.c.name).where(teachers.c.id == teacher_id)
    ).first()
    return (row.id, row.name) if row else None


def _link(row: Any) -> Link:
    return Link(
        row.id,
        row.platform_id,
        row.deployment_id,
        row.resource_link_id,
        row.classroom_id,
        row.lineitem_url,
    )


class Links:
    def __init__(self, store: Store, rooms: Rooms) -> None:
        self.store = store
        self.rooms = rooms

    # ---- people -------------------------------------------------------------------------------

    def user(self, launch: Launch) -> LmsUser:
        """The platform's person ``sub`` (made on first launch; the name kept current)."""
        name = clean_name(launch.name)[:MAX_NAME_LENGTH] if launch.name else None
        with self.store.transaction() as conn:
            row = conn.execute(
                select(lti_users).where(
                    lti_users.c.platform_id == launch.platform_id, lti_users.c.sub == launch.sub
                )
            ).first()
            if row is None:
                user = LmsUser(new_id(), launch.sub, name, None)
                conn.execute(
                    insert(lti_users).values(
                        id=user.id,
                        platform_id=launch.platform_id,
                        sub=launch.sub,
                        name=name,
                        teacher_id=None,
                        created_at=datetime.now(UTC),
                    )
                )
                return user
            if row.name != name:
                conn.execute(update(lti_users).where(lti_users.c.id == row.id).values(name=name))
            return LmsUser(row.id, row.sub, name, row.teacher_id)

    def teacher(self, user: LmsUser, email: str | None = None) -> Teacher:
        """The teacher account of an instructor: on the first launch, the account of the
        person who signed on (SSO) with the e-mail the LMS gives (verified by the provider),
        else a new one named as the LMS names them (a number added when another teacher has
        that name), with no usable password. The e-mail is not stored.

        Later launches: the linked account — unless it was made by a launch (this LMS user is
        its only way in) and someone has since signed on with the e-mail the LMS gives; then
        that signed-on teacher is the one, and what the launch-made account owned moves to
        it (``merge.move_teacher``), so that LMS-first-then-SSO also ends in one teacher."""
        if user.teacher_id:
            with self.store.transaction() as conn:
                row = conn.execute(
                    select(teachers.c.id, teachers.c.name).where(teachers.c.id == user.teacher_id)
                ).first()
                signed = self._signed_on(conn, email) if row is not None else None
                if row is not None and (
                    signed is None
                    or signed.id == row.id
                    or other_ways_in(conn, row.id, lms_user_id=user.id)
                ):
                    return Teacher(row.id, row.name)
                if row is not None and signed is not None:
                    conn.execute(
                        update(lti_users)
                        .where(lti_users.c.id == user.id)
                        .values(teacher_id=signed.id)
                    )
                    move_teacher(conn, row.id, signed.id)
                    return signed
        base = user.name or f"Instructor {user.sub}"
        with self.store.transaction() as conn:
            teacher = self._signed_on(conn, email) or create_teacher_without_password(conn, base)
            conn.execute(
                update(lti_users).where(lti_users.c.id == user.id).values(teacher_id=teacher.id)
            )
        return teacher

    @staticmethod
    def _signed_on(conn: Any, email: str | None) -> Teacher | None:
        """The teacher who signed on with the verified ``email``, if exactly one did."""
        if not email:
            return None
        rows = conn.execute(
            select(teachers.c.id, teachers.c.name)
            .join(sso_users, sso_users.c.teacher_id == teachers.c.id)
            .where(func.lower(sso_users.c.email) == email.strip().lower())
            .limit(2)
        ).all()
        return Teacher(rows[0].id, rows[0].name) if len(rows) == 1 else None

    def link_teacher(
        self, platform_id: str, sub: str, teacher_name: str, merge: bool = False
    ) -> Relinked | None:
        """An admin's link: the platform's person ``sub`` is the teacher named so (their
        later launches log in as that teacher). When ``sub`` already was another teacher, what
        that teacher owns moves to this one in the same transaction (``take_over``: at once
        when ``sub`` was its only way in, else only with ``merge``). None when there is no
        such teacher."""
        with self.store.transaction() as conn:
            row = conn.execute(
                select(teachers.c.id, teachers.c.name).where(teachers.c.name == teacher_name)
            ).first()
            if row is None:
                return None
            user = conn.execute(
                select(lti_users.c.id, lti_users.c.teacher_id).where(
                    lti_users.c.platform_id == platform_id, lti_users.c.sub == sub
                )
            ).first()
            moved = None
            if user is None:
                conn.execute(
                    insert(lti_users).values(
                        id=new_id(),
                        platform_id=platform_id,
                        sub=sub,
                        name=None,
                        teacher_id=row.id,
                        created_at=datetime.now(UTC),
                    )
                )
            else:
                old = named_teacher(conn, user.teacher_id)
                ways = other_ways_in(conn, old[0], lms_user_id=user.id) if old else []
                conn.execute(
                    update(lti_users).where(lti_users.c.id == user.id).values(teacher_id=row.id)
                )  # first, so that what moves next is what else the old teacher had
                moved = take_over(conn, old, (row.id, row.name), ways, merge)
        return Relinked(Teacher(row.id, row.name), old[1] if moved and old else None, moved)

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
