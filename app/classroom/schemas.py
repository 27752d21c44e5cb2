"""The classroom API's schemas: request bodies (strict: unknown fields, NaN and Infinity are
errors) and the shapes of its answers (for the OpenAPI document and its checks; answers may
carry more fields in a later version)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.classroom.activity import StepIn
from app.classroom.controls import CONTROLS, check_locks
from app.classroom.teaching import PACE_OPS
from app.schemas import SessionCreate


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Login(Strict):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class Challenge(Strict):
    title: str = Field("", max_length=200, description="What the class reads.")
    test_loss_below: float = Field(gt=0, description="Met when the test loss is below this.")
    max_hidden_units: int | None = Field(None, ge=0, description="At most this many hidden units.")


class LessonIn(Strict):
    title: str = Field(min_length=1, max_length=200)
    setup: SessionCreate = Field(default_factory=SessionCreate)
    locks: list[str] = Field(default_factory=list, description=f"Locked controls: {list(CONTROLS)}")
    challenge: Challenge | None = None
    instructions: str = Field(
        "",
        description="What the students read on their seat: Markdown (math as $…$), rendered "
        "safely. At most max_lesson_instructions_chars characters.",
    )
    steps: list[StepIn] = Field(
        default_factory=list,
        description="An activity (docs/activities.md): screens the teacher opens one by one; "
        "empty: the lesson is one step (as before). At most max_activity_steps.",
    )

    @field_validator("locks")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        return check_locks(v)


class LessonPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=200)
    setup: SessionCreate | None = None
    locks: list[str] | None = None
    challenge: Challenge | None = None
    instructions: str | None = Field(None, description="Markdown the students read.")
    steps: list[StepIn] | None = Field(
        None,
        description="The activity's steps (a running classroom's: only those not yet opened "
        "may change, 409 naming steps.N).",
    )

    @field_validator("locks")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else check_locks(v)


class ClassroomIn(Strict):
    lesson_id: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=200)


class ClassroomPatch(Strict):
    name: str | None = Field(None, max_length=200)
    lobby_locked: bool | None = None
    approval_required: bool | None = None
    hide_names: bool | None = None
    leaderboard: bool | None = None
    leaderboard_names: bool | None = None
    challenge_active: bool | None = None


class PaceIn(Strict):
    op: Literal[PACE_OPS]  # type: ignore[valid-type]
    epochs: int = Field(1, ge=1)


class JoinIn(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    key: str | None = Field(None, max_length=32, description="Your seat key, to move devices.")


class SetupIn(Strict):
    setup: SessionCreate


# ---- answers ---------------------------------------------------------------------------------


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class TeacherOut(Open):
    id: str
    name: str


class LoginOut(Open):
    teacher: TeacherOut


class TokenOut(Open):
    access_token: str
    token_type: Literal["bearer"]
    expires_at: str


class LessonOut(Open):
    id: str
    title: str
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    instructions: str = Field("", description="Markdown the students read (empty: none).")
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="The activity's steps, correct answers included."
    )
    created_at: str
    updated_at: str


class LessonsOut(Open):
    lessons: list[LessonOut]
    controls: dict[str, str] = Field(description="Every control a lesson may lock, and what it is.")


class ClassroomOut(Open):
    id: str
    lesson_id: str | None
    name: str
    code: str | None = Field(description="The join code while the room is open; null once closed.")
    status: Literal["open", "closed"]
    lobby_locked: bool
    approval_required: bool
    hide_names: bool
    leaderboard: bool
    leaderboard_names: bool
    challenge_active: bool
    setup: dict[str, Any]
    locks: list[str]
    challenge: dict[str, Any] | None
    created_at: str
    closed_at: str | None
    join_url: str | None
    join_warning: str | None = Field(
        None,
        description="Why students on other devices cannot reach join_url (a loopback address), "
        "and how to fix it; null when they can.",
    )
    instructions: str = ""
    steps: list[dict[str, Any]] = Field(
        default_factory=list, description="The activity's steps (the classroom's copy)."
    )
    step_open: int | None = Field(None, description="The open step; null: not started.")
    step_mode: str = Field("class", description="class: everyone on step_open; self: up to it.")
    revealed: list[int] = Field(default_factory=list, description="Steps revealed to all.")
    controls: dict[str, str]


class SeatOut(Open):
    id: str
    number: int
    label: str = Field(description='"Student N": what the class sees when names are hidden.')
    name: str
    session_id: str | None
    status: Literal["waiting", "active", "removed"]
    joined_at: str
    challenge_met: dict[str, Any] | None
    differs: dict[str, Any] | None = Field(
        None,
        description="Control → the student's value where it differs from the lesson's (the "
        "locks' compare); null without a session. In GET /api/classrooms/{id} only.",
    )


class ClassroomDetail(ClassroomOut):
    lesson_setup: dict[str, Any] = Field(description="The setup with every default filled in.")
    seats: list[SeatOut]


class ClassroomsOut(Open):
    classrooms: list[ClassroomOut]


class PushOut(ClassroomOut):
    replaced: int = Field(description="Students who got a session of the new setup.")


class PaceOut(Open):
    op: str
    sessions: int = Field(description="Sessions that did it.")
    failed: dict[str, str] = Field(description="Seat id → why it failed there.")


class BoardRow(Open):
    seat: str
    name: str
    test_loss: float | None
    epoch: int
    hidden_units: int
    met: bool


class LeaderboardOut(Open):
    challenge: dict[str, Any] | None
    active: bool
    rows: list[BoardRow]


class ClassExport(Open):
    classroom: dict[str, Any]
    seats: list[dict[str, Any]] = Field(description="Each seat with its session's export.")
    answers: list[dict[str, Any]] = Field(
        default_factory=list, description="One row per student per step (activities)."
    )


class JoinOut(Open):
    classroom_id: str
    seat: SeatOut
    key: str | None = Field(description="The seat key, to move devices (the first time only).")
    url: str


class RoomForStudent(Open):
    id: str
    name: str
    status: Literal["open", "closed"]
    locks: list[str]
    setup: dict[str, Any]
    challenge: dict[str, Any] | None
    challenge_active: bool
    leaderboard: bool
    instructions: str = Field("", description="The lesson's instructions (Markdown).")


class MeOut(Open):
    seat: SeatOut
    classroom: RoomForStudent
    controls: dict[str, str]


class NewSessionOut(Open):
    session_id: str
