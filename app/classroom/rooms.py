"""Lessons, classrooms and seats in the store: plain rows in, plain dataclasses out.

Nothing here touches a training session; ``teaching`` does, with what these return. Every
method is synchronous (the routers call them in a thread) and raises ``FieldError`` naming the
field for a request that cannot be met (a name taken, a full room, a limit).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.steps import with_first_setup
from app.classroom.tokens import (
    KEY_LENGTH,
    clean_name,
    digest,
    name_key,
    new_code,
    new_id,
    new_token,
)
from app.controls import stored_locks
from app.errors import FieldError
from app.settings import Settings
from app.store import Store
from app.store.models import classrooms, lessons, seats

CODE_TRIES = 50


def _shown(row: Any) -> dict[str, Any]:
    """A row as the API shows it: times as ISO 8601, the owning teacher's id left out."""
    d = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(row).items()}
    d.pop("teacher_id", None)
    return d


@dataclass(frozen=True)
class Lesson:
    id: str
    teacher_id: str
    title: str
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    instructions: str = ""  # Markdown the students read on their seat
    steps: list[dict[str, Any]] = field(default_factory=list)  # an activity's (issue 18)

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))

    def json(self) -> dict[str, Any]:
        return _shown(self)


@dataclass(frozen=True)
class Classroom:
    id: str
    teacher_id: str
    lesson_id: str | None
    name: str
    code: str | None
    status: str
    lobby_locked: bool
    approval_required: bool
    hide_names: bool
    leaderboard: bool
    leaderboard_names: bool
    challenge_active: bool
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    created_at: datetime
    closed_at: datetime | None
    instructions: str = ""  # the lesson's, copied with it
    steps: list[dict[str, Any]] = field(default_factory=list)  # the lesson's, copied with it
    step_open: int | None = None  # the activity's open step (None: not started)
    step_mode: str = "class"  # "class": everyone on step_open; "self": up to it
    revealed: list[int] = field(default_factory=list)  # steps whose answers are revealed

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))

    @property
    def open(self) -> bool:
        return self.status == "open"

    def json(self) -> dict[str, Any]:
        return _shown(self)


@dataclass(frozen=True)
class Seat:
    id: str
    classroom_id: str
    number: int
    name: str
    session_id: str | None
    status: str
    joined_at: datetime
    challenge_met: dict[str, Any] | None

    @property
    def label(self) -> str:
        """What the class sees when names are hidden."""
        return f"Student {self.number}"

    def json(self, hide_name: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "label": self.label,
            "name": self.label if hide_name else self.name,
            "session_id": self.session_id,
            "status": self.status,
            "joined_at": self.joined_at.isoformat(),
            "challenge_met": self.challenge_met,
        }


@dataclass(frozen=True)
class SeatOwner:
    """What deciding access to a seat's session needs, in one read."""

    seat_id: str
    token_hash: str
    seat_status: str
    classroom_id: str
    teacher_id: str
    classroom_open: bool
    locks: list[str]
    setup: dict[str, Any] = field(default_factory=dict)  # the lesson's: what a lock holds

    def __post_init__(self) -> None:  # stored lock names, read through the registry's aliases
        object.__setattr__(self, "locks", stored_locks(self.locks))


def _make(cls, row) -> Any:
    m = row._mapping
    return cls(**{f.name: m[f.name] for f in fields(cls)})


_SEAT_COLUMNS = [seats.c[f.name] for f in fields(Seat)]


class Rooms:
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

    # ---- seats -------------------------------------------------------------------------------

    def add_seat(self, room: Classroom, name: str, status: str) -> tuple[Seat, str, str]:
        """A new seat named ``name``; returns it with its token and rejoin key (secrets shown
        once). FieldError if the name is taken in the room or the room is full."""
        shown = clean_name(name)
        key = new_code(KEY_LENGTH)
        token = new_token()
        try:
            with self.store.transaction() as conn:
                taken = conn.execute(
                    select(func.count(), func.max(seats.c.number)).where(
                        seats.c.classroom_id == room.id
                    )
                ).one()  # an aggregate: always one row
                if taken[0] >= self.settings.max_seats_per_classroom:
                    raise FieldError(
                        "code",
                        f"this classroom is full ({self.settings.max_seats_per_classroom} "
                        "students, max_seats_per_classroom); ask your teacher",
                        409,
                    )
                seat = Seat(
                    id=new_id(),
                    classroom_id=room.id,
                    number=(taken[1] or 0) + 1,
                    name=shown,
                    session_id=None,
                    status=status,
                    joined_at=datetime.now(UTC),
                    challenge_met=None,
                )
                conn.execute(
                    insert(seats).values(
                        **asdict(seat),
                        name_key=name_key(shown),
                        token_hash=digest(token),
                        key_hash=digest(key),
                    )
                )
        except IntegrityError:
            raise FieldError(
                "name",
                f"someone in this classroom is called {shown!r} already: choose another name, "
                "or type your seat key to take your seat on this device",
                409,
            ) from None
        return seat, token, key

    def seat_by_token(self, classroom_id: str, token: str) -> Seat | None:
        if not token or len(token) > 256:
            return None
        with self.store.reading() as conn:
            row = conn.execute(
                select(*_SEAT_COLUMNS).where(
                    seats.c.classroom_id == classroom_id, seats.c.token_hash == digest(token)
                )
            ).first()
        return _make(Seat, row) if row else None

    def take_seat(self, classroom_id: str, name: str, key: str) -> tuple[Seat, str] | None:
        """The seat named ``name`` if ``key`` is its rejoin key: it moves to the asking device
        (a new token; the old device's stops working)."""
        with self.store.transaction() as conn:
            row = conn.execute(
                select(*_SEAT_COLUMNS, seats.c.key_hash).where(
                    seats.c.classroom_id == classroom_id, seats.c.name_key == name_key(name)
                )
            ).first()
            if row is None or row.key_hash != digest(key.strip().upper()):
                return None
            token = new_token()
            conn.execute(update(seats).where(seats.c.id == row.id).values(token_hash=digest(token)))
        return _make(Seat, row), token

    def seat(self, seat_id: str) -> Seat | None:
        with self.store.reading() as conn:
            row = conn.execute(select(*_SEAT_COLUMNS).where(seats.c.id == seat_id)).first()
        return _make(Seat, row) if row else None

    def seats_of(self, classroom_id: str) -> list[Seat]:
        with self.store.reading() as conn:
            rows = conn.execute(
                select(*_SEAT_COLUMNS)
                .where(seats.c.classroom_id == classroom_id)
                .order_by(seats.c.number)
            )
            return [_make(Seat, r) for r in rows]

    def update_seat(self, seat_id: str, **change: Any) -> None:
        with self.store.transaction() as conn:
            conn.execute(update(seats).where(seats.c.id == seat_id).values(**change))

    def owner(self, seat_id: str) -> SeatOwner | None:
        """Who may use the session of seat ``seat_id``: its token, its teacher, the locks."""
        with self.store.reading() as conn:
            row = conn.execute(
                select(
                    seats.c.id,
                    seats.c.token_hash,
                    seats.c.status,
                    classrooms.c.id.label("classroom_id"),
                    classrooms.c.teacher_id,
                    classrooms.c.status.label("room_status"),
                    classrooms.c.locks,
                    classrooms.c.setup,
                )
                .join(classrooms, classrooms.c.id == seats.c.classroom_id)
                .where(seats.c.id == seat_id)
            ).first()
        if row is None:
            return None
        return SeatOwner(
            row.id,
            row.token_hash,
            row.status,
            row.classroom_id,
            row.teacher_id,
            row.room_status == "open",
            list(row.locks),
            dict(row.setup or {}),
        )
