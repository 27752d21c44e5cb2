"""Snapshots (issue 18): a few students' networks as they are now — setup, weights, the loss
curve's tail and the decision boundary — labelled A, B, … without names, for the teacher to
project side by side. Kept in the store per classroom (``app.store.snapshots``, one row) until
cleared, so the dashboard and projector served by any web process — or after a restart — show
the same set."""

from __future__ import annotations

import asyncio
import string
from typing import Any

import orjson

from app.classroom.rooms import Classroom, Rooms
from app.classroom.teaching import Teaching
from app.commands import Export, History, Summary
from app.errors import FieldError
from app.schemas import drop_arrays
from app.settings import Settings
from app.store.snapshots import KeptSnapshots


class Snapshots:
    def __init__(
        self, rooms: Rooms, teaching: Teaching, kept: KeptSnapshots, settings: Settings
    ) -> None:
        self.rooms = rooms
        self.teaching = teaching
        self.kept = kept
        self.settings = settings

    async def take(self, room: Classroom, seat_ids: list[str]) -> list[dict[str, Any]]:
        if len(set(seat_ids)) != len(seat_ids):
            raise FieldError("seats", "each student once")
        out = []
        for i, seat_id in enumerate(seat_ids):
            seat = await asyncio.to_thread(self.rooms.seat, seat_id)
            if seat is None or seat.classroom_id != room.id:
                raise FieldError(f"seats.{i}", f"no seat {seat_id!r} in this classroom", 404)
            handle = await self.teaching.handle(seat)
            if handle is None:
                raise FieldError(f"seats.{i}", f"{seat.label} has no network now", 409)
            export = orjson.loads(await handle.call(Export()) or b"{}")
            summary = orjson.loads(await handle.call(Summary()) or b"{}")
            history = orjson.loads(await handle.call(History()) or b"{}")
            tail = self.settings.snapshot_history_points
            net = export.get("network", {})
            out.append(
                {
                    "label": string.ascii_uppercase[i],
                    "setup": drop_arrays(
                        {k: v for k, v in export.items() if k != "state"}
                        | {"network": dict(net), "dataset": dict(export.get("dataset", {}))}
                    ),
                    "params": {"weights": net.get("weights"), "biases": net.get("biases")},
                    "epoch": summary.get("epoch"),
                    "loss": summary.get("loss"),
                    "history_tail": {
                        k: history.get(k, [])[-tail:] for k in ("epoch", "train", "test")
                    },
                    "boundary": summary.get("thumbnail"),
                }
            )
        await asyncio.to_thread(self.kept.put, room.id, out)
        return out

    async def shown(self, room: Classroom) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.kept.get, room.id)

    async def clear(self, room: Classroom) -> None:
        await asyncio.to_thread(self.kept.clear, room.id)
