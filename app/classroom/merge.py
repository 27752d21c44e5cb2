"""Moving one teacher account's things to another, when an admin links a person's LMS or SSO
identity to an existing teacher (``lti link-teacher``, ``sso link-teacher``).

A teacher owns, directly by ``teacher_id``: lessons (their share links hang on the lesson),
classrooms (their seats, answers, snapshots, LTI links, learners' seats and grades hang on the
classroom), LTI users and SSO identities (the ways in), and login tokens. Moving the first
four, in the caller's transaction, leaves nothing behind that the person could still reach
only through the old account. Login tokens are not moved: they are the old account's.

Synchronous (the CLI calls it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select, update

from app.errors import FieldError
from app.store.models import classrooms, lessons, lti_users, sso_users, teachers

# A password hash no password verifies against (argon2 refuses it as malformed): a teacher made
# by an LMS launch or a sign-on (app/lti/links.py) signs in that way only, until an admin gives
# them a password.
NO_PASSWORD = "!lti"


@dataclass(frozen=True)
class Moved:
    """What moved from one teacher to another (besides the relinked identity), and whether the
    emptied account was deleted."""

    lessons: int
    classrooms: int
    lms_users: int
    sso_identities: int
    deleted: bool

    def describe(self, old_name: str, new_name: str) -> str:
        parts = [
            f"{self.lessons} lesson(s)",
            f"{self.classrooms} classroom(s) (with their LTI links, seats and grades)",
            f"{self.lms_users} other LMS user(s)",
            f"{self.sso_identities} other sign-on(s)",
        ]
        end = (
            f"teacher {old_name!r} had nothing left and was deleted"
            if self.deleted
            else f"teacher {old_name!r} keeps its password and is now empty"
        )
        return f"Moved from {old_name!r} to {new_name!r}: {', '.join(parts)}; {end}."


def other_ways_in(
    conn: Any,
    teacher_id: str,
    *,
    lms_user_id: str | None = None,
    sso: tuple[str, str] | None = None,
) -> list[str]:
    """How else than the identity being relinked (``lms_user_id`` or ``sso`` = (issuer, sub))
    someone can sign in as ``teacher_id``: a password, a sign-on identity, another LMS user.
    Empty when the relinked identity is the account's only way in."""
    ways = []
    hash_ = conn.execute(
        select(teachers.c.password_hash).where(teachers.c.id == teacher_id)
    ).scalar()
    if hash_ is not None and hash_ != NO_PASSWORD:
        ways.append("it has a password")
    sso_rows = (
        select(func.count()).select_from(sso_users).where(sso_users.c.teacher_id == teacher_id)
    )
    if sso is not None:
        sso_rows = sso_rows.where(~((sso_users.c.issuer == sso[0]) & (sso_users.c.sub == sso[1])))
    n = conn.execute(sso_rows).scalar() or 0
    if n:
        ways.append(f"{n} sign-on (SSO) identit{'y' if n == 1 else 'ies'} sign in as it")
    lms_rows = (
        select(func.count()).select_from(lti_users).where(lti_users.c.teacher_id == teacher_id)
    )
    if lms_user_id is not None:
        lms_rows = lms_rows.where(lti_users.c.id != lms_user_id)
    n = conn.execute(lms_rows).scalar() or 0
    if n:
        ways.append(f"{n} other LMS user{'' if n == 1 else 's'} sign in as it")
    return ways


def move_teacher(conn: Any, old_id: str, new_id: str) -> Moved:
    """Everything ``old_id`` owns becomes ``new_id``'s (lessons, classrooms and what hangs on
    them, LMS users, sign-on identities); then the old account, if it has no password, is
    deleted (its login tokens with it). In the caller's transaction."""
    counts = []
    for table in (lessons, classrooms, lti_users, sso_users):
        done = conn.execute(
            update(table).where(table.c.teacher_id == old_id).values(teacher_id=new_id)
        )
        counts.append(done.rowcount or 0)
    hash_ = conn.execute(select(teachers.c.password_hash).where(teachers.c.id == old_id)).scalar()
    deleted = hash_ == NO_PASSWORD
    if deleted:
        conn.execute(delete(teachers).where(teachers.c.id == old_id))
    n_lessons, n_rooms, n_lms, n_sso = counts
    return Moved(n_lessons, n_rooms, n_lms, n_sso, deleted)


def take_over(
    conn: Any, old: tuple[str, str] | None, new: tuple[str, str], ways: list[str], merge: bool
) -> Moved | None:
    """The admin's relink rule: when the relinked identity was teacher ``old`` (id, name) and
    now is ``new``, move what ``old`` owns to ``new`` — at once when the identity was its only
    way in, else only with ``merge`` (a ``FieldError`` on ``merge``, 409, naming the other
    ways in). None when there is nothing to move (no old teacher, or the same one)."""
    if old is None or old[0] == new[0]:
        return None
    if ways and not merge:
        raise FieldError(
            "merge",
            f"teacher {old[1]!r} has another way in ({'; '.join(ways)}): its lessons and "
            f"classrooms stay with it unless you pass --merge to move them to {new[1]!r}",
            409,
        )
    return move_teacher(conn, old[0], new[0])
