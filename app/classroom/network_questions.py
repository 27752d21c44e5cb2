"""A network question on the student's own session (issue 18): where each student is, what
their session must hide while the question is open, and the round trip for its expected value.

The expected value is computed **where the network lives**: the trainer holding the student's
session answers ``Quantity`` with ``engine.questions.expected_value`` on the parameters of that
moment. While a network question is open for a student, their session is told to ``Conceal``
the quantity (and what gives it away) and to stay frozen; it is lifted once they are done
(right, attempts used up, or answered when feedback waits for the reveal) or when the teacher
reveals.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from app.classroom.grading import answered_for_good
from app.classroom.rooms import Classroom, Seat
from app.classroom.steps import step_at
from app.classroom.teaching import Teaching
from app.commands import Conceal, Quantity
from app.errors import FieldError
from app.store.answers import Answer, Answers
from engine.questions import hidden_fields

log = logging.getLogger(__name__)


class NetworkQuestions:
    def __init__(self, teaching: Teaching, answers: Answers):
        self.teaching = teaching
        self.answers = answers

    # ---- where each student is ----------------------------------------------------------------

    @staticmethod
    def open_index(room: Classroom) -> int | None:
        """The open step (a lesson without steps is always on its one step)."""
        return room.step_open if room.steps else 0

    async def current(self, room: Classroom, seat: Seat) -> int | None:
        """The step ``seat`` is on: the open one in class mode; in self mode where the student
        went (at most the open one; a newcomer lands on the open one)."""
        n = self.open_index(room)
        if n is None or room.step_mode != "self":
            return n
        own = await asyncio.to_thread(self.answers.seat_step, seat.id)
        return n if own is None else min(own, n)

    # ---- what the student's session hides -----------------------------------------------------

    def concealment(self, room: Classroom, n: int | None, row: Answer | None) -> Conceal:
        """What seat's session must hide while on step ``n`` (empty: nothing)."""
        if n is None:
            return Conceal()
        q = step_at(room, n).get("question")
        if not q or q.get("kind") != "network" or n in room.revealed or answered_for_good(q, row):
            return Conceal()
        name = q["quantity"]["name"]
        return Conceal(
            fields=sorted(hidden_fields([name])),
            frozen=f"step {n}: {q['prompt'][:80]}",
            hold_probe=q.get("sample") is None,
        )

    async def sync_seat(self, room: Classroom, seat: Seat) -> str | None:
        """Tell the seat's session what to hide now; an error message if it failed."""
        handle = await self.teaching.handle(seat)
        if handle is None:
            return None
        n = await self.current(room, seat)
        row = None if n is None else await asyncio.to_thread(self.answers.get, seat.id, n)
        try:
            await handle.call(self.concealment(room, n, row))
        except FieldError as exc:
            return exc.message
        return None

    async def check_thawed(self, room: Classroom, seat: Seat) -> None:
        """Refuse a new setup while a network question is open for the seat (409)."""
        n = await self.current(room, seat)
        if n is None:
            return
        row = await asyncio.to_thread(self.answers.get, seat.id, n)
        c = self.concealment(room, n, row)
        if c.frozen is not None:
            raise FieldError(
                "setup",
                f"your network is frozen while the question {c.frozen!r} is open: answer it "
                "first (or wait for your teacher's reveal)",
                409,
            )

    # ---- its expected value, asked of the student's network -----------------------------------

    async def expected(self, q: dict[str, Any], seat: Seat) -> dict[str, Any]:
        """The expected value on the student's own network now, computed by its trainer."""
        handle = await self.teaching.handle(seat)
        if handle is None:
            raise FieldError("seat", "you have no network yet: reload the page", 409)
        quantity = q["quantity"]
        try:
            data = await handle.call(
                Quantity(
                    name=quantity["name"],
                    layer=quantity.get("layer"),
                    unit=quantity.get("unit"),
                    source=quantity.get("source"),
                    sample=q.get("sample"),
                )
            )
        except FieldError as exc:  # the question does not fit this network: the teacher's
            raise FieldError(
                "step", f"this question does not fit your network ({exc.field}: {exc.message})", 409
            ) from None
        return orjson.loads(data or b"{}")

    async def keep_unanswered_expected(
        self, room: Classroom, seats: list[Seat], n: int, q: dict[str, Any]
    ) -> None:
        """Each active student on step ``n`` who never answered its network question gets the
        expected value on their own network — still frozen as they saw it — kept in their row,
        so the reveal shows them their own number (an answered row has it already)."""

        async def keep(seat: Seat) -> None:
            if seat.status == "active" and await self.current(room, seat) == n:
                await self.keep_expected(room, seat, n, q)

        await asyncio.gather(*(keep(s) for s in seats))

    async def keep_expected(
        self, room: Classroom, seat: Seat, n: int, q: dict[str, Any]
    ) -> Answer | None:
        """The seat's row of step ``n`` holding the expected value on the seat's network now,
        unless an attempt keeps one already; the row as it is then (None: no network)."""
        row = await asyncio.to_thread(self.answers.get, seat.id, n)
        if row is not None and row.attempts > 0:
            return row
        try:
            got = await self.expected(q, seat)
        except FieldError as exc:  # no network, or the question does not fit it
            log.info("reveal: no expected value for seat %s: %s", seat.id, exc.message)
            return row
        kept = {"expected": got["value"], "sample": got["sample"]}  # as an answer keeps it
        await asyncio.to_thread(
            self.answers.set_unanswered_expected, room.id, seat.id, n, q["kind"], kept
        )
        return await asyncio.to_thread(self.answers.get, seat.id, n)
