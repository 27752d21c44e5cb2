"""Who a launch's person is: the platform's users (``lti_users``), and the teacher account an
instructor signs in as — found by the e-mail they signed on with (SSO), made on the first
launch (no usable password), or linked by an admin (``link_teacher``). ``Links`` (links.py)
is these and the links' classrooms and seats.

Synchronous (the routes call it in a thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from app.classroom.accounts import MAX_TEACHER_NAME, Teacher
from app.classroom.merge import NO_PASSWORD, Moved, move_teacher, other_ways_in, take_over
from app.classroom.tokens import MAX_NAME_LENGTH, clean_name, new_id
from app.errors import FieldError
from app.lti.claims import Launch
from app.store import Store
from app.store.models import lti_users, sso_users, teachers

NAME_TRIES = 50


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


def teacher_by_name(conn: Any, name: str) -> tuple[str, str] | None:
    """(id, name) of the teacher called ``name`` (an admin's link names one), or None."""
    row = conn.execute(
        select(teachers.c.id, teachers.c.name).where(teachers.c.name == name)
    ).first()
    return (row.id, row.name) if row else None


class LmsPeople:
    """The people half of ``Links``: LMS users and their teacher accounts."""

    store: Store

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
            new = teacher_by_name(conn, teacher_name)
            if new is None:
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
                        teacher_id=new[0],
                        created_at=datetime.now(UTC),
                    )
                )
            else:
                old = named_teacher(conn, user.teacher_id)
                ways = other_ways_in(conn, old[0], lms_user_id=user.id) if old else []
                conn.execute(
                    update(lti_users).where(lti_users.c.id == user.id).values(teacher_id=new[0])
                )  # first, so that what moves next is what else the old teacher had
                moved = take_over(conn, old, new, ways, merge)
        return Relinked(Teacher(*new), old[1] if moved and old else None, moved)
