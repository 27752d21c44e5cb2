"""Who may sign in through the provider, and which teacher account each person is: a verified
e-mail in ``oidc_allowed_domains`` or ``oidc_allowed_emails``; the account is made on the first
sign-in (named as the provider names them, no usable password) and found again by (issuer,
sub) afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from app.classroom.accounts import Teacher
from app.lti.links import create_teacher_without_password
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
