"""An activity in a classroom (issue 18): pacing the steps, students' answers checked and
recorded, what each student may see, the teacher's results and exports.

Where things happen: a network question's expected value is computed **where the network
lives** — the trainer holding the student's session answers ``Quantity`` with
``engine.questions.expected_value`` on the parameters of that moment — and this module, in the
web process, parses the student's number (``parse_answer``), compares (``is_close``), counts the
attempts and records the row (``app.store.answers``) before it replies. While a network
question is open for a student, their session is told to ``Conceal`` the quantity (and what
gives it away) and to stay frozen; it is lifted once they are done (right, attempts used up,
or answered when feedback waits for the reveal) or when the teacher reveals.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson

from app import encoding
from app.classroom.activity import AnswerIn
from app.classroom.batching import Coalescer
from app.classroom.results import Results
from app.classroom.rooms import Classroom, Rooms, Seat
from app.classroom.steps import effective_steps, step_at
from app.classroom.teaching import Teaching
from app.commands import Conceal, Quantity
from app.errors import FieldError
from app.settings import Settings
from app.store.answers import Answer, Answers, Attempt
from engine.errors import SpecError
from engine.questions import hidden_fields, is_close, parse_answer

log = logging.getLogger(__name__)

CHECKED = ("network", "number", "choice")  # kinds with a right answer


def _no_answer(question: dict[str, Any]) -> dict[str, Any]:
    """A question as a student may read it before the reveal: no correct answer (a choice
    question says only whether several options are correct: checkboxes, not radios)."""
    out = {k: v for k, v in question.items() if k not in ("correct", "answer", "explanation")}
    if question.get("kind") == "choice":
        out["multiple"] = len(question.get("correct") or ()) > 1
    return out


def answered_for_good(question: dict[str, Any] | None, row: Answer | None) -> bool:
    """No more attempts: right, attempts used up, or (feedback at the reveal) answered; a
    prediction is recorded once, before the run it predicts (never changed after it)."""
    if question is None or row is None or row.attempts == 0:
        return False
    if question.get("kind") == "prediction":
        return True
    if row.correct is True or row.attempts >= question.get("max_attempts", 1):
        return True
    return question.get("feedback") == "reveal"


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
        # a class answering at once: one read and one transaction per batch, not per answer
        self.rows: Coalescer[tuple[str, int], Answer | None] = Coalescer(
            answers.get_many, settings.answer_batch
        )
        self.attempts: Coalescer[Attempt, Answer] = Coalescer(
            answers.record_many, settings.answer_batch
        )

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

    def done(self, question: dict[str, Any] | None, row: Answer | None) -> bool:
        return answered_for_good(question, row)

    def concealment(self, room: Classroom, n: int | None, row: Answer | None) -> Conceal:
        """What seat's session must hide while on step ``n`` (empty: nothing)."""
        if n is None:
            return Conceal()
        q = step_at(room, n).get("question")
        if not q or q.get("kind") != "network" or n in room.revealed or self.done(q, row):
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

    async def on_new_session(self, room: Classroom, seat_id: str) -> None:
        """A seat got a new session (joined, pushed, a new setup): it hides what its step's
        open question asks at once, before the page reads anything."""
        if not room.steps or room.step_open is None:
            return
        fresh = await asyncio.to_thread(self.rooms.classroom, room.id)
        seat = await asyncio.to_thread(self.rooms.seat, seat_id)
        if fresh is not None and seat is not None:
            await self.open_rows(fresh, [seat.id], await self.current(fresh, seat))
            await self.sync_seat(fresh, seat)

    async def sync_all(self, room: Classroom) -> dict[str, str]:
        seats = await asyncio.to_thread(self.rooms.seats_of, room.id)
        results = await asyncio.gather(*(self.sync_seat(room, s) for s in seats))
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
                await self.keep_unanswered_expected(room, seats, n, step["question"])
            revealed = sorted({*room.revealed, n})
            updated = await asyncio.to_thread(
                self.rooms.update_classroom, room.id, revealed=revealed
            )
            room = updated or room
        failed = await self.sync_all(room)
        await self.announce(room, [s for s in seats if s.status == "active"], "reveal", n)
        return {**self.pacing(room), "failed": failed}

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
            got = await self._expected(q, seat)
        except FieldError as exc:  # no network, or the question does not fit it
            log.info("reveal: no expected value for seat %s: %s", seat.id, exc.message)
            return row
        kept = {"expected": got["value"], "sample": got["sample"]}  # as an answer keeps it
        await asyncio.to_thread(
            self.answers.set_unanswered_expected, room.id, seat.id, n, q["kind"], kept
        )
        return await asyncio.to_thread(self.answers.get, seat.id, n)

    async def move(self, room: Classroom, seat: Seat, n: int) -> dict[str, Any]:
        """A self-paced student goes to step ``n`` (at most the open one): its setup, if it
        has one, becomes their session; what to hide follows."""
        top = self.open_index(room)
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
        await self.sync_seat(room, seat)
        return await self.view(room, seat)

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

    # ---- a student answers -------------------------------------------------------------------

    async def answer(self, room: Classroom, seat: Seat, n: int, body: AnswerIn) -> dict[str, Any]:
        if not room.open:
            raise FieldError("classroom_id", "the classroom is closed", status_code=409)
        if seat.status != "active":
            raise FieldError("seat", "your teacher has not let you in yet", 403, kind="forbidden")
        if await self.current(room, seat) != n:
            raise FieldError("step", f"step {n} is not open to you", 403, kind="forbidden")
        q = step_at(room, n).get("question")
        if not q:
            raise FieldError("step", f"step {n} has no question", 409)
        if n in room.revealed:
            raise FieldError("answer", "the answer is revealed already", 409)
        row = await self.rows((seat.id, n))
        if self.done(q, row):
            raise FieldError("answer", "you have answered this question (no attempts left)", 409)
        answer, correct = await self._check(q, seat, body)
        row = await self.attempts((room.id, seat.id, n, q["kind"], answer, correct))
        if q["kind"] == "network" and self.done(q, row):
            await self.sync_seat(room, seat)
        out = self.answer_out(room, n, q, row)
        assert out is not None  # a recorded attempt is shown
        return out

    async def _check(
        self, q: dict[str, Any], seat: Seat, body: AnswerIn
    ) -> tuple[dict[str, Any], bool | None]:
        kind = q["kind"]
        if kind in ("network", "number"):
            if body.value is None:
                raise FieldError("value", "type a number (a decimal point or comma)")
            try:
                value = parse_answer(body.value, "value")  # type: ignore[arg-type]
            except SpecError as exc:
                raise FieldError(exc.field, exc.message) from None
            if kind == "number":
                return {"value": value}, is_close(value, float(q["answer"]), q["tolerance"])
            expected = await self._expected(q, seat)
            return (
                {"value": value, "expected": expected["value"], "sample": expected["sample"]},
                is_close(value, expected["value"], q["tolerance"]),
            )
        if kind == "choice" or (kind == "prediction" and q.get("options")):
            choices = body.choices
            n_options = len(q["options"])
            if not choices:
                raise FieldError("choices", "choose at least one option")
            if len(set(choices)) != len(choices) or any(not 0 <= i < n_options for i in choices):
                raise FieldError("choices", f"options are 0 to {n_options - 1}, each once")
            several = kind == "choice" and len(q["correct"]) > 1
            if not several and len(choices) != 1:
                raise FieldError("choices", "choose one option")
            if kind == "prediction":
                return {"choices": choices}, None
            return {"choices": sorted(choices)}, sorted(choices) == sorted(q["correct"])
        text = (body.text or "").strip()
        if not text:
            raise FieldError("text", "write your answer")
        if len(text) > self.settings.max_answer_chars:
            raise FieldError(
                "text", f"at most {self.settings.max_answer_chars} characters (max_answer_chars)"
            )
        return {"text": text}, None

    async def _expected(self, q: dict[str, Any], seat: Seat) -> dict[str, Any]:
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

    def answer_out(
        self, room: Classroom, n: int, q: dict[str, Any], row: Answer | None
    ) -> dict[str, Any] | None:
        """``AnswerOut``: what the student may see of their row now."""
        if row is None or row.attempts == 0:
            return None
        revealed = n in room.revealed
        done = self.done(q, row)
        shown = revealed or (q.get("feedback") == "immediate" and done)
        answer = {k: v for k, v in (row.answer or {}).items() if k != "expected"}
        if q.get("feedback") == "reveal" and not revealed:
            correct = None
        else:
            correct = row.correct
        out: dict[str, Any] = {
            "step": n,
            "kind": row.kind,
            "correct": correct,
            "attempts": row.attempts,
            "attempts_left": 0 if done else max(0, q.get("max_attempts", 1) - row.attempts),
            "answer": answer,
            "revealed": revealed,
            "expected": None,
            "explanation": None,
        }
        if shown:
            out["expected"] = self._expected_of(q, row)
            out["explanation"] = q.get("explanation") or None
        return out

    @staticmethod
    def _expected_of(q: dict[str, Any], row: Answer | None) -> Any:
        if q["kind"] == "network":
            return (row.answer or {}).get("expected") if row else None
        if q["kind"] == "number":
            return q["answer"]
        if q["kind"] == "choice":
            return q["correct"]
        return None

    # ---- what a student reads ------------------------------------------------------------------

    async def view(self, room: Classroom, seat: Seat) -> dict[str, Any]:
        """The student's activity: the steps up to the open one, the current one open, the
        earlier ones read-only, no correct answer before the reveal."""
        top = self.open_index(room)
        current = await self.current(room, seat)
        steps = effective_steps(room)
        rows = {r.step: r for r in await asyncio.to_thread(self.answers.of_seat, seat.id)}
        question = steps[current].get("question") if current is not None else None
        if question and current not in rows and seat.status == "active":
            await self.open_rows(room, [seat.id], current)  # a late joiner: timed from now
            await self.sync_seat(room, seat)
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
                "question": _no_answer(q) if q else None,
                "state": state,
                "answer": self.answer_out(room, i, q, row) if q else None,
                "revealed": revealed,
            }
            if q and revealed:
                if (
                    q.get("kind") == "network"
                    and self._expected_of(q, row) is None
                    and i == current
                    and seat.status == "active"
                ):  # on the step after its reveal (a late joiner): their own network's value
                    row = await self.keep_expected(room, seat, i, q)
                entry["expected"] = self._expected_of(q, row)
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
