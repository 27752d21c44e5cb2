"""Who may sign in through the provider, and which teacher account each person is: a verified
e-mail in ``oidc_allowed_domains`` or ``oidc_allowed_emails``; the account is made on the first
sign-in (named as the provider names them, no usable password) and found again by (issuer,
sub) afterwards, or linked by an admin to an existing teacher (``link_teacher``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select, update

from app.classroom.accounts import Teacher
from app.classroom.merge import other_ways_in, take_over
from app.lti.people import (
    Relinked,
    create_teacher_without_password,
    named_teacher,
    teacher_by_name,
)
from app.settings import Settings
from app.sso.provider import Person, sso_error
from app.store import Store
from app.store.models import sso_users, teachers


def _listed(text: str) -> set[str]:
    return {part.strip().lower() for part in text.split(",") if part.strip()}


def check_allowed(person: Person, settings: Settings) -> None:
    """``FieldError`` (403, field ``email``) unless the person may teach here."""
    if not person.email or not person.email_verified:
        raise sso_error("email", "the provider shares no verified e-mail address for you", 403)
    email = person.email.lower()
    domain = email.rpartition("@")[2]
    if domain in _listed(settings.oidc_allowed_domains) or email in _listed(
        settings.oidc_allowed_emails
    ):
        return
    raise sso_error(
        "email",
        f"{person.email} may not sign in as a teacher here (oidc_allowed_domains, "
        "oidc_allowed_emails): ask the server's operator",
        403,
    )


class SsoTeachers:
    def __init__(self, store: Store) -> None:
        self.store = store

    def teacher(self, person: Person) -> Teacher:
        with self.store.transaction() as conn:
            row = conn.execute(
                select(teachers.c.id, teachers.c.name)
                .join(sso_users, sso_users.c.teacher_id == teachers.c.id)
                .where(sso_users.c.issuer == person.issuer, sso_users.c.sub == person.sub)
            ).first()
            if row is not None:
                return Teacher(row.id, row.name)
            base = person.name or (person.email or "Teacher").partition("@")[0]
            teacher = create_teacher_without_password(conn, base)
            conn.execute(
                insert(sso_users).values(
                    issuer=person.issuer,
                    sub=person.sub,
                    teacher_id=teacher.id,
                    email=person.email,
                    created_at=datetime.now(UTC),
                )
            )
        return teacher

    def link_teacher(
        self, issuer: str, sub: str, teacher_name: str, merge: bool = False
    ) -> Relinked | None:
        """An admin's link: the provider's person (``issuer``, ``sub``) signs in as the
        teacher named so — say, the one an LMS launch made. When they already were another
        teacher (their first sign-in made one), what that teacher owns moves along in the same
        transaction (``take_over``: at once when this identity was its only way in, else only
        with ``merge``). None when there is no such teacher."""
        with self.store.transaction() as conn:
            new = teacher_by_name(conn, teacher_name)
            if new is None:
                return None
            was = conn.execute(
                select(sso_users.c.teacher_id).where(
                    sso_users.c.issuer == issuer, sso_users.c.sub == sub
                )
            ).first()
            moved = old = None
            if was is None:
                conn.execute(
                    insert(sso_users).values(
                        issuer=issuer,
                        sub=sub,
                        teacher_id=new[0],
                        email=None,
                        created_at=datetime.now(UTC),
                    )
                )
            else:
                old = named_teacher(conn, was.teacher_id)
                ways = other_ways_in(conn, old[0], sso=(issuer, sub)) if old else []
                conn.execute(
                    update(sso_users)
                    .where(sso_users.c.issuer == issuer, sso_users.c.sub == sub)
                    .values(teacher_id=new[0])
                )  # first, so that what moves next is what else the old teacher had
                moved = take_over(conn, old, new, ways, merge)
        return Relinked(Teacher(*new), old[1] if moved and old else None, moved)
