"""A learner's score for the LMS gradebook (issue 19): what ``LtiService`` records to post.

- A classroom running an activity with scored questions (numeric on the student's network, a
  number with a fixed answer, a choice; free text and predictions are not scored): the fraction
  of those questions answered right, ``correct / scored``. It is due once the learner is
  *finished*: their last scored step is done (right, attempts used up, or answered when the
  feedback waits for the reveal) or revealed (nothing more to answer).
- Otherwise, a lesson with a challenge: 1 when it is met, else 0; due once it is met.

The teacher's "post grades" records every learner's score as it stands, finished or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.classroom.grading import answered_for_good
from app.classroom.steps import effective_steps
from app.store.answers import Answer

SCORED = ("network", "number", "choice")  # the kinds with a right answer


@dataclass(frozen=True)
class Score:
    value: float  # in [0, 1]
    finished: bool  # due without the teacher's "post grades"


def scored_steps(room: Any) -> list[int]:
    """The indexes of the room's steps whose question has a right answer."""
    return [
        i
        for i, step in enumerate(effective_steps(room))
        if (step.get("question") or {}).get("kind") in SCORED
    ]


def activity_score(room: Any, rows: list[Answer]) -> Score | None:
    """The fraction of the activity's scored questions the seat answered right (``rows``: the
    seat's answers); None when the room's lesson has no scored question."""
    scored = scored_steps(room)
    if not scored:
        return None
    by_step = {r.step: r for r in rows}
    right = sum(1 for i in scored if (r := by_step.get(i)) is not None and r.correct is True)
    last = scored[-1]
    question = effective_steps(room)[last]["question"]
    finished = last in room.revealed or answered_for_good(question, by_step.get(last))
    return Score(right / len(scored), finished)


def challenge_score(seat_challenge_met: Any) -> Score:
    """1 for a met challenge (due at once), else 0 (due on "post grades" only)."""
    met = seat_challenge_met is not None
    return Score(1.0 if met else 0.0, met)
