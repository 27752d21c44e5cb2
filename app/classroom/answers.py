"""An activity in a classroom (issue 18): the teacher paces the steps, a student's answer is
recorded, what each student reads, the teacher's results and exports (``app.classroom.results``).

Where things happen: a network question's expected value is computed **where the network
lives** — the trainer holding the student's session answers ``Quantity`` on the parameters of
that moment (``app.classroom.network_questions``: that round trip, where each student is, and
what their session hides while the question is open) — the student's answer is parsed and
compared in ``app.classroom.grading``, and this module, in the web process, counts the
attempts and records the row (``app.store.answers``) before it replies.
"""

from __future__ import annotations

import asyncio
from typing import Any

from app import encoding
from app.classroom.activity import AnswerIn
from app.classroom.batching import Coalescer
from app.classroom.grading import (
    answer_out,
    answered_for_good,
    check_answer,
    expected_of,
    no_answer,
)
from app.classroom.network_questions import NetworkQuestions
from app.classroom.results import Results
from app.classroom.rooms import Classroom, Rooms, Seat
from app.classroom.steps import effective_steps, step_at
from app.classroom.teaching import Teaching
from app.errors import FieldError
from app.settings import Settings
from app.store.answers import Answer, Answers, Attempt


class Activities:
    def __init__(
        self, rooms: Rooms, teaching: Teaching, answers: Answers, hub: Any, settings: Settings
    ):
        self.rooms = rooms
        self.teaching = teaching
        self.answers = answers
        self.hub = hub
        self.settings = settings
        self.report = Results(rooms, answers, settings)
        self.network = NetworkQuestions(teaching, answers)
        # a class answering at once: one read and one transaction per batch, not per answer
        self.rows: Coalescer[tuple[str, int], Answer | None] = Coalescer(
            answers.get_many, settings.answer_batch
        )
        self.attempts: Coalescer[Attempt, Answer] = Coalescer(
            answers.record_many, settings.answer_batch
        )

    # ---- each seat's session: what it hides (app.classroom.network_questions), what changed --

    async def on_new_session(self, room: Classroom, seat_id: str) -> None:
        """A seat got a new session (joined, pushed, a new setup): it hides what its step's
        open question asks at once, before the page reads anything."""
        if not room.steps or room.step_open is None:
            return
        fresh = await asyncio.to_thread(self.rooms.classroom, room.id)
        seat = await asyncio.to_thread(self.rooms.seat, seat_id)
        if fresh is not None and seat is not None:
            await self.open_rows(fresh, [seat.id], await self.network.current(fresh, seat))
            await self.network.sync_seat(fresh, seat)

    async def sync_all(self, room: Classroom) -> dict[str, str]:
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        results = await asyncio.gather(*(self.network.sync_seat(room, s) for s in seats))
        return {s.id: r for s, r in zip(seats, results, strict=True) if r}

    async def announce(self, room: Classroom, seats: list[Seat], event: str, step: int) -> None:
        """``{"type": "activity"}`` on each seat's stream, on every web process (the hub's
        ``broadcast``: on a bus, through the session's channel): the page reads ``/activity``
        again."""
        text = encoding.dumps(
            {
                "type": "activity",
                "event": event,
                "step": step,
                "step_open": room.step_open,
                "mode": room.step_mode,
                "revealed": list(room.revealed),
            }
        )
        await asyncio.gather(
            *(self.hub.broadcast(s.session_id, "activity", text) for s in seats if s.session_id)
        )

    async def check_thawed(self, room: Classroom, seat: Seat) -> None:
        """Refuse a new setup while a network question is open for the seat (409)."""
        await self.network.check_thawed(room, seat)

    # ---- the teacher paces -------------------------------------------------------------------

    async def open_step(self, room: Classroom, n: int, mode: str) -> dict[str, Any]:
        """Open step ``n``: class mode moves everyone there (its setup, if it has one, becomes
        every student's new session; its locks hold); self mode lets students go up to it."""
        if not room.open:
            raise FieldError("classroom_id", "the classroom is closed", status_code=409)
        steps = effective_steps(room)
        if not room.steps:
            raise FieldError("step", "this lesson has no steps: PUT /lesson with steps first", 409)
        if not 0 <= n < len(steps):
            raise FieldError("step", f"this activity has steps 0 to {len(steps) - 1} (got {n})")
        step = steps[n]
        change: dict[str, Any] = {"step_open": n, "step_mode": mode, "locks": step["locks"]}
        new_setup = step.get("setup")
        fresh_networks = mode == "class" and new_setup is not None and new_setup != room.setup
        if fresh_networks:  # the setup in use already: the students' networks continue
            change["setup"] = new_setup
        updated = await asyncio.to_thread(self.rooms.update_classroom, room.id, **change)
        if updated is None:
            raise FieldError("classroom_id", "this classroom is gone", status_code=404)
        room = updated
        replaced = await self.teaching.push(room, fresh_networks)
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        active = [s for s in seats if s.status == "active"]
        if mode == "class":
            await asyncio.to_thread(self.answers.set_seat_step, [s.id for s in seats], None)
            await self.open_rows(room, [s.id for s in active], n)
        else:
            fresh = [
                s.id for s in seats if await asyncio.to_thread(self.answers.seat_step, s.id) is None
            ]
            await asyncio.to_thread(self.answers.set_seat_step, fresh, n)
        failed = await self.sync_all(room)
        await self.announce(room, active, "open", n)
        return {**self.pacing(room), "replaced": replaced, "failed": failed}

    async def open_rows(self, room: Classroom, seat_ids: list[str], n: int | None) -> None:
        """The seats' answer rows of step ``n`` (a question's only), timed from now."""
        q = None if n is None else step_at(room, n).get("question")
        if q and n is not None:
            await asyncio.to_thread(self.answers.open, room.id, seat_ids, n, q["kind"], None)

    def pacing(self, room: Classroom) -> dict[str, Any]:
        return {
            "step_open": room.step_open,
            "mode": room.step_mode,
            "revealed": list(room.revealed),
            "steps": len(effective_steps(room)),
        }

    async def reveal(self, room: Classroom, n: int) -> dict[str, Any]:
        """The correct answer and the explanation of step ``n`` reach everyone; concealed
        fields come back and frozen networks thaw."""
        step = step_at(room, n)
        if not step.get("question"):
            raise FieldError("step", f"step {n} has no question to reveal", 409)
        if room.step_open is None or n > room.step_open:
            raise FieldError("step", f"step {n} is not opened yet", 409)
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        if n not in room.revealed:
            if step["question"].get("kind") == "network":  # before the networks thaw
                await self.network.keep_unanswered_expected(room, seats, n, step["question"])
            revealed = sorted({*room.revealed, n})
            updated = await asyncio.to_thread(
                self.rooms.update_classroom, room.id, revealed=revealed
            )
            room = updated or room
        failed = await self.sync_all(room)
        await self.announce(room, [s for s in seats if s.status == "active"], "reveal", n)
        return {**self.pacing(room), "failed": failed}

    async def move(self, room: Classroom, seat: Seat, n: int) -> dict[str, Any]:
        """A self-paced student goes to step ``n`` (at most the open one): its setup, if it
        has one, becomes their session; what to hide follows."""
        top = self.network.open_index(room)
        if room.step_mode != "self" or top is None or n > top:
            raise FieldError(
                "step", "your teacher has not opened this step to you", 403, kind="forbidden"
            )
        step = step_at(room, n)
        await asyncio.to_thread(self.answers.set_seat_step, [seat.id], n)
        if step.get("setup") is not None and seat.status == "active":
            await self.teaching.give_session(room, seat, step["setup"])
            moved = await asyncio.to_thread(self.rooms.seat, seat.id)
            seat = moved or seat
        await self.open_rows(room, [seat.id], n)
        await self.network.sync_seat(room, seat)
        return await self.view(room, seat)

    # ---- a student answers -------------------------------------------------------------------

    async def answer(self, room: Classroom, seat: Seat, n: int, body: AnswerIn) -> dict[str, Any]:
        if not room.open:
            raise FieldError("classroom_id", "the classroom is closed", status_code=409)
        if seat.status != "active":
            raise FieldError("seat", "your teacher has not let you in yet", 403, kind="forbidden")
        if await self.network.current(room, seat) != n:
            raise FieldError("step", f"step {n} is not open to you", 403, kind="forbidden")
        q = step_at(room, n).get("question")
        if not q:
            raise FieldError("step", f"step {n} has no question", 409)
        if n in room.revealed:
            raise FieldError("answer", "the answer is revealed already", 409)
        row = await self.rows((seat.id, n))
        if answered_for_good(q, row):
            raise FieldError("answer", "you have answered this question (no attempts left)", 409)
        answer, correct = await check_answer(
            q, body, self.settings.max_answer_chars, lambda: self.network.expected(q, seat)
        )
        row = await self.attempts((room.id, seat.id, n, q["kind"], answer, correct))
        if q["kind"] == "network" and answered_for_good(q, row):
            await self.network.sync_seat(room, seat)
        out = answer_out(room, n, q, row)
        assert out is not None  # a recorded attempt is shown
        return out

    # ---- what a student reads ------------------------------------------------------------------

    async def view(self, room: Classroom, seat: Seat) -> dict[str, Any]:
        """The student's activity: the steps up to the open one, the current one open, the
        earlier ones read-only, no correct answer before the reveal."""
        top = self.network.open_index(room)
        current = await self.network.current(room, seat)
        steps = effective_steps(room)
        rows = {r.step: r for r in await asyncio.to_thread(self.answers.of_seat, seat.id)}
        question = steps[current].get("question") if current is not None else None
        if question and current not in rows and seat.status == "active":
            await self.open_rows(room, [seat.id], current)  # a late joiner: timed from now
            await self.network.sync_seat(room, seat)
        out = []
        for i, step in enumerate(steps[: (top + 1) if top is not None else 0]):
            q = step.get("question")
            revealed = i in room.revealed
            row = rows.get(i)
            state = "open" if i == current else "done"
            if room.step_mode == "self" and i != current:
                state = "done" if (row and row.attempts) else "open"
            entry: dict[str, Any] = {
                "index": i,
                "title": step.get("title", ""),
                "instructions": step.get("instructions", ""),
                "locks": step.get("locks", []),
                "question": no_answer(q) if q else None,
                "state": state,
                "answer": answer_out(room, i, q, row) if q else None,
                "revealed": revealed,
            }
            if q and revealed:
                if (
                    q.get("kind") == "network"
                    and expected_of(q, row) is None
                    and i == current
                    and seat.status == "active"
                ):  # on the step after its reveal (a late joiner): their own network's value
                    row = await self.network.keep_expected(room, seat, i, q)
                entry["expected"] = expected_of(q, row)
                entry["explanation"] = q.get("explanation") or None
            out.append(entry)
        return {"step_open": top, "mode": room.step_mode, "current": current, "steps": out}

    # ---- what the teacher reads (app.classroom.results) ----------------------------------------

    async def results(self, room: Classroom, n: int) -> dict[str, Any]:
        return await self.report.results(room, n)

    async def export_rows(self, room: Classroom) -> list[dict[str, Any]]:
        return await self.report.export_rows(room)

    async def csv_text(self, room: Classroom) -> str:
        return await self.report.csv_text(room)
