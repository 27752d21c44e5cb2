"""What each student of a classroom has done, read from their sessions: the latest summary
and the challenge's verdict per seat (recorded on the seat the first time it is met), the
leaderboard, where each setup differs from the lesson's, and the class exported as CSV or as
re-creatable sessions. ``Teaching`` (which acts on the sessions) is built on it.
"""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from app.classroom.controls import differences, total_hidden_units
from app.classroom.rooms import Classroom, Rooms, Seat
from app.commands import Export, Summary
from app.errors import FieldError
from app.web.registry import LocalRegistry
from app.web.session import SessionHandle

BOARD_SECONDS = 3.0


class ClassProgress:
    """The reading half of ``Teaching``: on its registry and rooms, with its leaderboard's
    cache (``_boards``)."""

    registry: LocalRegistry
    rooms: Rooms
    _boards: dict[tuple[str, bool], tuple[float, list[dict[str, Any]]]]

    async def handle(self, seat: Seat) -> SessionHandle | None:
        if seat.session_id is None or seat.status != "active":
            return None
        return await self.registry.find(seat.session_id)

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
