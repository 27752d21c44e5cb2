"""A student's answer, checked (issue 18): the number parsed (``parse_answer``, a decimal comma
is fine) and compared (``is_close``), the options and the text validated, and what the student
may see of their recorded row (``AnswerOut``). No I/O here: a network question's expected value
is asked of the student's session by ``app.classroom.network_questions``, and the row is
recorded by ``app.classroom.answers`` (``app.store.answers``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from app.classroom.activity import AnswerIn
from app.classroom.rooms import Classroom
from app.errors import FieldError
from app.store.answers import Answer
from engine.errors import SpecError
from engine.questions import is_close, parse_answer

CHECKED = ("network", "number", "choice")  # kinds with a right answer


def no_answer(question: dict[str, Any]) -> dict[str, Any]:
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


async def check_answer(
    q: dict[str, Any],
    body: AnswerIn,
    max_answer_chars: int,
    expected_value: Callable[[], Awaitable[dict[str, Any]]],
) -> tuple[dict[str, Any], bool | None]:
    """The answer as its row keeps it and whether it is right (None: only recorded); a network
    question's expected value comes from ``expected_value()`` (the student's own network)."""
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
        expected = await expected_value()
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
    if len(text) > max_answer_chars:
        raise FieldError("text", f"at most {max_answer_chars} characters (max_answer_chars)")
    return {"text": text}, None


def answer_out(
    room: Classroom, n: int, q: dict[str, Any], row: Answer | None
) -> dict[str, Any] | None:
    """``AnswerOut``: what the student may see of their row now."""
    if row is None or row.attempts == 0:
        return None
    revealed = n in room.revealed
    done = answered_for_good(q, row)
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
        out["expected"] = expected_of(q, row)
        out["explanation"] = q.get("explanation") or None
    return out


def expected_of(q: dict[str, Any], row: Answer | None) -> Any:
    """The correct answer once shown: a network question's is the one kept in the row (the
    student's own network's value)."""
    if q["kind"] == "network":
        return (row.answer or {}).get("expected") if row else None
    if q["kind"] == "number":
        return q["answer"]
    if q["kind"] == "choice":
        return q["correct"]
    return None
