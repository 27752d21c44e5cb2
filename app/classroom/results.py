"""What the teacher reads of an activity (issue 18): one step's results for the dashboard
(counts, the distribution, texts, times, one row per seat) and every answer as CSV or JSON.
Read from the store only (``app.store.answers``); names as the dashboard shows them."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from app.classroom.progress import spreadsheet_safe
from app.classroom.rooms import Classroom, Rooms
from app.classroom.steps import step_at
from app.settings import Settings
from app.store.answers import Answers


class Results:
    def __init__(self, rooms: Rooms, answers: Answers, settings: Settings) -> None:
        self.rooms = rooms
        self.answers = answers
        self.settings = settings

    async def results(self, room: Classroom, n: int) -> dict[str, Any]:
        step = step_at(room, n)
        q = step.get("question") or {}
        seats = {s.id: s for s in await asyncio.to_thread(self.rooms.seats_of, room.id)}
        rows = [
            r
            for r in await asyncio.to_thread(self.answers.of_step, room.id, n)
            if r.seat_id in seats
        ]
        answered = [r for r in rows if r.attempts > 0]
        active = sum(1 for s in seats.values() if s.status == "active")

        def name(seat_id: str) -> str:
            s = seats[seat_id]
            return s.label if room.hide_names else s.name

        distribution: dict[str, Any] = {}
        if q.get("kind") in ("network", "number"):
            values = [
                float(r.answer["value"]) for r in answered if r.answer and "value" in r.answer
            ]
            distribution = {"histogram": histogram(values, self.settings.results_histogram_bins)}
        elif q.get("options"):
            counts = [0] * len(q["options"])
            for r in answered:
                for i in (r.answer or {}).get("choices", []):
                    if 0 <= i < len(counts):
                        counts[i] += 1
            distribution = {"choices": counts}
        return {
            "step": n,
            "kind": q.get("kind"),
            "seats": max(active, len(answered)),
            "answered": len(answered),
            "correct": sum(1 for r in answered if r.correct is True),
            "incorrect": sum(1 for r in answered if r.correct is False),
            "unanswered": max(0, active - len(answered)),
            "distribution": distribution,
            "texts": [
                {"seat_id": r.seat_id, "name": name(r.seat_id), "text": r.answer["text"]}
                for r in answered
                if r.answer and "text" in r.answer
            ],
            "seconds": [r.seconds for r in answered if r.seconds is not None],
            "rows": [
                {
                    "seat_id": r.seat_id,
                    "name": name(r.seat_id),
                    "answer": r.answer if r.attempts else None,
                    "correct": r.correct,
                    "attempts": r.attempts,
                    "seconds": r.seconds if r.attempts else None,
                }
                for r in rows
            ],
        }

    async def export_rows(self, room: Classroom) -> list[dict[str, Any]]:
        """One row per student per step they reached (answered or not)."""
        seats = {s.id: s for s in await asyncio.to_thread(self.rooms.seats_of, room.id)}
        rows = await asyncio.to_thread(self.answers.of_classroom, room.id)
        return [
            {
                "seat": r.seat_id,
                "number": seats[r.seat_id].number if r.seat_id in seats else None,
                "name": seats[r.seat_id].name if r.seat_id in seats else "",
                "step": r.step,
                "kind": r.kind,
                "answer": r.answer if r.attempts else None,
                "correct": r.correct,
                "attempts": r.attempts,
                "seconds": r.seconds if r.attempts else None,
                "answered_at": r.answered_at.isoformat() if r.answered_at else None,
            }
            for r in rows
        ]

    async def csv_text(self, room: Classroom) -> str:
        out = io.StringIO()
        w = csv.writer(out)
        head = ["seat", "name", "step", "kind", "answer", "correct", "attempts", "seconds",
                "answered_at"]  # fmt: skip
        w.writerow(head)
        for r in await self.export_rows(room):
            w.writerow(
                [
                    r["seat"],
                    spreadsheet_safe(r["name"]),
                    r["step"],
                    r["kind"],
                    spreadsheet_safe(shown_answer(r["answer"])),
                    "" if r["correct"] is None else ("yes" if r["correct"] else "no"),
                    r["attempts"],
                    "" if r["seconds"] is None else round(r["seconds"], 3),
                    r["answered_at"] or "",
                ]
            )
        return out.getvalue()


def shown_answer(answer: dict[str, Any] | None) -> str:
    """An answer as one CSV cell: the number, the chosen options, or the text."""
    if not answer:
        return ""
    if "value" in answer:
        return repr(float(answer["value"]))
    if "choices" in answer:
        return " ".join(str(i) for i in answer["choices"])
    return str(answer.get("text", ""))


def histogram(values: list[float], bins: int) -> list[dict[str, float]]:
    """Equal-width bins over the answers' range: ``[{lo, hi, count}]`` (empty: no answers)."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    if hi == lo:
        return [{"lo": lo, "hi": hi, "count": len(values)}]
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    return [
        {"lo": lo + i * width, "hi": lo + (i + 1) * width, "count": c} for i, c in enumerate(counts)
    ]
