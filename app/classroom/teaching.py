"""What a classroom does to its students' sessions: seat a student (a session cloned from the
lesson), replace a student's setup within the locks, pace the whole class, push a changed
lesson, judge the challenge, and export the class.

Students' sessions are ordinary sessions of the registry, created for the client
``seat:<seat id>`` — so limits count per seat, not per address (a class behind one school NAT
is many seats), and ``access`` knows whose they are.

This module acts on the sessions; what each student has done (the challenge, the leaderboard,
the exports) is read by ``app.classroom.progress``, which ``Teaching`` is built on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from app.classroom.access import SEAT_PREFIX
from app.classroom.controls import changed_controls
from app.classroom.progress import ClassProgress
from app.classroom.rooms import Classroom, Rooms, Seat
from app.commands import Train
from app.errors import FieldError
from app.schemas import (
    PauseCommand,
    PlayCommand,
    ResetCommand,
    SessionCreate,
    StepSampleCommand,
)
from app.web.registry import LocalRegistry
from app.web.session import SessionHandle

log = logging.getLogger(__name__)

PACE_OPS = ("pause", "play", "step", "step_sample", "reset")

# the class-wide commands of ``pace`` that are one command of each session
PACE: dict[str, PlayCommand | PauseCommand | ResetCommand] = {
    "play": PlayCommand(type="play"),
    "pause": PauseCommand(type="pause"),
    "reset": ResetCommand(type="reset"),
}


def client_of(seat: Seat) -> str:
    return SEAT_PREFIX + seat.id


class Teaching(ClassProgress):
    def __init__(self, registry: LocalRegistry, rooms: Rooms) -> None:
        self.registry = registry
        self.rooms = rooms
        self._boards: dict[tuple[str, bool], tuple[float, list[dict[str, Any]]]] = {}
        # called with (room, seat id) once a seat has a new session (activities: what it hides)
        self.on_new_session: Callable[[Classroom, str], Awaitable[None]] | None = None

    # ---- one seat ----------------------------------------------------------------------------

    async def give_session(self, room: Classroom, seat: Seat, setup: dict | None = None) -> str:
        """Create the seat's session from ``setup`` (default: the room's lesson), record it on
        the seat, and delete the session it replaces. Returns the new session's id."""
        body = SessionCreate.model_validate(room.setup if setup is None else setup)
        handle, _ = await self.registry.create(client_of(seat), body)
        await asyncio.to_thread(self.rooms.update_seat, seat.id, session_id=handle.id)
        if seat.session_id and seat.session_id != handle.id:
            await self.registry.remove(seat.session_id)
        if self.on_new_session is not None:
            await self.on_new_session(room, seat.id)
        return handle.id

    async def change_setup(self, room: Classroom, seat: Seat, setup: dict[str, Any]) -> str:
        """A student's new setup: refused (403 naming the control) where it changes a locked
        control; otherwise the seat gets a new session built from it."""
        try:
            locked = [c for c in changed_controls(room.setup, setup) if c in room.locks]
        except ValueError as exc:  # not a valid setup: let the schema name the field
            SessionCreate.model_validate(setup)
            raise FieldError("setup", str(exc)) from None
        if locked:
            raise FieldError(
                locked[0],
                f"your teacher has locked {locked[0]} in this lesson",
                status_code=403,
                kind="forbidden",
            )
        return await self.give_session(room, seat, setup)

    # ---- the whole class ---------------------------------------------------------------------

    async def handles(self, room: Classroom) -> list[tuple[Seat, SessionHandle]]:
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        out = []
        for seat in seats:
            h = await self.handle(seat)
            if h is not None:
                out.append((seat, h))
        return out

    async def pace(self, room: Classroom, op: str, epochs: int = 1) -> dict[str, Any]:
        """Run one command on every student's session at once: pause, play, step ``epochs``
        (each pauses first, so every session advances by exactly ``epochs``), step one sample
        (the derivation's walk), reset. Returns how many sessions did it, and any that
        failed."""
        pairs = await self.handles(room)

        async def one(handle: SessionHandle) -> None:
            if op == "step":
                await handle.call(PauseCommand(type="pause"))
                await handle.call(Train(epochs=epochs))
            elif op == "step_sample":
                await handle.call(PauseCommand(type="pause"))
                await handle.call(StepSampleCommand(type="step_sample"))
            else:
                await handle.call(PACE[op])

        results = await asyncio.gather(*(one(h) for _, h in pairs), return_exceptions=True)
        failed = {
            seat.id: (r.message if isinstance(r, FieldError) else "the trainer failed")
            for (seat, _), r in zip(pairs, results, strict=True)
            if isinstance(r, BaseException)
        }
        for (seat, _), r in zip(pairs, results, strict=True):
            if isinstance(r, BaseException) and not isinstance(r, FieldError):
                log.warning("pacing %s failed on seat %s: %r", op, seat.id, r)
        return {"op": op, "sessions": len(pairs) - len(failed), "failed": failed}

    async def push(self, room: Classroom, setup_changed: bool) -> int:
        """After the room's lesson changed: every student whose setup no longer matches gets a
        session of the new setup (their old one is deleted). Returns how many were replaced."""
        if not setup_changed:
            return 0
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        active = [s for s in seats if s.status == "active"]
        results = await asyncio.gather(
            *(self.give_session(room, s) for s in active), return_exceptions=True
        )
        for seat, r in zip(active, results, strict=True):
            if isinstance(r, BaseException):
                log.warning("pushing the lesson to seat %s failed: %r", seat.id, r)
        return sum(1 for r in results if not isinstance(r, BaseException))
