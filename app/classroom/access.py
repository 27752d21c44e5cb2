"""Who is asking, and what they may do to a session.

Anonymous sessions (the playground without a classroom) are reached by their unguessable id,
as always. A student's session is tagged with its seat (its ``client`` is ``seat:<seat id>``),
and only two callers may reach it:

- the student, whose browser holds the seat's token in the classroom's cookie: reads always;
  changes while the room is open, the seat approved, and the control the change needs not
  locked by the lesson;
- the classroom's teacher (login cookie or bearer token): reads only — spectating is
  read-only; the teacher paces students' sessions through the classroom's own endpoints.

Everyone else gets 403 naming ``session_id``. Every refusal is a ``FieldError`` naming the
field (the control, for a lock), so REST answers and socket ``error`` messages say why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, cast

from starlette.requests import HTTPConnection

from app.classroom.accounts import Accounts, Teacher
from app.classroom.controls import COMMAND_CONTROLS, ROUTE_CONTROLS, LivePatch, locked_in_patch
from app.classroom.rooms import Rooms, SeatOwner
from app.classroom.tokens import digest
from app.controls import REBUILD_CONTROLS
from app.errors import FieldError

SEAT_PREFIX = "seat:"
TEACHER_COOKIE = "bpp_teacher"
READ = "read"
DELETE = "delete"
_UNKNOWN = object()
SETUP_CONTROLS = REBUILD_CONTROLS  # dataset, hidden_layers, activations, loss, init

# REST routes on a session (the path after /api/sessions/{session_id}) → what they need
REST_ACTIONS: dict[tuple[str, str], Any] = {
    ("GET", ""): READ,
    ("DELETE", ""): DELETE,
    ("POST", "/predict"): READ,
    ("POST", "/gradient_check"): READ,
    # the registry's routes: /train (step), /reset, /weights and /biases (weights), /stop (play:
    # when training stops by itself is part of playing)
    **{route: (control,) for route, control in ROUTE_CONTROLS.items()},
}


def seat_cookie(classroom_id: str) -> str:
    """The cookie that holds a student's seat token for one classroom."""
    return f"bpp_seat_{classroom_id}"


def seat_of(client: str) -> str | None:
    """The seat id a session belongs to, or None for an anonymous session."""
    return client[len(SEAT_PREFIX) :] if client.startswith(SEAT_PREFIX) else None


def bearer(conn: HTTPConnection) -> str | None:
    scheme, _, token = conn.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def forbidden(field: str, message: str) -> FieldError:
    return FieldError(field, message, status_code=403, kind="forbidden")


class Gate:
    def __init__(self, accounts: Accounts, rooms: Rooms) -> None:
        self.accounts = accounts
        self.rooms = rooms

    async def teacher(self, conn: HTTPConnection) -> Teacher | None:
        """The teacher logged in on this request: a bearer token, else the login cookie."""
        known = getattr(conn.state, "bpp_teacher", _UNKNOWN)  # once per request or socket
        if known is not _UNKNOWN:
            return cast("Teacher | None", known)  # what this method stored below
        token = bearer(conn) or conn.cookies.get(TEACHER_COOKIE)
        teacher = await asyncio.to_thread(self.accounts.teacher_for, token) if token else None
        conn.state.bpp_teacher = teacher
        return teacher

    def holds_seat(self, conn: HTTPConnection, owner: SeatOwner) -> bool:
        token = conn.cookies.get(seat_cookie(owner.classroom_id))
        if not token:
            return False
        return len(token) <= 256 and digest(token) == owner.token_hash

    async def check(self, conn: HTTPConnection, client: str, action: Any) -> None:
        """Raise ``FieldError`` (403) unless this caller may do ``action`` to a session owned
        by ``client``: ``READ``, ``DELETE``, or a tuple of the controls a change needs."""
        seat_id = seat_of(client)
        if seat_id is None:
            return
        owner = await asyncio.to_thread(self.rooms.owner, seat_id)
        if owner is None:
            raise forbidden("session_id", "this session's classroom seat no longer exists")
        if owner.seat_status != "removed" and self.holds_seat(conn, owner):
            self.check_student(owner, action)
            return
        teacher = await self.teacher(conn)
        if teacher is not None and teacher.id == owner.teacher_id:
            if action != READ:
                raise forbidden(
                    "session_id",
                    "spectating is read-only: pace your students from the classroom's "
                    "dashboard (pause, step, reset all)",
                )
            return
        raise forbidden(
            "session_id",
            "this session belongs to a student's seat in a classroom: only that student and "
            "their teacher may open it",
        )

    @staticmethod
    def check_student(owner: SeatOwner, action: Any) -> None:
        if action == READ:
            return
        if action == DELETE:
            raise forbidden(
                "session_id",
                "a classroom seat's session cannot be deleted; it stays with the classroom",
            )
        if owner.seat_status == "waiting":
            raise forbidden("session_id", "your teacher has not let you in yet")
        if not owner.classroom_open:
            raise forbidden("session_id", "the classroom is closed: your work is read-only now")
        if isinstance(action, LivePatch):  # a live change: refused only where a value changes
            action = tuple(locked_in_patch(owner.setup, action.fields, owner.locks))
        locked = [c for c in action if c in owner.locks]
        if locked:
            raise forbidden(locked[0], f"your teacher has locked {locked[0]} in this lesson")

    async def check_rest(self, conn: HTTPConnection, client: str, method: str, rest: str) -> None:
        """``check`` for a REST call: ``rest`` is the path after the session's id."""
        if seat_of(client) is None:
            return
        action = REST_ACTIONS.get((method, rest))
        if action is None:
            if method in ("GET", "HEAD"):
                action = READ
            elif method == "PATCH" and rest == "":
                action = await self._patch_controls(conn)
            else:  # any other change: allowed only while no setup control is locked
                action = SETUP_CONTROLS
        await self.check(conn, client, action)

    @staticmethod
    async def _patch_controls(conn: HTTPConnection) -> Any:
        try:
            body = await conn.json()  # type: ignore[attr-defined]
        except Exception:  # the route answers malformed bodies itself
            return ()
        return LivePatch.of(body) if isinstance(body, dict) else ()

    def command_guard(
        self, conn: HTTPConnection, client: str
    ) -> Callable[[Any], Awaitable[None]] | None:
        """What checks each command a viewer sends on ``client``'s session, decided once when
        the viewer connects (a session's owner never changes): None for a session no seat owns
        — nothing to check, so its commands never come here — else ``check_command`` for this
        connection, which reads the seat, the room and the locks afresh for every command."""
        if seat_of(client) is None:
            return None
        return partial(self.check_command, conn, client)

    async def check_command(self, conn: HTTPConnection, client: str, command: Any) -> None:
        """``check`` for a WebSocket command of a viewer of the session."""
        if seat_of(client) is None:
            return
        kind = command.type
        if kind == "set":
            action: Any = LivePatch.of(command.training.model_dump())
        else:
            control = COMMAND_CONTROLS.get(kind, "step")
            action = (control,) if control else ()
        await self.check(conn, client, action)
