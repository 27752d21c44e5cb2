"""An activity: a lesson as a list of steps, each with instructions, a setup (or the network
from the step before), its locks and at most one question (issue 18).

These are the schemas at the edge (the request bodies are strict: unknown fields, NaN and
Infinity are errors); the checking of a network question is `engine.questions`, run where the
student's network lives (the trainer), and the correct answer never leaves the server before
the teacher reveals it. See docs/activities.md for the endpoints and the flow.

Question kinds:

- ``network`` — a quantity of the derivation (z_j, a_j, δ, ∂E/∂w_ij, ∂E/∂b_j, the updated w_ij or
  b_j after one step (Eq. 7), E) at one unit or weight for one sample (or the student's probe
  sample), computed by the engine on the student's own network at the moment of answering and
  compared with a relative tolerance. While it is open the student's network is frozen and the
  quantity (and what gives it away) is left out of that student's frames and reads.
- ``choice`` — multiple choice, one or several correct options.
- ``number`` — a number with a fixed answer and a relative tolerance.
- ``text`` — free text, not checked (the teacher reads them).
- ``prediction`` — recorded before a run (free text or options), shown beside what happened;
  not right or wrong.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.classroom.controls import check_locks
from app.schemas import SessionCreate

FEEDBACK = ("immediate", "reveal")
PACE_MODES = ("class", "self")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class QuantityIn(Strict):
    """Which number a network question asks for (addressing as in `engine.questions`)."""

    name: Literal["z", "a", "delta", "dE_dw", "dE_db", "w_updated", "b_updated", "E"]
    layer: int | None = Field(None, ge=1, description="1 … L; the output layer is L.")
    unit: int | None = Field(None, ge=0, description="j (or k at the output), from 0.")
    source: int | None = Field(None, ge=0, description="i, the unit of layer − 1 (weights).")


class QuestionBase(Strict):
    prompt: str = Field(min_length=1, max_length=2000, description="Markdown; math as $…$.")
    explanation: str = Field("", max_length=4000, description="Shown to all at the reveal.")
    feedback: Literal[FEEDBACK] = Field(  # type: ignore[valid-type]
        "immediate",
        description="immediate: right/wrong at once, up to max_attempts; reveal: only when the "
        "teacher reveals.",
    )
    max_attempts: int = Field(3, ge=1, le=20)


class NetworkQuestion(QuestionBase):
    kind: Literal["network"]
    quantity: QuantityIn
    sample: int | None = Field(
        None, ge=0, description="Training sample index; null: the student's probe sample."
    )
    tolerance: float = Field(0.01, gt=0, le=1, description="Relative tolerance.")
    predict_then_step: bool = Field(
        False,
        description="Ask before the student presses step; the answer is checked on the "
        "network before the step.",
    )


class ChoiceQuestion(QuestionBase):
    kind: Literal["choice"]
    options: list[str] = Field(min_length=2, max_length=10)
    correct: list[int] = Field(min_length=1, description="Indexes of the correct options.")

    @model_validator(mode="after")
    def _in_range(self) -> ChoiceQuestion:
        bad = [i for i in self.correct if not 0 <= i < len(self.options)]
        if bad:
            raise ValueError(f"correct: {bad} not among the options 0 … {len(self.options) - 1}")
        return self

    @property
    def multiple(self) -> bool:
        return len(self.correct) > 1


class NumberQuestion(QuestionBase):
    kind: Literal["number"]
    answer: float
    tolerance: float = Field(0.01, gt=0, le=1, description="Relative tolerance.")


class TextQuestion(QuestionBase):
    kind: Literal["text"]


class PredictionQuestion(QuestionBase):
    kind: Literal["prediction"]
    options: list[str] = Field(
        default_factory=list, max_length=10, description="Empty: a free-text prediction."
    )


Question = Annotated[
    NetworkQuestion | ChoiceQuestion | NumberQuestion | TextQuestion | PredictionQuestion,
    Field(discriminator="kind"),
]


class StepIn(Strict):
    """One screen of an activity (one step = what a lesson was before activities)."""

    title: str = Field("", max_length=200)
    instructions: str = Field("", description="Markdown; math as $…$.")
    setup: SessionCreate | None = Field(
        None,
        description="A new network for this step; null: continue with the network from "
        "the step before (the first step falls back to the lesson's setup).",
    )
    locks: list[str] = Field(default_factory=list, description="Locked controls in this step.")
    question: Question | None = None

    @field_validator("locks")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return check_locks(v)


class OpenStepIn(Strict):
    """The teacher opens step ``step`` (0-based): ``class`` moves everyone there; ``self`` lets
    each student go at their own pace up to it."""

    step: int = Field(ge=0)
    mode: Literal[PACE_MODES] = "class"  # type: ignore[valid-type]


class AnswerIn(Strict):
    """A student's answer to the open step's question: ``value`` for network/number questions
    (a string accepts a decimal comma), ``choices`` for choice (and option predictions),
    ``text`` for text (and free predictions)."""

    value: str | float | None = None
    choices: list[int] | None = None
    text: str | None = Field(None, max_length=2000)


class SnapshotsIn(Strict):
    seats: list[str] = Field(min_length=2, max_length=6, description="Seat ids to project.")


# ---- answers (open: may carry more fields later) -----------------------------------------


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AnswerOut(Open):
    step: int
    kind: str
    correct: bool | None = Field(description="null: not checked yet (reveal) or not checkable.")
    attempts: int
    attempts_left: int
    answer: dict[str, Any]
    revealed: bool
    expected: float | list[int] | None = Field(
        None,
        description="Only after the teacher's reveal (or once attempts are used up in "
        "immediate mode).",
    )
    explanation: str | None = None


class MoveIn(Strict):
    """A self-paced student moves to step ``step`` (at most the open one)."""

    step: int = Field(ge=0)


class StepView(Open):
    index: int
    title: str
    instructions: str
    locks: list[str]
    question: dict[str, Any] | None = Field(
        description="The question without its correct answer (until the reveal)."
    )
    state: Literal["open", "done", "locked"]
    answer: AnswerOut | None
    revealed: bool
    expected: float | list[int] | None = None
    explanation: str | None = None


class ActivityOut(Open):
    step_open: int | None = Field(description="The open step; null: not started.")
    mode: Literal[PACE_MODES]  # type: ignore[valid-type]
    current: int | None = Field(description="The step this student is on.")
    steps: list[StepView]


class PacingOut(Open):
    """The classroom's activity state, as the teacher sees it."""

    step_open: int | None
    mode: Literal[PACE_MODES]  # type: ignore[valid-type]
    revealed: list[int]
    steps: int = Field(description="How many steps the activity has.")
    replaced: int = Field(0, description="Students who got a session of the step's setup.")
    failed: dict[str, str] = Field(default_factory=dict, description="Seat id → what failed.")


class ResultRow(Open):
    seat_id: str
    name: str
    answer: dict[str, Any] | None
    correct: bool | None
    attempts: int
    seconds: float | None


class ResultsOut(Open):
    step: int
    kind: str | None
    seats: int
    answered: int
    correct: int
    incorrect: int
    unanswered: int
    distribution: dict[str, Any]
    texts: list[dict[str, Any]]
    seconds: list[float]
    rows: list[ResultRow]


class AnswersOut(Open):
    answers: list[dict[str, Any]] = Field(description="One row per student per step.")


class Snapshot(Open):
    label: str = Field(description='"A", "B", …: no names.')
    setup: dict[str, Any]
    params: dict[str, Any] = Field(description="weights and biases now.")
    epoch: int | None
    loss: dict[str, Any] | None
    history_tail: dict[str, list[Any]]
    boundary: dict[str, Any] | None = Field(description="The decision-boundary thumbnail.")


class SnapshotsOut(Open):
    snapshots: list[Snapshot]
