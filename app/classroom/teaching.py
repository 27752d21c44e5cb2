"""What a classroom does to its students' sessions: seat a student (a session cloned from the
lesson), replace a student's setup within the locks, pace the whole class, push a changed
lesson, judge the challenge, and export the class.

Students' sessions are ordinary sessions of the registry, created for the client
``seat:<seat id>`` — so limits count per seat, not per address (a class behind one school NAT
is many seats), and ``access`` knows whose they are.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from app.classroom.access import SEAT_PREFIX
from app.classroom.controls import changed_controls, differences, total_hidden_units
from app.classroom.rooms import Classroom, Rooms, Seat
from app.commands import Export, Summary, Train
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

BOARD_SECONDS = 3.0
PACE_OPS = ("pause", "play", "step", "step_sample", "reset")

# the class-wide commands of ``pace`` that are one command of each session
PACE: dict[str, PlayCommand | PauseCommand | ResetCommand] = {
    "play": PlayCommand(type="play"),
    "pause": PauseCommand(type="pause"),
    "reset": ResetCommand(type="reset"),
}


def client_of(seat: Seat) -> str:
    return SEAT_PREFIX + seat.id


class Teaching:
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

    async def handle(self, seat: Seat) -> SessionHandle | None:
        if seat.session_id is None or seat.status != "active":
            return None
        return await self.registry.find(seat.session_id)

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

    # ---- what each student has done ----------------------------------------------------------

    async def progress(self, room: Classroom) -> list[dict[str, Any]]:
        """Per seat: the latest summary of its session (epoch, losses, status, metrics) and
        whether it meets the challenge now (recorded on the seat the first time it does)."""
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)

        async def one(seat: Seat) -> dict[str, Any]:
            row: dict[str, Any] = {"seat": seat, "summary": None, "config": None}
            h = await self.handle(seat)
            if h is None:
                return row
            try:
                row["summary"] = orjson.loads(await h.call(Summary()) or b"null")
                row["config"] = (row["summary"] or {}).get("setup")
            except FieldError as exc:
                row["error"] = exc.message
            return row

        rows = await asyncio.gather(*(one(s) for s in seats))
        for row in rows:
            met = self.meets(room, row)
            row["challenge_met"] = row["seat"].challenge_met
            if met is not None and row["seat"].challenge_met is None and room.challenge_active:
                await asyncio.to_thread(self.rooms.update_seat, row["seat"].id, challenge_met=met)
                row["challenge_met"] = met
        return list(rows)

    @staticmethod
    def meets(room: Classroom, row: dict[str, Any]) -> dict[str, Any] | None:
        """The challenge's verdict for one seat now: what met it, or None."""
        c, summary, config = room.challenge, row.get("summary"), row.get("config")
        if not c or not summary or not config:
            return None
        test = (summary.get("loss") or {}).get("test")
        if test is None:
            test = (summary.get("loss") or {}).get("train")
        below = c.get("test_loss_below")
        if test is None or below is None or not test < below:
            return None
        units = total_hidden_units(config)
        if c.get("max_hidden_units") is not None and units > c["max_hidden_units"]:
            return None
        return {
            "epoch": summary.get("epoch"),
            "test_loss": test,
            "hidden_units": units,
            "at": datetime.now(UTC).isoformat(),
        }

    async def leaderboard(self, room: Classroom, names: bool) -> list[dict[str, Any]]:
        """Seats within the challenge's unit budget, best test loss first. Read at most every
        ``BOARD_SECONDS`` per classroom however many students ask (each read asks every
        student's session)."""
        key = (room.id, names)
        now = time.monotonic()
        kept = self._boards.get(key)
        if kept is not None and now - kept[0] < BOARD_SECONDS:
            return kept[1]
        board = await self._leaderboard(room, names)
        if len(self._boards) > 1000:
            self._boards.clear()
        self._boards[key] = (now, board)
        return board

    async def _leaderboard(self, room: Classroom, names: bool) -> list[dict[str, Any]]:
        rows = await self.progress(room)
        board = []
        for row in rows:
            s, seat = row["summary"], row["seat"]
            if not s or not row["config"]:
                continue
            units = total_hidden_units(row["config"])
            limit = (room.challenge or {}).get("max_hidden_units")
            if limit is not None and units > limit:
                continue
            loss = s["loss"].get("test")
            if loss is None:
                loss = s["loss"].get("train")
            board.append(
                {
                    "seat": seat.id,
                    "name": seat.name if names else seat.label,
                    "test_loss": loss,
                    "epoch": s["epoch"],
                    "hidden_units": units,
                    "met": row["challenge_met"] is not None,
                }
            )
        board.sort(key=lambda r: (r["test_loss"] is None, r["test_loss"] or 0.0))
        return board

    async def csv_text(self, room: Classroom) -> str:
        """The class as CSV: one row per student."""
        rows = await self.progress(room)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            [
                "student",
                "number",
                "status",
                "epochs",
                "train_loss",
                "test_loss",
                "settings_changed",
                "hidden_layers",
                "activations",
                "learning_rate",
                "challenge_met",
            ]
        )
        for row in rows:
            seat, s, config = row["seat"], row["summary"] or {}, row["config"]
            changed = differences(room.setup, config, shown=True) if config else {}
            net = (config or {}).get("network", {})
            w.writerow(
                [
                    spreadsheet_safe(seat.name),
                    seat.number,
                    s.get("status", seat.status),
                    s.get("epoch", ""),
                    (s.get("loss") or {}).get("train", ""),
                    _blank((s.get("loss") or {}).get("test")),
                    spreadsheet_safe("; ".join(f"{k}={v}" for k, v in changed.items())),
                    " ".join(str(u) for u in net.get("hidden_layers", [])),
                    " ".join(net.get("activations") or []),
                    (config or {}).get("training", {}).get("learning_rate", ""),
                    "yes" if row["challenge_met"] else "no",
                ]
            )
        return out.getvalue()

    async def differs(self, room: Classroom, seats: list[Seat]) -> dict[str, dict[str, Any]]:
        """Seat id → where its session's setup differs from the lesson's (``differences``,
        the locks' compare), for every seat with a live session."""

        async def one(seat: Seat) -> tuple[str, dict[str, Any] | None]:
            h = await self.handle(seat)
            if h is None:
                return seat.id, None
            try:
                config = (orjson.loads(await h.call(Summary()) or b"null") or {}).get("setup")
            except FieldError:
                return seat.id, None
            return seat.id, differences(room.setup, config, shown=True) if config else None

        pairs = await asyncio.gather(*(one(s) for s in seats))
        return {k: v for k, v in pairs if v is not None}

    async def sessions_json(self, room: Classroom) -> dict[str, Any]:
        """The classroom and every student's session as an export (re-creatable bit for
        bit with ``POST /api/sessions``)."""
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        out = []
        for seat in seats:
            entry: dict[str, Any] = {**seat.json(), "session": None}
            h = await self.handle(seat)
            if h is not None:
                try:
                    entry["session"] = orjson.loads(await h.call(Export()) or b"null")
                except FieldError as exc:
                    entry["error"] = exc.message
            out.append(entry)
        return {"classroom": room.json(), "seats": out}


def _blank(x: Any) -> Any:
    return "" if x is None else x


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a name like ``=HYPERLINK(...)``)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
