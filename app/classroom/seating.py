"""Students' seats in the store, the seat half of ``Rooms`` (mixed into it): a new seat with
its secrets, a seat found by its token or moved to another device by its rejoin key, a class's
seats, and who owns a seat's session. Synchronous like the rest of ``Rooms``; a request that
cannot be met raises ``FieldError`` naming the field (a name taken, a full room)."""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from app.classroom.records import Classroom, Seat, SeatOwner, _make
from app.classroom.tokens import (
    KEY_LENGTH,
    clean_name,
    digest,
    name_key,
    new_code,
    new_id,
    new_token,
)
from app.errors import FieldError
from app.settings import Settings
from app.store import Store
from app.store.models import classrooms, seats

_SEAT_COLUMNS = [seats.c[f.name] for f in fields(Seat)]


class Seating:
    """The seat methods of ``Rooms``, on its store and settings."""

    store: Store
    settings: Settings

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
