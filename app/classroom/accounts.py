"""Teachers' accounts: argon2 password hashes, browser logins and API bearer tokens.

::

    accounts = Accounts(store, settings)
    teacher = accounts.create_teacher("ada", "a long passphrase")
    teacher = accounts.check_password("ada", "a long passphrase")   # or None
    token = accounts.issue(teacher.id, "cookie")                     # the secret, shown once
    accounts.teacher_for(token)                                      # Teacher, or None
    accounts.revoke(token)

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile);
a hash made with older parameters is replaced at the next login. Tokens are random and stored
only as their SHA-256, with an expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.tokens import clean_name, digest, new_id, new_token
from app.errors import FieldError
from app.settings import Settings
from app.store import Store
from app.store.models import auth_tokens, teachers

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_TEACHER_NAME = 64
_hasher = PasswordHasher()
# A hash to verify against when the name is unknown, so that a wrong name takes as long as a
# wrong password (no telling which names exist by timing).
_DUMMY_HASH = _hasher.hash("not anyone's password")


@dataclass(frozen=True)
class Teacher:
    id: str
    name: str


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise FieldError("password", f"must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise FieldError("password", f"must have at most {MAX_PASSWORD_LENGTH} characters")


def check_teacher_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise FieldError("name", "must not be empty")
    if len(name) > MAX_TEACHER_NAME:
        raise FieldError("name", f"must have at most {MAX_TEACHER_NAME} characters")
    return name


class Accounts:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def create_teacher(self, name: str, password: str) -> Teacher:
        """A new account; FieldError if the name is taken or the password too short."""
        name = check_teacher_name(name)
        check_new_password(password)
        teacher = Teacher(new_id(), name)
        try:
            with self.store.transaction() as conn:
                conn.execute(
                    insert(teachers).values(
                        id=teacher.id,
                        name=name,
                        password_hash=_hasher.hash(password),
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            raise FieldError("name", f"a teacher named {name!r} exists already") from None
        return teacher

    def set_password(self, name: str, password: str) -> bool:
        check_new_password(password)
        with self.store.transaction() as conn:
            done = conn.execute(
                update(teachers)
                .where(teachers.c.name == clean_name(name))
                .values(password_hash=_hasher.hash(password))
            )
            return done.rowcount > 0

    def check_password(self, name: str, password: str) -> Teacher | None:
        """The teacher whose name and password these are, or None."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return None
        with self.store.reading() as conn:
            row = conn.execute(
                select(teachers.c.id, teachers.c.name, teachers.c.password_hash).where(
                    teachers.c.name == clean_name(name)
                )
            ).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _hasher.check_needs_rehash(row.password_hash):
            with self.store.transaction() as conn:
                conn.execute(
                    update(teachers)
                    .where(teachers.c.id == row.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return Teacher(row.id, row.name)

    def issue(self, teacher_id: str, kind: str) -> tuple[str, datetime]:
        """A new login for the teacher: ``kind`` "cookie" (a browser) or "bearer" (a script).
        Returns the secret (never stored) and when it expires."""
        s = self.settings
        life = (
            timedelta(hours=s.teacher_login_hours)
            if kind == "cookie"
            else timedelta(days=s.bearer_token_days)
        )
        token = new_token()
        now = datetime.now(UTC)
        with self.store.transaction() as conn:
            conn.execute(delete(auth_tokens).where(auth_tokens.c.expires_at < now))
            conn.execute(
                insert(auth_tokens).values(
                    token_hash=digest(token),
                    teacher_id=teacher_id,
                    kind=kind,
                    created_at=now,
                    expires_at=now + life,
                )
            )
        return token, now + life

    def teacher_for(self, token: str) -> Teacher | None:
        """The teacher a login token belongs to, while it has not expired."""
        if not token or len(token) > 256:
            return None
        with self.store.reading() as conn:
            row = conn.execute(
                select(teachers.c.id, teachers.c.name)
                .join(auth_tokens, auth_tokens.c.teacher_id == teachers.c.id)
                .where(
                    auth_tokens.c.token_hash == digest(token),
                    auth_tokens.c.expires_at > datetime.now(UTC),
                )
            ).first()
        return Teacher(row.id, row.name) if row else None

    def revoke(self, token: str) -> None:
        with self.store.transaction() as conn:
            conn.execute(delete(auth_tokens).where(auth_tokens.c.token_hash == digest(token)))
